//===- FlashAttention.cpp - fused online-softmax attention ----------------===//
//
// aggregate(softmax(chain(score(q, k))), v) as one kernel that never forms
// the T x S score matrix: for each tile of QT queries (parallel over batch,
// heads and query tiles) it walks the key tiles of KT keys in order, scores
// a tile into a QT x KT block that stays in cache, applies the score chain
// (masks, block masks, score mods) element-wise, and folds the tile into a
// running (output, max, sum) with the online-softmax rescaling. Key tiles
// that the masks fully hide are skipped through the reduction's predicate,
// which Halide turns into loop bounds (causal attention does half the work).
//
// The running max is carried per output element: the state of a reduction
// is a Tuple over one index space. To keep the rescaling cheap, the tile's
// probabilities are taken relative to the tile's own max, so each fold needs
// a single exp per element: exp(-|m_old - m_tile|), applied to whichever
// side has the smaller max.
//
// The kernel takes its chain and its tile predicate as functions, so that
// ops without a chain of IR (attn.nsa's branches) use it too.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::TailStrategy;
using Halide::Var;

namespace {
constexpr int kQueryTile = kFlashQueryTile;
constexpr int kKeyTile = kFlashKeyTile;

/// Consecutive query heads of `op` that share every key and value head:
/// H / (the most KV heads), if every KV head count divides that; 1 where a
/// count is dynamic.
int64_t sharedHeadGroup(AttentionOp op) {
  SmallVector<int64_t> counts = {dimSize(op.getValues(), 1)};
  for (Value key : op.getKeys())
    counts.push_back(dimSize(key, 1));
  int64_t heads = dimSize(op.getOutput(), 1), most = *llvm::max_element(counts);
  if (ShapedType::isDynamic(heads) ||
      llvm::any_of(counts,
                   [&](int64_t n) {
                     return ShapedType::isDynamic(n) || n <= 0 || most % n;
                   }) ||
      heads % most)
    return 1;
  return heads / most;
}
} // namespace

Expr cpu::keyTileMayBeVisible(MaskKind kind, int size, int stride, Expr first,
                              Expr pFirst, Expr pLast, Expr L) {
  masks::Mask mask{kind, size, stride};
  // Compressed keys count blocks, not tokens.
  Expr visible =
      kind == MaskKind::compressed ? Halide::Internal::const_true() : first < L;
  return visible && first < masks::keyEnd<HalideMaskOps>(mask, pLast, L) &&
         first + kKeyTile - 1 >= masks::keyBegin<HalideMaskOps>(mask, pFirst);
}

LogicalResult cpu::lowerAttention(AttentionOp op, LoweringContext &ctx) {
  FlashAttention kernel;
  kernel.op = op;
  kernel.pairs = scorePairs(ctx, op, op.getQueries(), op.getKeys());
  kernel.values = ctx.get(op.getValues());
  kernel.scale = op.getScale().convertToDouble();
  const HTensor &q0 = kernel.pairs[0].first, &k0 = kernel.pairs[0].second;
  const HTensor &v = kernel.values;
  Expr B = q0.shape[0], H = q0.shape[1], T = q0.shape[2], S = k0.shape[2];
  requireValues(ctx, op, v, B, H, S);
  std::vector<Expr> scoreShape = {B, H, T, S};
  kernel.shape =
      resultShape(ctx, op, op.getOutput().getType(), {B, H, T, v.shape[3]});
  kernel.chain = [&, op](Expr score, Expr b, Expr h, Expr t, Expr s) mutable {
    return applyAttentionChain(op, ctx, {score, Halide::Internal::const_true()},
                               b, h, t, s, scoreShape);
  };
  kernel.tileVisible = [&, op](Expr kt, Expr tFirst, Expr tLast, Expr,
                               Expr b) mutable {
    Expr visible = Halide::Internal::const_true();
    for (KeyMaskAttr mask : op.getKeyMasks()) {
      Expr L = mask.getKind() == MaskKind::compressed ? T : S;
      if (Value lengths = op.getLengths())
        L = ctx.get(lengths)({b});
      visible = visible && keyTileMayBeVisible(
                               mask.getKind(), mask.getSize(), mask.getStride(),
                               kt * kKeyTile, L - T + tFirst, L - T + tLast, L);
    }
    return visible;
  };
  kernel.headGroup = sharedHeadGroup(op);
  std::optional<HTensor> output = flashAttention(ctx, kernel);
  if (!output)
    return failure();
  ctx.set(op.getOutput(), *output);
  // The log-sum-exp, where the program reads it, over scores formed whole.
  if (!op.getLse().use_empty()) {
    HTensor scores = dotScores(ctx, op, kernel.pairs, kernel.scale, scoreShape);
    IndexVars idx(4);
    ChainScore value = applyAttentionChain(
        op, ctx, {scores(idx.exprs()), Halide::Internal::const_true()}, idx[0],
        idx[1], idx[2], idx[3], scoreShape);
    if (!value.score.defined())
      return failure();
    HTensor chained{ctx.newFunc(op, "_chained"), scoreShape, Halide::Float(32)};
    Halide::Func kept = ctx.newFunc(op, "_kept");
    chained.func(idx.halide) = value.score;
    kept(idx.halide) = Halide::cast<uint8_t>(value.kept);
    scheduleRoot(chained);
    kept.compute_root();
    HTensor lse =
        logSumExpRows(ctx, op, chained, [&](Expr b, Expr h, Expr t, Expr s) {
          return kept(s, t, h, b) != 0;
        });
    ctx.set(op.getLse(), lse);
  }
  return success();
}

std::optional<HTensor> cpu::flashAttention(LoweringContext &ctx,
                                           const FlashAttention &kernel) {
  Operation *op = kernel.op;
  const HTensor &q0 = kernel.pairs[0].first, &k0 = kernel.pairs[0].second;
  const HTensor &v = kernel.values;
  Expr H = q0.shape[1], T = q0.shape[2], S = k0.shape[2];
  const int lanes = vectorLanes();

  Var d("d"), ti("ti"), to("to"), si("si"), r("r"), g("g"), b("b");
  // Rows of a tile: (head, query) pairs of a group of `group` heads, row
  // `row` being head g group + row / T, query row % T. Prefill (T of a tile
  // or more) keeps one head per group, so a tile's queries are consecutive.
  Expr group = kernel.headGroup > 1
                   ? Halide::select(T < kQueryTile, Expr(kernel.headGroup), 1)
                   : Expr(1);
  Expr rows = group * T, Tdiv = Halide::max(T, 1);
  Expr row = Halide::min(to * kQueryTile + ti, Halide::max(rows - 1, 0));
  Expr hq = g * group + row / Tdiv, tq = row % Tdiv;
  // Every head of a group reads the same key and value heads.
  Expr hShared = g * group;
  Expr key = r * kKeyTile + si;
  // Keys past the end are masked; their reads stay in bounds, also when
  // there are no keys at all (S = 0: no tile runs, but bounds still hold).
  Expr lastKey = Halide::max(S - 1, 0);
  Expr keyClamped = Halide::min(key, lastKey);

  // Scores of one (query tile, key tile) block, summed over the pairs.
  Func block = ctx.newFunc(op, "_flash_scores");
  block(si, ti, r, to, g, b) = 0.0f;
  std::vector<Func> packedQueries;
  std::vector<RDom> headDims;
  for (const auto &[q, k] : kernel.pairs) {
    // Queries transposed so a column of the tile is one vector load.
    Func packed = ctx.newFunc(op, "_flash_queries");
    packed(ti, d, to, g, b) = q({b, hq, tq, d}) * kernel.scale;
    packedQueries.push_back(packed);
    RDom dk(0, q.shape[3], "dk");
    headDims.push_back(dk);
    block(si, ti, r, to, g, b) +=
        packed(ti, dk, to, g, b) *
        k({b, sharedHead(hShared, H, k.shape[1]), keyClamped, dk});
  }

  ChainScore chainedScore =
      kernel.chain(block(si, ti, r, to, g, b), b, hq, tq, keyClamped);
  if (!chainedScore.score.defined())
    return std::nullopt;
  // Masked scores are known by the kept flag, never by value (Halide 21
  // compiles floats as finite): they hold the lowest finite float, neutral
  // in the tile's maximum, and get probability 0.
  Expr kept = key < S && chainedScore.kept;
  Func chained = ctx.newFunc(op, "_flash_masked");
  chained(si, ti, r, to, g,
          b) = {Halide::select(kept, chainedScore.score, lowestFloat()),
                Halide::cast<uint8_t>(kept)};

  RDom rs(0, kKeyTile, "rs");
  Func tileMax = ctx.newFunc(op, "_flash_tile_max");
  tileMax(ti, r, to, g, b) = Halide::maximum(chained(rs, ti, r, to, g, b)[0]);
  Expr m = tileMax(ti, r, to, g, b);
  Func prob = ctx.newFunc(op, "_flash_probs");
  prob(si, ti, r, to, g, b) =
      Halide::select(chained(si, ti, r, to, g, b)[1] == 0, 0.0f,
                     Halide::exp(chained(si, ti, r, to, g, b)[0] - m));
  Func tileSum = ctx.newFunc(op, "_flash_tile_sum");
  tileSum(ti, r, to, g, b) = Halide::sum(prob(rs, ti, r, to, g, b));
  Func tileOut = ctx.newFunc(op, "_flash_tile_out");
  tileOut(d, ti, r, to, g, b) = 0.0f;
  // A masked key contributes nothing, even where its value slot holds NaN
  // (a stale cache entry): its weighted value is never added.
  tileOut(d, ti, r, to, g, b) +=
      Halide::select(chained(rs, ti, r, to, g, b)[1] == 0, 0.0f,
                     prob(rs, ti, r, to, g, b) *
                         v({b, sharedHead(hShared, H, v.shape[1]),
                            Halide::min(r * kKeyTile + rs, lastKey), d}));

  // The online softmax over key tiles, skipping tiles the masks hide. A
  // tile within one head sees its own queries; one across heads, all T.
  Expr firstRow = to * kQueryTile,
       lastRow = Halide::min(firstRow + kQueryTile, rows) - 1;
  Expr oneHead = firstRow / Tdiv == lastRow / Tdiv;
  Expr tFirst = Halide::select(oneHead, firstRow % Tdiv, 0),
       tLast = Halide::select(oneHead, lastRow % Tdiv, T - 1);
  Func running = ctx.newFunc(op, "_flash_running");
  running(d, ti, to, g, b) = {0.0f, lowestFloat(), 0.0f};
  RDom kt(0, (S + kKeyTile - 1) / kKeyTile, "kt");
  kt.where(
      kernel.tileVisible(kt, tFirst, tLast, g * group + firstRow / Tdiv, b));
  Expr acc = running(d, ti, to, g, b)[0], mOld = running(d, ti, to, g, b)[1],
       sum = running(d, ti, to, g, b)[2];
  Expr mTile = tileMax(ti, kt, to, g, b);
  Expr outTile = tileOut(d, ti, kt, to, g, b);
  Expr sumTile = tileSum(ti, kt, to, g, b);
  // A side that has kept no key has sum 0 (a kept key adds at least
  // exp(0) = 1) and holds zeros; its max means nothing. When both sides
  // have keys, exp(-|difference|) rescales the one with the smaller max.
  Expr oldEmpty = sum == 0.0f, tileEmpty = sumTile == 0.0f;
  Expr grows = !tileEmpty && (oldEmpty || mTile > mOld);
  Expr factor = Halide::select(oldEmpty || tileEmpty, 0.0f,
                               Halide::exp(-Halide::abs(mOld - mTile)));
  running(d, ti, to, g, b) = {
      Halide::select(grows, acc * factor + outTile, acc + outTile * factor),
      Halide::select(grows, mTile, mOld),
      Halide::select(grows, sum * factor + sumTile, sum + sumTile * factor)};

  // The normalized rows of each group; with groups of one head they are the
  // result itself.
  Func flat = ctx.newFunc(op, "_flash");
  Var x("x");
  Expr total = running(d, x % kQueryTile, x / kQueryTile, g, b)[2];
  // A fully masked row has total 0 and output 0, as softmax defines it.
  flat(d, x, g, b) = Halide::select(
      total == 0.0f, 0.0f,
      running(d, x % kQueryTile, x / kQueryTile, g, b)[0] / total);
  HTensor out{flat, kernel.shape, Halide::Float(32)};
  if (kernel.headGroup > 1) {
    Var t("t"), h("h");
    out.func = ctx.newFunc(op, "_flash_heads");
    out.func(d, t, h, b) = flat(d, h % group * T + t, h / group, b);
    out.func.compute_root().parallel(b).vectorize(d, lanes,
                                                  TailStrategy::GuardWithIf);
  }

  // Schedule: one task per (query tile, head group, batch entry).
  Var tTile("t_tile"), tInner("t_inner"), task("task");
  flat.compute_root()
      .split(x, tTile, tInner, kQueryTile, TailStrategy::GuardWithIf)
      .reorder(d, tInner, tTile, g, b)
      .fuse(tTile, g, task)
      .fuse(task, b, task)
      .parallel(task)
      .vectorize(d, lanes, TailStrategy::GuardWithIf);
  for (Func &packed : packedQueries)
    packed.compute_at(flat, task)
        .bound_extent(ti, kQueryTile)
        .vectorize(ti, lanes);
  running.compute_at(flat, task).vectorize(d, lanes, TailStrategy::GuardWithIf);
  running.update().reorder(d, ti, kt).vectorize(d, lanes,
                                                TailStrategy::GuardWithIf);

  // Register-blocked micro-kernels: the reduction loops outside a block of
  // accumulators (vectors of queries x unrolled keys for the scores, vectors
  // of the value dim x unrolled queries for the weighted values).
  Var tiOuter("ti_o"), tiInner("ti_i"), siOuter("si_o"), siInner("si_i");
  block.compute_at(running, kt)
      .bound_extent(si, kKeyTile)
      .bound_extent(ti, kQueryTile)
      .reorder_storage(ti, si)
      .vectorize(ti, lanes);
  for (int stage = 0; stage < block.num_update_definitions(); ++stage)
    block.update(stage)
        .split(ti, tiOuter, tiInner, 2 * lanes)
        .split(si, siOuter, siInner, 4)
        .reorder(tiInner, siInner, headDims[stage].x, tiOuter, siOuter)
        .vectorize(tiInner, lanes)
        .unroll(tiInner)
        .unroll(siInner);
  // The chain once per score, for the max, the probabilities and the mask
  // the weighted values read.
  chained.compute_at(running, kt).reorder_storage(ti, si).vectorize(ti, lanes);
  tileMax.compute_at(running, kt).vectorize(ti, lanes);
  prob.compute_at(running, kt).reorder_storage(ti, si).vectorize(ti, lanes);
  tileSum.compute_at(running, kt).vectorize(ti, lanes);
  Var dOuter("d_o"), dInner("d_i");
  tileOut.compute_at(running, kt)
      .bound_extent(ti, kQueryTile)
      .vectorize(d, lanes, TailStrategy::GuardWithIf);
  tileOut.update()
      .split(d, dOuter, dInner, 4 * lanes, TailStrategy::GuardWithIf)
      .split(ti, tiOuter, tiInner, 2)
      .reorder(dInner, tiInner, rs, dOuter, tiOuter)
      .vectorize(dInner, lanes)
      .unroll(dInner)
      .unroll(tiInner);
  return out;
}
