//===- AbsorbMla.cpp - MLA attention over the latent cache ----------------===//
//
// MLA's keys and values are per-head up-projections of one latent per token,
// k_s = c_s W_UK[h] and v_s = c_s W_UV[h]. By associativity
//   q . (c_s W_UK[h]) = (q W_UK[h]^T) . c_s
//   sum_s p_s (c_s W_UV[h]) = (sum_s p_s c_s) W_UV[h]
// so the query absorbs W_UK, W_UV moves after the weighted sum, and attention
// runs over the latent itself: the cache is read once per step instead of
// being up-projected per head. The scores are the same numbers, so whatever
// acts on them between the score and the aggregate (masks, score mods,
// softmax) stays as it is.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>

namespace attn {
#define GEN_PASS_DEF_ABSORBMLA
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
bool known(int64_t size) { return !ShapedType::isDynamic(size); }

std::string sizeText(int64_t size) {
  return known(size) ? std::to_string(size) : "?";
}

/// Width of the latent `up` reads and of the head dim it makes.
int64_t latentDim(ProjectOp up) {
  return dimSize(up.getWeight(), up.getTransposed() ? 2 : 1);
}
int64_t headDim(ProjectOp up) {
  return dimSize(up.getWeight(), up.getTransposed() ? 1 : 2);
}

/// An aggregate over up-projected values whose weights come from a score with
/// up-projected keys.
struct LatentForm {
  ScoreOp score;
  /// The score pairs whose keys are up-projections.
  SmallVector<unsigned> pairs;
  ProjectOp values;
  /// A mask has per-sequence lengths: the queries read a cache.
  bool cache = false;
};

/// Query head h reads head h of a projection with one weight per query head,
/// so W[h] is the weight that moves to query head h.
LogicalResult checkOneWeightPerHead(ProjectOp up, int64_t heads, StringRef what,
                                    std::string &why) {
  int64_t weights = dimSize(up.getWeight(), 0);
  if (known(heads) && weights == heads)
    return success();
  why = (what + " up-projection has " + sizeText(weights) + " heads for " +
         sizeText(heads) + " query heads; absorbing needs one per query head")
            .str();
  return failure();
}

FailureOr<LatentForm> matchLatentForm(AggregateOp op, std::string &why) {
  LatentForm form;
  form.values = op.getValues().getDefiningOp<ProjectOp>();
  if (!form.values) {
    why = "the values are not an up-projection (attn.project) of a latent";
    return failure();
  }
  int64_t heads =
      mergeDimSizes(dimSize(op.getOutput(), 1), dimSize(op.getWeights(), 1));
  if (failed(checkOneWeightPerHead(form.values, heads, "the value", why)))
    return failure();

  Value weights = op.getWeights();
  while (!form.score) {
    Operation *def = weights.getDefiningOp();
    if (!def) {
      why = "the weights are not computed by an attn.score";
      return failure();
    }
    if (auto score = dyn_cast<ScoreOp>(def)) {
      form.score = score;
    } else if (auto mask = dyn_cast<MaskOp>(def)) {
      form.cache |= bool(mask.getLengths());
      weights = mask.getScores();
    } else if (isa<BlockMaskOp, ScoreModOp, SoftmaxOp, DecayOp, FeatureMapOp>(
                   def)) {
      // Each acts on the scores (its first operand), which stay the same.
      weights = def->getOperand(0);
    } else {
      why = ("the weights come from '" + def->getName().getStringRef() +
             "', not from an attn.score through masks and softmax")
                .str();
      return failure();
    }
  }

  ScoreOp score = form.score;
  // The gate weighs each key dim, and absorption changes the key dims.
  if (score.getGate()) {
    why = "a per-key decay weighs the key dims that absorbing changes";
    return failure();
  }
  for (auto [i, key] : llvm::enumerate(score.getKeys())) {
    auto up = key.getDefiningOp<ProjectOp>();
    if (!up)
      continue;
    if (failed(checkOneWeightPerHead(up, heads, "the key", why)))
      return failure();
    form.pairs.push_back(i);
  }
  if (form.pairs.empty()) {
    why = "no query-key pair has up-projected keys (an attn.project of a "
          "latent)";
    return failure();
  }
  return form;
}

/// The smallest T from which the expanded form takes fewer FLOPs over a long
/// cache, or none when absorbing always wins (or sizes are unknown). Per head
/// and key, expanding up-projects the key and value, sum(Dc D); absorbing
/// makes each query's dot products wider, sum(Dc - D) more per key.
std::optional<int64_t> expandedCheaperFrom(const LatentForm &form) {
  ScoreOp score = form.score;
  SmallVector<ProjectOp> ups = {form.values};
  for (unsigned i : form.pairs)
    ups.push_back(score.getKeys()[i].getDefiningOp<ProjectOp>());
  int64_t saved = 0, extra = 0;
  for (ProjectOp up : ups) {
    int64_t dc = latentDim(up), d = headDim(up);
    if (!known(dc) || !known(d))
      return std::nullopt;
    saved += dc * d;
    extra += dc - d;
  }
  if (extra <= 0)
    return std::nullopt;
  return (saved + extra - 1) / extra;
}

RankedTensorType withLastDim(Value of, int64_t size, Type element) {
  auto type = cast<RankedTensorType>(of.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = size;
  return RankedTensorType::get(shape, element);
}

struct AbsorbMla : public OpRewritePattern<AggregateOp> {
  AbsorbMla(MLIRContext *context, AbsorbMode mode, bool explain)
      : OpRewritePattern(context), mode(mode), explain(explain) {}

  LogicalResult matchAndRewrite(AggregateOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<LatentForm> form = matchLatentForm(op, why);
    if (succeeded(form) && mode == AbsorbMode::Auto)
      decide(op, *form, why);
    if (!why.empty()) {
      // The greedy driver revisits unchanged ops; say it once.
      if (explain && explained.insert(op).second)
        op.emitRemark() << "not absorbed: " << why;
      return rewriter.notifyMatchFailure(op, why);
    }

    // Keys: score (q W_UK[h]^T) against the latent. The default scale would
    // follow the wider dims, so the old one is kept explicitly.
    ScoreOp score = form->score;
    SmallVector<Value> queries(score.getQueries()), keys(score.getKeys());
    rewriter.setInsertionPoint(score);
    for (unsigned i : form->pairs) {
      auto up = keys[i].getDefiningOp<ProjectOp>();
      Value latent = up.getInput();
      int64_t dc = mergeDimSizes(dimSize(latent, 3), latentDim(up));
      queries[i] = ProjectOp::create(
          rewriter, up.getLoc(),
          withLastDim(queries[i], dc, getElementTypeOrSelf(queries[i])),
          queries[i], up.getWeight(), !up.getTransposed());
      keys[i] = latent;
    }
    rewriter.replaceOpWithNewOp<ScoreOp>(
        score, score.getType(), queries, keys, /*gate=*/Value(),
        rewriter.getF64FloatAttr(score.getEffectiveScale()));

    // Values: the weighted sum of latents, then W_UV.
    ProjectOp up = form->values;
    Value latent = up.getInput();
    int64_t dc = mergeDimSizes(dimSize(latent, 3), latentDim(up));
    rewriter.setInsertionPoint(op);
    auto sum = AggregateOp::create(
        rewriter, op.getLoc(),
        withLastDim(op.getOutput(), dc, getElementTypeOrSelf(op.getOutput())),
        op.getWeights(), latent);
    // Its values are the latent now, which no explanation needs to point out.
    explained.insert(sum);
    rewriter.replaceOpWithNewOp<ProjectOp>(op, op.getType(), sum,
                                           up.getWeight(), up.getTransposed());
    return success();
  }

private:
  /// Sets `why` where mode=auto keeps the expanded form.
  static void decide(AggregateOp op, const LatentForm &form, std::string &why) {
    if (!form.cache) {
      why = "no per-sequence lengths: a sequence attending to itself "
            "(prefill) keeps the expanded form";
      return;
    }
    ScoreOp score = form.score;
    int64_t queries =
        mergeDimSizes(dimSize(score, 2), dimSize(op.getOutput(), 2));
    std::optional<int64_t> from = expandedCheaperFrom(form);
    if (known(queries) && from && queries >= *from)
      why = ("T = " + Twine(queries) + " queries; from T = " + Twine(*from) +
             " on the expanded form takes fewer FLOPs")
                .str();
  }

  AbsorbMode mode;
  bool explain;
  mutable llvm::DenseSet<Operation *> explained;
};

struct AbsorbMlaPass : public attn::impl::AbsorbMlaBase<AbsorbMlaPass> {
  using AbsorbMlaBase::AbsorbMlaBase;

  void runOnOperation() override {
    // Built per run: the pattern remembers which ops it explained.
    RewritePatternSet patterns(&getContext());
    populateAbsorbMlaPatterns(patterns, mode, explain);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     rewriteOnlyConfig())))
      signalPassFailure();
  }
};
} // namespace

void attn::populateAbsorbMlaPatterns(RewritePatternSet &patterns,
                                     AbsorbMode mode, bool explain) {
  patterns.add<AbsorbMla>(patterns.getContext(), mode, explain);
}
