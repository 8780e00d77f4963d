//===- SoftmaxAttention.cpp - scores, masks, softmax, aggregate -----------===//
//
// The generic meaning of the softmax attention ops, one Func each. The score
// chain (mask, block_mask, score_mod) is defined element by element through
// applyScoreOp so the fused kernel applies exactly the same semantics.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;

namespace {
/// lengths[b], checked at run time to lie in [0, limit].
Expr sequenceLength(LoweringContext &ctx, Operation *op, Value lengths, Expr b,
                    Expr batch, std::optional<Expr> limit) {
  const HTensor &len = ctx.get(lengths);
  ctx.require(op, len.shape[0] == batch,
              "lengths do not hold one entry per batch entry");
  Expr value = len({b});
  Expr ok = value >= 0;
  if (limit)
    ok = ok && value <= *limit;
  // Data, not shapes: checked by the kernel as it reads them.
  return Halide::require(ok, value,
                         "is a sequence length outside [0, keys], read at " +
                             locationText(op->getLoc()));
}

} // namespace

Halide::Func cpu::selectedBlocks(LoweringContext &ctx, Operation *op,
                                 const HTensor &idx) {
  auto key = std::make_pair(op, std::string("selected"));
  auto it = ctx.derived.find(key);
  if (it != ctx.derived.end())
    return it->second;
  Halide::Var blk("blk"), t("t"), g("g"), b("b");
  Halide::RDom i(0, idx.shape[3], "i");
  Halide::Func selected = ctx.newFunc(op, "_selected");
  selected(blk, t, g, b) = Halide::cast<uint8_t>(
      Halide::maximum(Halide::select(idx({b, g, t, i}) == blk, 1, 0)));
  selected.compute_root().parallel(b).vectorize(
      blk, vectorLanes(), Halide::TailStrategy::GuardWithIf);
  ctx.derived[key] = selected;
  return selected;
}

Expr cpu::positionKeeps(MaskKind kind, int size, int stride, Expr s, Expr p) {
  return masks::keeps<HalideMaskOps>({kind, size, stride}, s, p);
}

/// The chain ops (mask, block_mask, score_mod) that end in `scores`, in
/// program order, and the value the first of them reads.
static std::pair<Value, SmallVector<Operation *>> scoreChainOf(Value scores) {
  SmallVector<Operation *> chain;
  while (Operation *def = scores.getDefiningOp()) {
    if (!isa<MaskOp, BlockMaskOp, ScoreModOp>(def))
      break;
    chain.push_back(def);
    scores = def->getOperand(0);
  }
  std::reverse(chain.begin(), chain.end());
  return {scores, chain};
}

ChainScore cpu::applyMask(LoweringContext &ctx, Operation *op, MaskKind kind,
                          int size, int stride, Value lengths, ChainScore in,
                          Expr b, Expr t, Expr s,
                          const std::vector<Expr> &shape) {
  Expr B = shape[0], T = shape[2], S = shape[3];
  bool compressed = kind == MaskKind::compressed;
  Expr L = compressed ? T : S;
  if (lengths)
    L = sequenceLength(ctx, op, lengths, b, B,
                       compressed ? std::nullopt : std::optional<Expr>(S));
  // Compressed keys count blocks, not tokens.
  Expr keep = compressed ? Halide::Internal::const_true() : s < L;
  return {in.score,
          in.kept && keep && positionKeeps(kind, size, stride, s, L - T + t)};
}

ChainScore cpu::applyBlockMask(LoweringContext &ctx, Operation *op,
                               Value indices, int block, ChainScore in, Expr b,
                               Expr h, Expr t, Expr s,
                               const std::vector<Expr> &shape) {
  Expr B = shape[0], H = shape[1], T = shape[2];
  const HTensor &idx = ctx.get(indices);
  Expr G = idx.shape[1];
  ctx.require(op, idx.shape[0] == B && idx.shape[2] == T,
              "indices do not match the scores' batch and length");
  ctx.require(op, G > 0 && H % Halide::max(G, 1) == 0,
              "the heads are not a multiple of the index rows");
  Halide::Func selected = selectedBlocks(ctx, op, idx);
  return {in.score,
          in.kept && selected(s / block, t, sharedHead(h, H, G), b) != 0};
}

ChainScore cpu::applyScoreMod(Block &body, ChainScore in, Expr b, Expr h,
                              Expr t, Expr s) {
  // Masked scores stay masked: the body's value there is never used.
  llvm::DenseMap<Value, Expr> scalars;
  Expr args[] = {in.score, b, h, t, s};
  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    scalars[arg] = value;
  for (Operation &inner : body) {
    std::vector<Expr> operands;
    for (Value v : inner.getOperands())
      operands.push_back(scalars.lookup(v));
    if (isa<YieldOp>(inner)) {
      // A body may mask a score itself by yielding -inf.
      Expr score = Halide::cast<float>(operands[0]);
      return {score, in.kept && !Halide::strict_float(isMinusInfinity(score))};
    }
    // Verified bodies hold only ops lowerScalarOp knows. Their floats are
    // strict: a body may hold NaN or infinities (hiding a key, testing for
    // NaN), which Halide otherwise assumes away.
    FailureOr<Expr> value = lowerScalarOp(&inner, operands);
    if (failed(value))
      break;
    scalars[inner.getResult(0)] = Halide::strict_float(*value);
  }
  return {Expr(), in.kept};
}

ChainScore cpu::applyScoreOp(Operation *op, LoweringContext &ctx, ChainScore in,
                             Expr b, Expr h, Expr t, Expr s,
                             const std::vector<Expr> &shape) {
  return llvm::TypeSwitch<Operation *, ChainScore>(op)
      .Case([&](MaskOp mask) {
        return applyMask(ctx, op, mask.getKind(), mask.getSize().value_or(0),
                         mask.getStride().value_or(0), mask.getLengths(), in, b,
                         t, s, shape);
      })
      .Case([&](BlockMaskOp blockMask) {
        return applyBlockMask(ctx, op, blockMask.getIndices(),
                              blockMask.getBlock(), in, b, h, t, s, shape);
      })
      .Case([&](ScoreModOp mod) {
        return applyScoreMod(mod.getBody().front(), in, b, h, t, s);
      })
      .Default([&](Operation *) {
        return ChainScore{Expr(), in.kept};
      });
}

ChainScore cpu::applyAttentionChain(AttentionOp op, LoweringContext &ctx,
                                    ChainScore in, Expr b, Expr h, Expr t,
                                    Expr s, const std::vector<Expr> &shape) {
  for (KeyMaskAttr mask : op.getKeyMasks())
    in = applyMask(ctx, op, mask.getKind(), mask.getSize(), mask.getStride(),
                   op.getLengths(), in, b, t, s, shape);
  if (Value indices = op.getIndices())
    in =
        applyBlockMask(ctx, op, indices, *op.getBlock(), in, b, h, t, s, shape);
  if (Block *body = op.getScoreModBody())
    in = applyScoreMod(*body, in, b, h, t, s);
  return in;
}

namespace {
LogicalResult lowerScore(ScoreOp op, LoweringContext &ctx) {
  std::vector<std::pair<HTensor, HTensor>> pairs =
      scorePairs(ctx, op, op.getQueries(), op.getKeys());
  const HTensor &q0 = pairs[0].first, &k0 = pairs[0].second;
  std::vector<Expr> shape =
      resultShape(ctx, op, op.getType(),
                  {q0.shape[0], q0.shape[1], q0.shape[2], k0.shape[2]});
  ctx.set(op.getResult(),
          dotScores(ctx, op, pairs, op.getEffectiveScale(), shape));
  return success();
}

/// mask, block_mask and score_mod: the element-wise score chain, applied
/// whole from the value it starts at, so that what is masked is known by
/// predicate rather than by reading -inf back.
LogicalResult lowerScoreChainOp(Operation *op, LoweringContext &ctx) {
  auto [root, chain] = scoreChainOf(op->getResult(0));
  HTensor in = ctx.get(root);
  IndexVars idx(4);
  HTensor out{ctx.newFunc(op), in.shape, Halide::Float(32)};
  ChainScore value{in(idx.exprs()), Halide::Internal::const_true()};
  for (Operation *link : chain) {
    value = applyScoreOp(link, ctx, value, idx[0], idx[1], idx[2], idx[3],
                         in.shape);
    if (!value.score.defined())
      return failure();
  }
  out.func(idx.halide) = value.value();
  scheduleRoot(out);
  ctx.set(op->getResult(0), out);
  return success();
}

LogicalResult lowerSoftmax(SoftmaxOp op, LoweringContext &ctx) {
  ctx.set(op.getResult(), softmaxRows(ctx, op, ctx.get(op.getScores())));
  return success();
}

LogicalResult lowerAggregate(AggregateOp op, LoweringContext &ctx) {
  const HTensor &w = ctx.get(op.getWeights()), &v = ctx.get(op.getValues());
  Expr B = w.shape[0], Hq = w.shape[1], T = w.shape[2], S = w.shape[3];
  requireValues(ctx, op, v, B, Hq, S);
  ctx.set(op.getResult(), aggregateValues(ctx, op, w, v,
                                          resultShape(ctx, op, op.getType(),
                                                      {B, Hq, T, v.shape[3]})));
  return success();
}
} // namespace

std::vector<std::pair<HTensor, HTensor>> cpu::scorePairs(LoweringContext &ctx,
                                                         Operation *op,
                                                         ValueRange queries,
                                                         ValueRange keys) {
  const HTensor &q0 = ctx.get(queries[0]), &k0 = ctx.get(keys[0]);
  Expr B = q0.shape[0], Hq = q0.shape[1], T = q0.shape[2], S = k0.shape[2];
  std::vector<std::pair<HTensor, HTensor>> pairs;
  for (auto [qv, kv] : llvm::zip(queries, keys)) {
    const HTensor &q = ctx.get(qv), &k = ctx.get(kv);
    ctx.require(op, q.shape[0] == B && q.shape[1] == Hq && q.shape[2] == T,
                "query parts differ in batch, heads or length");
    ctx.require(op, k.shape[0] == B && k.shape[2] == S,
                "key parts differ in batch or length");
    ctx.require(op, k.shape[3] == q.shape[3],
                "the query head dim differs from the key head dim");
    ctx.require(op, k.shape[1] > 0 && Hq % Halide::max(k.shape[1], 1) == 0,
                "the query heads are not a multiple of the key heads");
    pairs.emplace_back(q, k);
  }
  return pairs;
}

void cpu::requireValues(LoweringContext &ctx, Operation *op, const HTensor &v,
                        Expr B, Expr H, Expr S) {
  ctx.require(op, v.shape[0] == B && v.shape[2] == S,
              "the values do not hold one position per key");
  ctx.require(op, v.shape[1] > 0 && H % Halide::max(v.shape[1], 1) == 0,
              "the heads are not a multiple of the value heads");
}

HTensor cpu::dotScores(LoweringContext &ctx, Operation *op,
                       ArrayRef<std::pair<HTensor, HTensor>> pairs, float scale,
                       std::vector<Expr> shape) {
  Expr Hq = pairs[0].first.shape[1];
  HTensor out{ctx.newFunc(op), std::move(shape), Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2], s = idx[3];
  out.func(idx.halide) = 0.0f;
  for (const auto &[q, k] : pairs) {
    Halide::RDom d(0, q.shape[3], "d");
    out.func(idx.halide) +=
        scale * q({b, h, t, d}) * k({b, sharedHead(h, Hq, k.shape[1]), s, d});
  }
  scheduleRoot(out);
  return out;
}

namespace {
/// Each row's maximum and sum of exp(score - maximum) over the scores that
/// `kept` says the row keeps (by default those that are not -inf). Masked
/// scores are known by predicate only: they take no part in the maximum (the
/// finite lowest float stands in) nor in the sum, which is 0 for a row that
/// keeps nothing.
struct RowStatistics {
  std::function<Expr(Expr b, Expr h, Expr t, Expr s)> kept;
  Halide::Func peak, total;
};
RowStatistics
rowStatistics(LoweringContext &ctx, Operation *op, const HTensor &in,
              std::function<Expr(Expr b, Expr h, Expr t, Expr s)> kept,
              StringRef prefix) {
  if (!kept)
    kept = [in](Expr b, Expr h, Expr t, Expr s) {
      return !isMinusInfinity(in({b, h, t, s}));
    };
  Halide::Var b("b"), h("h"), t("t");
  Halide::RDom r(0, in.shape[3], "s");
  RowStatistics rows{kept, ctx.newFunc(op, (prefix + "_max").str()),
                     ctx.newFunc(op, (prefix + "_sum").str())};
  rows.peak(t, h, b) = Halide::maximum(
      Halide::select(kept(b, h, t, r), in({b, h, t, r}), lowestFloat()));
  rows.total(t, h, b) = Halide::sum(
      Halide::select(kept(b, h, t, r),
                     Halide::exp(in({b, h, t, r}) - rows.peak(t, h, b)), 0.0f));
  return rows;
}
} // namespace

HTensor
cpu::softmaxRows(LoweringContext &ctx, Operation *op, const HTensor &in,
                 std::function<Expr(Expr b, Expr h, Expr t, Expr s)> kept) {
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2], s = idx[3];
  RowStatistics rows = rowStatistics(ctx, op, in, std::move(kept), "");
  HTensor out{ctx.newFunc(op), in.shape, Halide::Float(32)};
  // A fully masked row has no distribution: its probabilities are 0 (and
  // its total 0, never divided by).
  out.func(idx.halide) = Halide::select(
      rows.kept(b, h, t, s),
      Halide::exp(in({b, h, t, s}) - rows.peak(t, h, b)) / rows.total(t, h, b),
      0.0f);
  for (Halide::Func f : {rows.peak, rows.total})
    f.compute_at(out.func, h);
  out.func.compute_root().parallel(b).parallel(h).vectorize(
      s, vectorLanes(), Halide::TailStrategy::GuardWithIf);
  return out;
}

HTensor
cpu::logSumExpRows(LoweringContext &ctx, Operation *op, const HTensor &in,
                   std::function<Expr(Expr b, Expr h, Expr t, Expr s)> kept) {
  Halide::Var b("b"), h("h"), t("t");
  RowStatistics rows = rowStatistics(ctx, op, in, std::move(kept), "_lse");
  HTensor out{ctx.newFunc(op, "_lse"),
              {in.shape[0], in.shape[1], in.shape[2]},
              Halide::Float(32)};
  // A row that keeps no key has a sum of 0: its log-sum-exp is -inf.
  out.func(t, h, b) = Halide::select(
      rows.total(t, h, b) > 0.0f,
      rows.peak(t, h, b) + Halide::log(rows.total(t, h, b)), minusInfinity());
  for (Halide::Func f : {rows.peak, rows.total})
    f.compute_at(out.func, h);
  out.func.compute_root().parallel(b);
  return out;
}

HTensor cpu::aggregateValues(LoweringContext &ctx, Operation *op,
                             const HTensor &w, const HTensor &v,
                             std::vector<Expr> shape) {
  Expr Hq = w.shape[1], S = w.shape[3], Hkv = v.shape[1];
  HTensor out{ctx.newFunc(op), std::move(shape), Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2], d = idx[3];
  Halide::RDom s(0, S, "s");
  Expr weight = w({b, h, t, s});
  out.func(idx.halide) = 0.0f;
  // Masked weights (-inf) contribute nothing, as in the interpreter.
  out.func(idx.halide) +=
      Halide::select(isMinusInfinity(weight), 0.0f, weight) *
      v({b, sharedHead(h, Hq, Hkv), s, d});
  scheduleRoot(out);
  return out;
}

std::optional<LogicalResult>
cpu::lowerSoftmaxAttentionOp(Operation *op, LoweringContext &ctx) {
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case([&](ScoreOp score) -> std::optional<LogicalResult> {
        if (score.getGate())
          return std::nullopt; // per-key decay: the linear family
        return lowerScore(score, ctx);
      })
      .Case<MaskOp, BlockMaskOp, ScoreModOp>(
          [&](Operation *) -> std::optional<LogicalResult> {
            return lowerScoreChainOp(op, ctx);
          })
      .Case([&](SoftmaxOp softmax) -> std::optional<LogicalResult> {
        return lowerSoftmax(softmax, ctx);
      })
      .Case([&](LogSumExpOp lse) -> std::optional<LogicalResult> {
        ctx.set(lse.getResult(),
                logSumExpRows(ctx, lse, ctx.get(lse.getScores())));
        return success();
      })
      .Case([&](AttentionOp attention) -> std::optional<LogicalResult> {
        return lowerAttention(attention, ctx);
      })
      .Case([&](AggregateOp aggregate) -> std::optional<LogicalResult> {
        return lowerAggregate(aggregate, ctx);
      })
      .Default([](Operation *) { return std::nullopt; });
}
