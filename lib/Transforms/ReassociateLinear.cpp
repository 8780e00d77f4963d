//===- ReassociateLinear.cpp - linear attention to the state form ---------===//
//
// Without a softmax, o_t = sum_s w_ts v_s with w_ts = scale * q_t . k_s (times
// a decay, under a causal mask) reassociates: o_t = scale * q_t S_t with
// S_t = sum_{s <= t} a_{s..t} k_s^T v_s, a Dk x Dv state the scan carries.
// Without a mask every query reads the same S = K^T V. The rewrite walks from
// an aggregate's weights up to the score through masks and decays only; any
// other op in between (softmax, score_mod, other masks) stops it.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

namespace attn {
#define GEN_PASS_DEF_REASSOCIATELINEAR
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
bool bothStaticAndDiffer(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

/// An aggregate whose weights are a linear function of one q . k product.
struct LinearForm {
  ScoreOp score;
  /// Scalar gates of an attn.decay ([Hq] or [B, Hq, T]) or the score's
  /// per-key gates ([B, Hq, T, Dk]); null without decay.
  Value gates;
  /// Key s reaches query t only for s <= t; otherwise every query sees every
  /// key.
  bool causal;
};

/// Walks from the aggregate's weights up to their score. On failure, `why`
/// says what stands in the way.
FailureOr<LinearForm> matchLinearForm(AggregateOp op, std::string &why) {
  LinearForm form{nullptr, nullptr, false};
  Value weights = op.getWeights();
  while (!form.score) {
    Operation *def = weights.getDefiningOp();
    if (!def) {
      why = "the weights are not computed by an attn.score";
      return failure();
    }
    if (auto mask = dyn_cast<MaskOp>(def)) {
      // Lengths move every query's position per sequence; the scan has none.
      if (mask.getLengths()) {
        why = "the mask has per-sequence lengths";
        return failure();
      }
      if (mask.getKind() != MaskKind::none &&
          mask.getKind() != MaskKind::causal) {
        why = ("mask '" + stringifyMaskKind(mask.getKind()) +
               "' has no fixed-size state")
                  .str();
        return failure();
      }
      form.causal |= mask.getKind() == MaskKind::causal;
      weights = mask.getScores();
    } else if (auto decay = dyn_cast<DecayOp>(def)) {
      // The scan carries a single gate per step.
      if (form.gates) {
        why = "several decays";
        return failure();
      }
      form.gates = decay.getGates();
      form.causal = true;
      weights = decay.getScores();
    } else if (auto score = dyn_cast<ScoreOp>(def)) {
      form.score = score;
    } else if (isa<SoftmaxOp>(def)) {
      why = "a softmax normalizes the scores";
      return failure();
    } else if (isa<ScoreModOp>(def)) {
      why = "a score_mod is not linear";
      return failure();
    } else if (isa<BlockMaskOp>(def)) {
      why = "a block mask has no fixed-size state";
      return failure();
    } else {
      why = ("'" + def->getName().getStringRef() +
             "' stands between the scores and the aggregate")
                .str();
      return failure();
    }
  }

  ScoreOp score = form.score;
  if (score.getQueries().size() != 1) {
    why = "the score adds several query-key pairs";
    return failure();
  }
  if (Value perKey = score.getGate()) {
    if (form.gates) {
      why = "a per-key and a scalar decay together";
      return failure();
    }
    form.gates = perKey;
    form.causal = true;
  }

  Value q = score.getQueries()[0], k = score.getKeys()[0], v = op.getValues();
  if (ShapedType::isDynamic(dimSize(q, 3)) ||
      ShapedType::isDynamic(dimSize(v, 3))) {
    why = "the state needs static query and value head dims";
    return failure();
  }
  if (dimSize(q, 3) == 0 || dimSize(v, 3) == 0) {
    why = (Twine("a ") + Twine(dimSize(q, 3)) + "x" + Twine(dimSize(v, 3)) +
           " state holds nothing; it needs positive head dims")
              .str();
    return failure();
  }
  // The scan steps through queries and keys together. Position p = S - T + t
  // of a causal query is t only when S == T.
  if (bothStaticAndDiffer(dimSize(q, 2), dimSize(k, 2))) {
    why = (Twine(dimSize(q, 2)) + " queries but " + Twine(dimSize(k, 2)) +
           " keys; the state form needs as many of both")
              .str();
    return failure();
  }
  if (bothStaticAndDiffer(dimSize(k, 1), dimSize(v, 1))) {
    why = (Twine(dimSize(k, 1)) + " key heads but " + Twine(dimSize(v, 1)) +
           " value heads; the state form shares one grouping")
              .str();
    return failure();
  }
  return form;
}

/// Gates and state stay in f32 or wider (DESIGN.md); f64 inputs keep f64.
Type stateElementType(MLIRContext *context, ArrayRef<Value> inputs) {
  for (Value input : inputs)
    if (input && getElementTypeOrSelf(input).getIntOrFloatBitWidth() > 32)
      return Float64Type::get(context);
  return Float32Type::get(context);
}

struct ReassociateLinear : public OpRewritePattern<AggregateOp> {
  ReassociateLinear(MLIRContext *context, bool explain)
      : OpRewritePattern(context), explain(explain) {}

  LogicalResult matchAndRewrite(AggregateOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<LinearForm> form = matchLinearForm(op, why);
    if (failed(form)) {
      // The greedy driver revisits unchanged ops; say it once.
      if (explain && explained.insert(op).second)
        op.emitRemark() << "not reassociated: " << why;
      return rewriter.notifyMatchFailure(op, why);
    }

    MLIRContext *context = getContext();
    Location loc = op.getLoc();
    ScoreOp score = form->score;
    Value q = score.getQueries()[0], k = score.getKeys()[0], v = op.getValues(),
          gates = form->gates;
    int64_t dk = dimSize(q, 3), dv = dimSize(v, 3);
    Type element = stateElementType(context, {q, k, v, gates});
    auto stateType = StateType::get(context, dk, dv, element);
    auto outputType = cast<RankedTensorType>(op.getType());
    int64_t batch =
        mergeDimSizes(mergeDimSizes(dimSize(q, 0), dimSize(k, 0)),
                      mergeDimSizes(dimSize(v, 0), outputType.getDimSize(0)));
    int64_t heads = mergeDimSizes(dimSize(q, 1), outputType.getDimSize(1));
    auto finalType = RankedTensorType::get({batch, heads, dk, dv}, element);
    auto vec = [](int64_t n, Value of) -> Type {
      return RankedTensorType::get({n}, getElementTypeOrSelf(of));
    };
    SmallVector<Type> argTypes = {stateType, vec(dk, q), vec(dk, k),
                                  vec(dv, v)};
    if (gates)
      argTypes.push_back(cast<ShapedType>(gates.getType()).getRank() == 4
                             ? vec(dk, gates)
                             : getElementTypeOrSelf(gates));
    Type outVec = vec(dv, op.getOutput());
    FloatAttr scale = rewriter.getF64FloatAttr(score.getEffectiveScale());
    SmallVector<Location> argLocs(argTypes.size(), loc);

    // The state after step t: S_t = a_t S_{t-1} + k_t^T v_t.
    auto scan = ScanOp::create(rewriter, loc, outputType, finalType, q, k, v,
                               gates, /*init=*/nullptr);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      Block *body =
          rewriter.createBlock(&scan.getBody(), {}, argTypes, argLocs);
      Value state = body->getArgument(0);
      if (gates)
        state =
            StateDecayOp::create(rewriter, loc, state, body->getArgument(4));
      state = StateUpdateOp::create(rewriter, loc, state, body->getArgument(2),
                                    body->getArgument(3));
      Value out = StateReadOp::create(rewriter, loc, outVec, state,
                                      body->getArgument(1), scale);
      YieldOp::create(rewriter, loc, ValueRange{state, out});
    }
    if (form->causal) {
      rewriter.replaceOp(op, scan.getOutput());
      return success();
    }

    // Bidirectional: the first scan's final state is K^T V; a second scan
    // starting from it reads it unchanged at every query.
    auto global = ScanOp::create(rewriter, loc, outputType, finalType, q, k, v,
                                 /*gates=*/nullptr, scan.getFinalState());
    {
      OpBuilder::InsertionGuard guard(rewriter);
      Block *body =
          rewriter.createBlock(&global.getBody(), {}, argTypes, argLocs);
      Value state = body->getArgument(0);
      Value out = StateReadOp::create(rewriter, loc, outVec, state,
                                      body->getArgument(1), scale);
      YieldOp::create(rewriter, loc, ValueRange{state, out});
    }
    rewriter.replaceOp(op, global.getOutput());
    return success();
  }

private:
  bool explain;
  mutable llvm::DenseSet<Operation *> explained;
};

struct ReassociateLinearPass
    : public attn::impl::ReassociateLinearBase<ReassociateLinearPass> {
  using ReassociateLinearBase::ReassociateLinearBase;

  void runOnOperation() override {
    // Built per run: the pattern remembers which ops it explained.
    RewritePatternSet patterns(&getContext());
    populateReassociateLinearPatterns(patterns, explain);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     rewriteOnlyConfig())))
      signalPassFailure();
  }
};
} // namespace

void attn::populateReassociateLinearPatterns(RewritePatternSet &patterns,
                                             bool explain) {
  patterns.add<ReassociateLinear>(patterns.getContext(), explain);
}
