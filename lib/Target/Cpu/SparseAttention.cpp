//===- SparseAttention.cpp - NSA, MLA and DSA ops -------------------------===//
//
// Block compression, top-k selection, gated branch mixing, the fused NSA op
// (built from those and the online-softmax kernel), per-head projections,
// rotary embeddings and the DSA indexer. Top-k selection is
// rank-based: an element is kept when fewer than k competitors beat it
// (higher score, or equal with a lower index), and the kept indices are
// scattered, ascending, to the slots a prefix count gives them. That is the
// interpreter's stable sort without data-dependent control flow.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llvm/ADT/TypeSwitch.h"

#include <array>
#include <functional>

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;

namespace {
/// The Vars of per-row Funcs f(j, t, g, b) (Halide order): element j of row
/// (b, g, t).
struct RowVars {
  Halide::Var j{"j"}, t{"t"}, g{"g"}, b{"b"};
};

/// rank(j) = #{candidates i in [0, n): score(i) > score(j), or equal with
/// i < j}: the position of j in a stable descending sort of the candidates.
Halide::Func rankAmong(LoweringContext &ctx, Operation *op,
                       const Halide::Func &score, Expr n,
                       const std::function<Expr(Expr)> &candidate) {
  RowVars v;
  Halide::Func rank = ctx.newFunc(op, "_rank");
  rank(v.j, v.t, v.g, v.b) = 0;
  Halide::RDom i(0, n, "i");
  i.where(candidate(i));
  Expr other = score(i, v.t, v.g, v.b), self = score(v.j, v.t, v.g, v.b);
  rank(v.j, v.t, v.g, v.b) +=
      Halide::select(other > self || (other == self && i < v.j), 1, 0);
  scheduleRoot(rank);
  return rank;
}

/// The indices j in [0, n) with chosen(j, t, g, b) set, ascending, then -1
/// up to `top` slots; at most `top` may be set.
Halide::Func gatherChosen(LoweringContext &ctx, Operation *op,
                          const Halide::Func &chosen, Expr n, int top) {
  RowVars v;
  // count(j) = chosen entries in [0, j]: a chosen j goes to slot count - 1.
  Halide::Func count = ctx.newFunc(op, "_count");
  count(v.j, v.t, v.g, v.b) = Halide::cast<int>(chosen(v.j, v.t, v.g, v.b));
  Halide::RDom scan(1, Halide::max(n - 1, 0), "scan");
  count(scan, v.t, v.g, v.b) = count(scan - 1, v.t, v.g, v.b) +
                               Halide::cast<int>(chosen(scan, v.t, v.g, v.b));
  Halide::Func out = ctx.newFunc(op);
  out(v.j, v.t, v.g, v.b) = -1;
  Halide::RDom r(0, n, "r");
  r.where(chosen(r, v.t, v.g, v.b) != 0);
  // The clamp only tells bounds inference what the selection guarantees.
  out(Halide::clamp(count(r, v.t, v.g, v.b) - 1, 0, top - 1), v.t, v.g, v.b) =
      Halide::cast<int>(r);
  scheduleRoot(count);
  scheduleRoot(out);
  return out;
}

/// Compressed tokens made from S tokens, as CompressOp::getNumBlocks.
Expr compressedLength(Expr S, int block, int stride) {
  return Halide::select(S < block, 0, (S - block) / stride + 1);
}

/// attn.compress of `x` into `shape` [B, H, blocks, D]: the mean of each
/// block, or the MLP of `weights` (position encoding, W1, W2), whose sizes
/// are checked at run time; `what` names them in messages.
HTensor compressBlocks(LoweringContext &ctx, Operation *op, const HTensor &x,
                       PoolingKind pooling, int block, int stride,
                       ValueRange weights, StringRef what,
                       std::vector<Expr> shape) {
  Expr B = x.shape[0], H = x.shape[1], S = x.shape[2], D = x.shape[3];
  Expr blocks = compressedLength(S, block, stride);
  HTensor out{ctx.newFunc(op), std::move(shape), Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], i = idx[2], d = idx[3];
  // Token j of block i. Every block lies inside the input; the bound only
  // keeps bounds inference inside it when there is no block at all.
  auto token = [&](Expr j) { return Halide::min(i * stride + j, S - 1); };
  out.func(idx.halide) = 0.0f;
  if (pooling == PoolingKind::mean) {
    Halide::RDom j(0, block, "j");
    out.func(idx.halide) += x({b, h, token(j), d}) * (1.0f / block);
    scheduleRoot(out);
    return out;
  }
  const HTensor &pe = ctx.get(weights[0]);
  const HTensor &w1 = ctx.get(weights[1]);
  const HTensor &w2 = ctx.get(weights[2]);
  Expr hidden = w1.shape[1];
  ctx.require(op, pe.shape[0] == block && pe.shape[1] == D,
              "the " + what + "position encoding is not [block, head dim]");
  ctx.require(op, w1.shape[0] == block * D,
              "the " + what +
                  "W1 does not take a flattened block [block * head dim]");
  ctx.require(op, w2.shape[0] == hidden && w2.shape[1] == D,
              "the " + what + "W2 is not [hidden, head dim]");
  // act(u) = sum over the block's tokens j and dims e of
  // (x + pe)[j, e] W1[j*D + e, u]; the result is relu(act) W2.
  Halide::Var u("u");
  HTensor act{
      ctx.newFunc(op, "_hidden"), {B, H, blocks, hidden}, Halide::Float(32)};
  Halide::RDom je(0, D, 0, block, "je");
  Expr e = je.x, j = je.y;
  act.func(u, i, h, b) = 0.0f;
  act.func(u, i, h, b) +=
      (x({b, h, token(j), e}) + pe({j, e})) * w1({j * D + e, u});
  scheduleRoot(act);
  Halide::RDom r(0, hidden, "u");
  out.func(idx.halide) += Halide::max(act({b, h, i, r}), 0.0f) * w2({r, d});
  scheduleRoot(out);
  return out;
}

LogicalResult lowerCompress(CompressOp op, LoweringContext &ctx) {
  const HTensor &x = ctx.get(op.getInput());
  int block = op.getBlock(), stride = op.getStride();
  std::vector<Expr> shape =
      resultShape(ctx, op, op.getType(),
                  {x.shape[0], x.shape[1],
                   compressedLength(x.shape[2], block, stride), x.shape[3]});
  ctx.set(op.getResult(), compressBlocks(ctx, op, x, op.getPooling(), block,
                                         stride, op.getWeights(), "", shape));
  return success();
}

/// The parameters of an NSA block selection.
struct BlockSelection {
  int compressBlock, compressStride, block, top, initial, local;
};

/// attn.select_blocks of the compressed probabilities `p` [B, Hq, T, Nc]
/// for `G` head groups into `shape` [B, G, T, top].
HTensor selectBlocks(LoweringContext &ctx, Operation *op, const HTensor &p,
                     Expr G, const BlockSelection &sel,
                     std::vector<Expr> shape) {
  Expr Hq = p.shape[1], T = p.shape[2], Nc = p.shape[3];
  int top = sel.top, block = sel.block;
  int cBlock = sel.compressBlock, cStride = sel.compressStride;
  int initial = sel.initial, local = sel.local;
  RowVars v;
  Expr groupSize = Hq / G;
  // Self-attention: query t sits at token t and may pick the blocks up to
  // its own; `blocks` covers every query's.
  Expr blocks = (T + block - 1) / block;
  Expr own = v.t / block;

  // Block j scores the probabilities of the compressed blocks overlapping it
  // (tokens [i*cStride, i*cStride + cBlock)), summed in the interpreter's
  // order (compressed block outer, head inner) so that blocks covered alike
  // tie exactly, as they do there.
  Halide::Func score = ctx.newFunc(op, "_score");
  score(v.j, v.t, v.g, v.b) = 0.0f;
  Halide::RDom hi(0, groupSize, 0, Nc, "hi");
  hi.where(hi.y * cStride <= v.j * block + block - 1 &&
           hi.y * cStride + cBlock - 1 >= v.j * block);
  score(v.j, v.t, v.g, v.b) += p({v.b, v.g * groupSize + hi.x, v.t, hi.y});
  scheduleRoot(score);

  // The first `initial` and the last `local` eligible blocks are always
  // kept (no more than top of them, as verified); the other eligible blocks
  // compete for the remaining slots.
  auto forced = [&](Expr j) {
    return j <= own && (j < initial || own - j < local);
  };
  Halide::Func forcedCount = ctx.newFunc(op, "_forced");
  Halide::RDom f(0, blocks, "f");
  forcedCount(v.t) = 0;
  forcedCount(v.t) += Halide::select(forced(f), 1, 0);
  forcedCount.compute_root();
  Halide::Func rank = rankAmong(ctx, op, score, blocks,
                                [&](Expr i) { return i <= own && !forced(i); });
  Halide::Func chosen = ctx.newFunc(op, "_chosen");
  chosen(v.j, v.t, v.g, v.b) = Halide::cast<uint8_t>(
      forced(v.j) ||
      (v.j <= own && rank(v.j, v.t, v.g, v.b) < top - forcedCount(v.t)));
  return {gatherChosen(ctx, op, chosen, blocks, top), std::move(shape),
          Halide::Int(32)};
}

LogicalResult lowerSelectBlocks(SelectBlocksOp op, LoweringContext &ctx) {
  const HTensor &p = ctx.get(op.getProbs());
  int G = cast<ShapedType>(op.getType()).getDimSize(1);
  int top = op.getTop();
  ctx.require(op, p.shape[1] % G == 0,
              "the heads are not a multiple of " + Twine(G) + " groups");
  std::vector<Expr> shape =
      resultShape(ctx, op, op.getType(), {p.shape[0], G, p.shape[2], top});
  BlockSelection sel{static_cast<int>(op.getCompressBlock()),
                     static_cast<int>(op.getCompressStride()),
                     static_cast<int>(op.getBlock()),
                     top,
                     static_cast<int>(op.getInitial()),
                     static_cast<int>(op.getLocal())};
  ctx.set(op.getResult(), selectBlocks(ctx, op, p, G, sel, shape));
  return success();
}

/// attn.gate_combine into `shape`: branch c weighted by sigmoid(gates[c]).
HTensor gateCombine(LoweringContext &ctx, Operation *op,
                    ArrayRef<HTensor> branches, const HTensor &gates,
                    std::vector<Expr> shape) {
  HTensor out{ctx.newFunc(op), std::move(shape), Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2];
  Expr sum = 0.0f;
  for (auto [c, branch] : llvm::enumerate(branches)) {
    Expr gate = 1.0f / (1.0f + Halide::exp(-gates({b, h, t, int(c)})));
    sum = sum + gate * branch(idx.exprs());
  }
  out.func(idx.halide) = sum;
  scheduleRoot(out);
  return out;
}

LogicalResult lowerGateCombine(GateCombineOp op, LoweringContext &ctx) {
  const HTensor &gates = ctx.get(op.getGates());
  const HTensor &first = ctx.get(op.getBranches()[0]);
  int branches = op.getBranches().size();
  for (Value branch : op.getBranches())
    for (int d = 0; d < 4; ++d)
      ctx.require(op, ctx.get(branch).shape[d] == first.shape[d],
                  "branch outputs differ in shape");
  ctx.require(
      op,
      gates.shape[0] == first.shape[0] && gates.shape[1] == first.shape[1] &&
          gates.shape[2] == first.shape[2] && gates.shape[3] == branches,
      "gates do not match the branches");
  std::vector<HTensor> outputs;
  for (Value branch : op.getBranches())
    outputs.push_back(ctx.get(branch));
  ctx.set(op.getResult(),
          gateCombine(ctx, op, outputs, gates,
                      resultShape(ctx, op, op.getType(), first.shape)));
  return success();
}

/// attn.nsa with each branch in the form that suits it: the compressed
/// branch generically (its probabilities are the selection's input anyway,
/// and its scores are T x T / stride), the selected and window branches as
/// online-softmax kernels that skip the key tiles no query of a tile sees:
/// outside the window, or holding no block the tile's queries selected.
LogicalResult lowerNsa(NsaOp op, LoweringContext &ctx) {
  const HTensor &q = ctx.get(op.getQuery()), &k = ctx.get(op.getKey()),
                &v = ctx.get(op.getValue()), &gates = ctx.get(op.getGates());
  Expr B = q.shape[0], Hq = q.shape[1], T = q.shape[2], Hkv = k.shape[1];
  Expr Dk = q.shape[3], Dv = v.shape[3];
  ctx.require(op, k.shape[0] == B && k.shape[2] == T && k.shape[3] == Dk,
              "the keys do not match the queries (self-attention: as many "
              "keys as queries)");
  ctx.require(op, v.shape[0] == B && v.shape[1] == Hkv && v.shape[2] == T,
              "the values do not match the keys");
  ctx.require(op, Hkv > 0 && Hq % Halide::max(Hkv, 1) == 0,
              "the query heads are not a multiple of the key heads");
  ctx.require(op,
              gates.shape[0] == B && gates.shape[1] == Hq &&
                  gates.shape[2] == T && gates.shape[3] == 3,
              "the gates are not [batch, query heads, length, 3]");
  int block = op.getCompressBlock(), stride = op.getCompressStride();
  int selectBlock = op.getSelectBlock(), top = op.getTop();
  int window = op.getWindow();
  float scale = op.getScale().convertToDouble();
  std::vector<Expr> outShape =
      resultShape(ctx, op, op.getType(), {B, Hq, T, Dv});
  Expr Nc = compressedLength(T, block, stride);
  HTensor kc = compressBlocks(ctx, op, k, op.getPooling(), block, stride,
                              op.getKeyWeights(), "key ", {B, Hkv, Nc, Dk});
  HTensor vc = compressBlocks(ctx, op, v, op.getPooling(), block, stride,
                              op.getValueWeights(), "value ", {B, Hkv, Nc, Dv});
  std::array<HTensor, 3> branches;

  // Compressed branch: the blocks that end at or before the query (query t
  // at token t).
  HTensor scores = dotScores(ctx, op, {{q, kc}}, scale, {B, Hq, T, Nc});
  HTensor probs =
      softmaxRows(ctx, op, scores, [&](Expr, Expr, Expr t, Expr s) {
        return positionKeeps(MaskKind::compressed, block, stride, s, t);
      });
  branches[NsaOp::Compressed] = aggregateValues(ctx, op, probs, vc, outShape);

  // Selected branch: causal attention over the blocks ranked highest by the
  // compressed probabilities, one selection per KV head.
  BlockSelection sel{block,
                     stride,
                     selectBlock,
                     top,
                     static_cast<int>(op.getInitial()),
                     static_cast<int>(op.getLocal())};
  HTensor indices =
      selectBlocks(ctx, op, probs, Hkv, sel, {B, Hkv, T, Expr(top)});
  Halide::Func selected = selectedBlocks(ctx, op, indices);
  // tileSelected(kt, qt, g, b): some query of query tile qt selected a block
  // that overlaps key tile kt.
  Halide::Var kt("kt"), qt("qt"), g("g"), b("b");
  Halide::RDom slot(0, kFlashQueryTile, 0, top, "slot");
  Expr blockIndex = indices(
      {b, g, Halide::min(qt * kFlashQueryTile + slot.x, Halide::max(T - 1, 0)),
       slot.y});
  Halide::Func tileSelected = ctx.newFunc(op, "_tile_selected");
  tileSelected(kt, qt, g, b) =
      Halide::cast<uint8_t>(Halide::maximum(Halide::select(
          blockIndex >= 0 &&
              blockIndex * selectBlock <=
                  kt * kFlashKeyTile + kFlashKeyTile - 1 &&
              blockIndex * selectBlock + selectBlock - 1 >= kt * kFlashKeyTile,
          1, 0)));
  tileSelected.compute_root().parallel(b);
  Expr groupSize = Hq / Hkv;
  FlashAttention kernel;
  kernel.op = op;
  kernel.pairs = {{q, k}};
  kernel.values = v;
  kernel.scale = scale;
  kernel.shape = outShape;
  kernel.chain = [&](Expr score, Expr b, Expr h, Expr t, Expr s) {
    return ChainScore{score,
                      positionKeeps(MaskKind::causal, 0, 0, s, t) &&
                          selected(s / selectBlock, t, h / groupSize, b) != 0};
  };
  // One head per tile (no head groups): query tile tFirst / kFlashQueryTile.
  kernel.tileVisible = [&](Expr kt, Expr tFirst, Expr tLast, Expr h, Expr b) {
    return keyTileMayBeVisible(MaskKind::causal, 0, 0, kt * kFlashKeyTile,
                               tFirst, tLast, T) &&
           tileSelected(kt, tFirst / kFlashQueryTile, h / groupSize, b) != 0;
  };
  std::optional<HTensor> selectedOut = flashAttention(ctx, kernel);

  // Window branch: the last `window` tokens.
  kernel.chain = [&](Expr score, Expr, Expr, Expr t, Expr s) {
    return ChainScore{score,
                      positionKeeps(MaskKind::sliding_window, window, 0, s, t)};
  };
  kernel.tileVisible = [&](Expr kt, Expr tFirst, Expr tLast, Expr, Expr) {
    return keyTileMayBeVisible(MaskKind::sliding_window, window, 0,
                               kt * kFlashKeyTile, tFirst, tLast, T);
  };
  std::optional<HTensor> windowOut = flashAttention(ctx, kernel);
  // Both chains are plain selects: they always lower.
  branches[NsaOp::Selected] = *selectedOut;
  branches[NsaOp::Window] = *windowOut;

  std::vector<HTensor> byColumn(3);
  for (auto which : {NsaOp::Compressed, NsaOp::Selected, NsaOp::Window})
    byColumn[op.getGateColumn(which)] = branches[which];
  ctx.set(op.getResult(), gateCombine(ctx, op, byColumn, gates, outShape));
  return success();
}

LogicalResult lowerProject(ProjectOp op, LoweringContext &ctx) {
  const HTensor &x = ctx.get(op.getInput()), &w = ctx.get(op.getWeight());
  bool transposed = op.getTransposed();
  Expr B = x.shape[0], Hin = x.shape[1], T = x.shape[2], Din = x.shape[3];
  Expr Hout = w.shape[0], Dout = w.shape[transposed ? 1 : 2];
  ctx.require(op, w.shape[transposed ? 2 : 1] == Din,
              "the weight's input dim does not match the input");
  ctx.require(op, Hin > 0 && Hout % Halide::max(Hin, 1) == 0,
              "the weight heads are not a multiple of the input heads");
  HTensor out{ctx.newFunc(op),
              resultShape(ctx, op, op.getType(), {B, Hout, T, Dout}),
              Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2], o = idx[3];
  // W[h] with the output dim innermost, so the output vectorizes along
  // contiguous weights; the transposed form pays one copy of the weights.
  Halide::Var hw("hw"), iw("iw"), ow("ow");
  Halide::Func weight = ctx.newFunc(op, "_weight");
  weight(ow, iw, hw) = transposed ? w({hw, ow, iw}) : w({hw, iw, ow});
  Halide::RDom i(0, Din, "i");
  Halide::Func acc = ctx.newFunc(op, "_acc");
  acc(idx.halide) = 0.0f;
  acc(idx.halide) += x({b, sharedHead(h, Hout, Hin), t, i}) * weight(o, i, h);
  out.func(idx.halide) = acc(idx.halide);

  std::optional<int64_t> outDim = compat::constInt(out.shape[3]);
  int lanes = vectorLanes();
  if (transposed)
    weight.compute_root().parallel(hw).vectorize(
        ow, lanes, Halide::TailStrategy::GuardWithIf);
  if (outDim && *outDim % (4 * lanes) == 0) {
    // Register blocking: four vectors of outputs accumulate in registers
    // across the whole reduction.
    Halide::Var oo("oo"), oi("oi");
    out.func.compute_root()
        .split(o, oo, oi, 4 * lanes)
        .vectorize(oi, lanes)
        .parallel(h);
    acc.compute_at(out.func, oo).vectorize(o, lanes).unroll(o);
    acc.update().reorder(o, i).vectorize(o, lanes).unroll(o);
  } else {
    scheduleRoot(out);
  }
  ctx.set(op.getResult(), out);
  return success();
}

LogicalResult lowerRope(RopeOp op, LoweringContext &ctx) {
  const HTensor &x = ctx.get(op.getInput());
  Expr B = x.shape[0], T = x.shape[2];
  // The verifier keeps the head dim static and even.
  int D = cast<ShapedType>(op.getType()).getDimSize(3), half = D / 2;
  HTensor out{ctx.newFunc(op), resultShape(ctx, op, op.getType(), x.shape),
              Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], t = idx[2], d = idx[3];
  Expr pos = t;
  if (Value lengths = op.getLengths()) {
    const HTensor &len = ctx.get(lengths);
    ctx.require(op, len.shape[0] == B,
                "lengths do not hold one entry per batch entry");
    pos = Halide::require(len({b}) >= 0, len({b}),
                          "rope: a sequence length is negative in",
                          ctx.function.getName().str()) -
          T + t;
  }
  // Angles in f64, as positions times small frequencies lose digits in
  // f32; one table per (b, t) serves every head.
  Halide::Var i("i");
  Expr angle = Halide::cast<double>(pos) *
               Halide::pow(Expr(op.getTheta().convertToDouble()),
                           Halide::cast<double>(-2 * i) / D);
  Halide::Func cosine = ctx.newFunc(op, "_cos"), sine = ctx.newFunc(op, "_sin");
  cosine(i, t, b) = Halide::cast<float>(Halide::cos(angle));
  sine(i, t, b) = Halide::cast<float>(Halide::sin(angle));
  for (Halide::Func table : {cosine, sine})
    table.compute_root().parallel(b);
  // (x_i, x_{i+D/2}) -> (x_i c - x_{i+D/2} s, x_{i+D/2} c + x_i s).
  Expr pair = d % half, partner = (d + half) % D;
  Expr sign = Halide::select(d < half, -1.0f, 1.0f);
  out.func(idx.halide) = x({b, h, t, d}) * cosine(pair, t, b) +
                         sign * x({b, h, t, partner}) * sine(pair, t, b);
  scheduleRoot(out);
  ctx.set(op.getResult(), out);
  return success();
}

LogicalResult lowerIndexScore(IndexScoreOp op, LoweringContext &ctx) {
  const HTensor &q = ctx.get(op.getQuery()), &k = ctx.get(op.getKey()),
                &w = ctx.get(op.getWeights());
  Expr B = q.shape[0], Hi = q.shape[1], T = q.shape[2], D = q.shape[3];
  Expr S = k.shape[2];
  ctx.require(op, k.shape[0] == B && k.shape[1] == 1 && k.shape[3] == D,
              "indexer keys do not match the queries");
  ctx.require(op, w.shape[0] == B && w.shape[1] == Hi && w.shape[2] == T,
              "indexer weights do not match the queries");
  HTensor out{ctx.newFunc(op), resultShape(ctx, op, op.getType(), {B, 1, T, S}),
              Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], t = idx[2], s = idx[3], jv("jv");
  HTensor dot{ctx.newFunc(op, "_dot"), {B, Hi, T, S}, Halide::Float(32)};
  Halide::RDom d(0, D, "d");
  dot.func(s, t, jv, b) = 0.0f;
  dot.func(s, t, jv, b) += q({b, jv, t, d}) * k({b, 0, s, d});
  scheduleRoot(dot);
  Halide::RDom j(0, Hi, "j");
  out.func(idx.halide) = 0.0f;
  out.func(idx.halide) +=
      w({b, j, t}) * Halide::max(dot.func(s, t, j, b), 0.0f);
  scheduleRoot(out);
  ctx.set(op.getResult(), out);
  return success();
}

LogicalResult lowerSelectTokens(SelectTokensOp op, LoweringContext &ctx) {
  const HTensor &x = ctx.get(op.getScores());
  Expr B = x.shape[0], G = x.shape[1], T = x.shape[2], S = x.shape[3];
  int top = op.getTop();
  RowVars v;
  Halide::Func score = ctx.newFunc(op, "_score");
  score(v.j, v.t, v.g, v.b) = x({v.b, v.g, v.t, v.j});
  scheduleRoot(score);
  // Masked keys are never chosen. A row with at most `top` unmasked keys
  // keeps them all: its ranks stay 0 and cost nothing.
  Halide::Func unmasked = ctx.newFunc(op, "_unmasked");
  Halide::RDom s(0, S, "s");
  unmasked(v.t, v.g, v.b) = 0;
  unmasked(v.t, v.g, v.b) +=
      Halide::select(isMinusInfinity(score(s, v.t, v.g, v.b)), 0, 1);
  scheduleRoot(unmasked);
  Halide::Func rank = rankAmong(ctx, op, score, S, [&](Expr i) {
    return unmasked(v.t, v.g, v.b) > top &&
           !isMinusInfinity(score(i, v.t, v.g, v.b));
  });
  Halide::Func chosen = ctx.newFunc(op, "_chosen");
  chosen(v.j, v.t, v.g, v.b) =
      Halide::cast<uint8_t>(!isMinusInfinity(score(v.j, v.t, v.g, v.b)) &&
                            rank(v.j, v.t, v.g, v.b) < top);
  HTensor out{gatherChosen(ctx, op, chosen, S, top),
              resultShape(ctx, op, op.getType(), {B, G, T, top}),
              Halide::Int(32)};
  ctx.set(op.getResult(), out);
  return success();
}
/// Slot s of sequence b: pages[table[b, s / P], s % P], zeros for a table
/// entry outside [0, N). Left inline, so kernels read the pages in place.
LogicalResult lowerPagedCache(PagedCacheOp op, LoweringContext &ctx) {
  const HTensor &pages = ctx.get(op.getPages()),
                &table = ctx.get(op.getTable());
  Expr N = pages.shape[0], P = pages.shape[1];
  HTensor out{ctx.newFunc(op),
              resultShape(ctx, op, op.getType(),
                          {table.shape[0], pages.shape[2], table.shape[1] * P,
                           pages.shape[3]}),
              Halide::Float(32)};
  IndexVars idx(4);
  Halide::Var b = idx[0], h = idx[1], s = idx[2], d = idx[3];
  Expr page = Halide::cast<int>(table({b, s / P}));
  Expr inRange = page >= 0 && page < N;
  out.func(idx.halide) = Halide::select(
      inRange, pages({Halide::clamp(page, 0, N - 1), s % P, h, d}), 0.0f);
  ctx.set(op.getResult(), out);
  return success();
}
} // namespace

std::optional<LogicalResult> cpu::lowerSparseAttentionOp(Operation *op,
                                                         LoweringContext &ctx) {
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case([&](CompressOp o) { return lowerCompress(o, ctx); })
      .Case([&](SelectBlocksOp o) { return lowerSelectBlocks(o, ctx); })
      .Case([&](GateCombineOp o) { return lowerGateCombine(o, ctx); })
      .Case([&](NsaOp o) { return lowerNsa(o, ctx); })
      .Case([&](ProjectOp o) { return lowerProject(o, ctx); })
      .Case([&](RopeOp o) { return lowerRope(o, ctx); })
      .Case([&](IndexScoreOp o) { return lowerIndexScore(o, ctx); })
      .Case([&](SelectTokensOp o) { return lowerSelectTokens(o, ctx); })
      .Case([&](PagedCacheOp o) { return lowerPagedCache(o, ctx); })
      .Default([](Operation *) { return std::nullopt; });
}
