//===- FuseAttention.cpp - softmax attention to one attn.attention -------===//
//
// Softmax attention is written as fine-grained ops: a score, a chain of
// masks, block masks and score mods, a softmax and an aggregate. Kernels
// compute all of it at once (FlashAttention's online softmax), so the
// backends take one op that says what they need declaratively: masks as
// attributes (closed-form key ranges), the score mods as one body. Masks
// commute with score mods (a mod never unmasks a score), so the chain's
// order only matters among the mods, which compose in order.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

#include <limits>

namespace attn {
#define GEN_PASS_DEF_FUSEATTENTION
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
/// aggregate(softmax(chain(score))) as found in the IR.
struct SoftmaxAttention {
  ScoreOp score;
  SmallVector<MaskOp> masks;
  BlockMaskOp blockMask;
  SmallVector<ScoreModOp> mods; ///< in program order
  Value lengths;
};

FailureOr<SoftmaxAttention> match(AggregateOp aggregate, std::string &why) {
  auto fail = [&](const Twine &message) {
    why = message.str();
    return failure();
  };
  auto softmax = aggregate.getWeights().getDefiningOp<SoftmaxOp>();
  if (!softmax)
    return fail("its weights are not an attn.softmax");
  SoftmaxAttention a;
  Value scores = softmax.getScores();
  while (!(a.score = scores.getDefiningOp<ScoreOp>())) {
    Operation *def = scores.getDefiningOp();
    if (auto mask = dyn_cast_or_null<MaskOp>(def))
      a.masks.push_back(mask);
    else if (auto mod = dyn_cast_or_null<ScoreModOp>(def))
      a.mods.insert(a.mods.begin(), mod);
    else if (auto blockMask = dyn_cast_or_null<BlockMaskOp>(def)) {
      if (a.blockMask)
        return fail("it has more than one attn.block_mask");
      a.blockMask = blockMask;
    } else
      return fail(def ? "'" + def->getName().getStringRef() +
                            "' stands between the score and the softmax"
                      : Twine("the softmax's scores are a function argument"));
    scores = def->getOperand(0);
  }
  if (a.score.getGate())
    return fail("its score is per-key decayed (linear attention)");
  // Every mask counts positions back from one key length.
  for (MaskOp mask : a.masks) {
    if (mask.getLengths() != a.masks.front().getLengths())
      return fail("its masks count positions from different key lengths");
  }
  if (!a.masks.empty())
    a.lengths = a.masks.front().getLengths();
  // Masks in program order, as the attribute lists them.
  std::reverse(a.masks.begin(), a.masks.end());
  return a;
}

/// The score mods composed into `region`: each one's body in order, and a
/// score one of them masks (-inf) kept masked for the next.
void composeScoreMods(OpBuilder &builder, MutableArrayRef<ScoreModOp> mods,
                      Region &region) {
  if (mods.size() == 1) {
    IRMapping mapping;
    mods.front().getBody().cloneInto(&region, mapping);
    return;
  }
  Block &first = mods.front().getBody().front();
  Block *block = builder.createBlock(
      &region, {}, first.getArgumentTypes(),
      SmallVector<Location>(first.getNumArguments(), mods.front().getLoc()));
  Value score = block->getArgument(0);
  auto element = cast<FloatType>(score.getType());
  for (auto [i, mod] : llvm::enumerate(mods)) {
    Block &body = mod.getBody().front();
    IRMapping mapping;
    mapping.map(body.getArguments(), block->getArguments());
    mapping.map(body.getArgument(0), score);
    for (Operation &op : body.without_terminator())
      builder.clone(op, mapping);
    Value next = mapping.lookup(body.getTerminator()->getOperand(0));
    if (i > 0) {
      // Skip this mod where an earlier one masked the score.
      Location loc = mod.getLoc();
      Value minusInf = arith::ConstantOp::create(
          builder, loc,
          builder.getFloatAttr(element,
                               -std::numeric_limits<double>::infinity()));
      Value masked = arith::CmpFOp::create(
          builder, loc, arith::CmpFPredicate::OEQ, score, minusInf);
      next = arith::SelectOp::create(builder, loc, masked, score, next);
    }
    score = next;
  }
  YieldOp::create(builder, mods.back().getLoc(), score);
}

AttentionOp fuse(AggregateOp aggregate, SoftmaxAttention &a,
                 PatternRewriter &rewriter) {
  MLIRContext *context = rewriter.getContext();
  SmallVector<Attribute> masks;
  for (MaskOp mask : a.masks)
    masks.push_back(KeyMaskAttr::get(context, mask.getKind(),
                                     mask.getSize().value_or(0),
                                     mask.getStride().value_or(0)));
  auto scores = cast<RankedTensorType>(a.score.getType());
  auto lseType = RankedTensorType::get(scores.getShape().take_front(3),
                                       rewriter.getF32Type());
  auto fused = AttentionOp::create(
      rewriter, aggregate.getLoc(), aggregate.getType(), lseType,
      a.score.getQueries(), a.score.getKeys(), aggregate.getValues(), a.lengths,
      a.blockMask ? a.blockMask.getIndices() : Value(),
      rewriter.getF64FloatAttr(a.score.getEffectiveScale()),
      rewriter.getArrayAttr(masks),
      a.blockMask ? rewriter.getI64IntegerAttr(a.blockMask.getBlock())
                  : IntegerAttr());
  if (!a.mods.empty()) {
    OpBuilder::InsertionGuard guard(rewriter);
    composeScoreMods(rewriter, a.mods, fused.getScoreMod());
  }
  return fused;
}

struct FuseAttention : public OpRewritePattern<AggregateOp> {
  FuseAttention(MLIRContext *context, bool explain)
      : OpRewritePattern(context), explain(explain) {}

  LogicalResult matchAndRewrite(AggregateOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<SoftmaxAttention> matched = match(op, why);
    if (failed(matched)) {
      // The greedy driver revisits unchanged ops; say it once.
      if (explain && explained.insert(op).second)
        op.emitRemark() << "not fused into attn.attention: " << why;
      return rewriter.notifyMatchFailure(op, why);
    }
    AttentionOp fused = fuse(op, *matched, rewriter);
    rewriter.replaceOp(op, fused.getOutput());
    return success();
  }

private:
  bool explain;
  mutable llvm::DenseSet<Operation *> explained;
};

struct FuseAttentionPass
    : public attn::impl::FuseAttentionBase<FuseAttentionPass> {
  using FuseAttentionBase::FuseAttentionBase;

  void runOnOperation() override {
    // Built per run: the pattern remembers which ops it explained.
    RewritePatternSet patterns(&getContext());
    populateFuseAttentionPatterns(patterns, explain);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     rewriteOnlyConfig())))
      signalPassFailure();
  }
};
} // namespace

std::optional<std::string> attn::whyNotFused(AggregateOp aggregate) {
  std::string why;
  if (succeeded(match(aggregate, why)))
    return std::nullopt;
  return why;
}

void attn::populateFuseAttentionPatterns(RewritePatternSet &patterns,
                                         bool explain) {
  patterns.add<FuseAttention>(patterns.getContext(), explain);
}
