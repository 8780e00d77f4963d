//===- LinearAttention.cpp - feature maps, decay, scans -------------------===//
//
// The linear attention family: the generic parallel form (feature_map, decay,
// score with a per-key gate), the recurrent form (attn.scan, run step by step
// from a state history) and the chunked form (attn.chunked_scan), the fast
// path: per chunk, register-blocked matmuls for the intra-chunk part, the
// chunk's own state contribution and the inter-chunk part, and a cheap scan
// over chunks of the Dk x Dv states in between.
//
// Gates are log-decays. Cumulative sums are kept in f64 and only differences
// (never positive) are exponentiated, so strong decay stays finite.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::Var;

namespace {
Expr toF64(Expr e) { return Halide::cast<double>(e); }
Expr toF32(Expr e) { return Halide::cast<float>(e); }

/// Vector lanes for a static extent: the host's width, halved until it
/// divides the extent.
int lanesFor(int extent) {
  int lanes = vectorLanes();
  while (lanes > 1 && extent % lanes != 0)
    lanes /= 2;
  return lanes;
}

void vectorizeInner(Halide::Stage stage, Var x, int extent) {
  if (int lanes = lanesFor(extent); lanes > 1)
    stage.vectorize(x, lanes);
}

/// Schedules out(x, y) = acc(x, y), where acc starts at 0 and each update
/// adds lhs(r, y) * rhs(x, r) over `reductions[i]`, as a matmul micro-kernel:
/// acc is computed per register tile of out (a few vectors along x times a
/// few unrolled rows y) with the reduction loop outside the tile, so LLVM
/// keeps the tile in registers. `cols` and `rows` are out's static extents;
/// every tile has a constant size (dividing `cols`, shifted inside `rows`).
void scheduleMatmul(Func out, Func acc, Var x, Var y,
                    llvm::ArrayRef<Halide::RVar> reductions, int cols,
                    int rows) {
  // One point in every outer dimension: a constant-size tile (fused outer
  // loops hide that from bounds inference).
  for (Var v : acc.args())
    if (v.name() != x.name() && v.name() != y.name())
      acc.bound_extent(v, 1);
  int lanes = lanesFor(cols);
  int bestVectors = 1, bestRows = 1;
  double bestUseful = 1;
  // AVX2 has 16 vector registers: the accumulators, one row of the vector
  // operand and a broadcast. Row counts need not divide `rows` (powers of
  // two): the last tile shifts inwards and recomputes a few rows, which
  // costs less than a smaller tile everywhere.
  for (int v : {4, 3, 2, 1})
    for (int r : {6, 4, 3, 2, 1}) {
      if ((cols / lanes) % v != 0 || rows < r || v * r + v + 1 > 16)
        continue;
      int tiles = (rows + r - 1) / r;
      double useful = double(v) * r * rows / (tiles * r);
      if (useful > bestUseful) {
        bestVectors = v;
        bestRows = r;
        bestUseful = useful;
      }
    }
  int width = lanes * bestVectors;
  Var xo("xo"), yo("yo"), xi("xi"), yi("yi");
  out.tile(x, y, xo, yo, xi, yi, width, bestRows)
      .reorder(xi, yi, yo, xo)
      .vectorize(xi, lanes);
  // Explicit names for the split of x: Halide 14 loses the unrolled outer
  // index after vectorize(x, n).unroll(x) here.
  Var vectors("vectors"), lane("lane");
  acc.compute_at(out, yo)
      .bound_extent(x, width)
      .bound_extent(y, bestRows)
      .split(x, vectors, lane, lanes)
      .vectorize(lane)
      .unroll(vectors)
      .unroll(y);
  for (auto [i, r] : llvm::enumerate(reductions))
    acc.update(i)
        .split(x, vectors, lane, lanes)
        .reorder(lane, vectors, y, r)
        .vectorize(lane)
        .unroll(vectors)
        .unroll(y);
}

/// Gates of a recurrence or a decay: [Hq], [B, Hq, T] or [B, Hq, T, Dk].
struct Gates {
  HTensor tensor;
  Expr at(Expr b, Expr h, Expr t, Expr d) const {
    switch (tensor.rank()) {
    case 1:
      return tensor({h});
    case 3:
      return tensor({b, h, t});
    default:
      return tensor({b, h, t, d});
    }
  }
  bool perKey() const { return tensor.rank() == 4; }
};

/// Requires `gates` to fit batch B, heads H and length T (and Dk per key).
void requireGates(LoweringContext &ctx, Operation *op, const Gates &g, Expr B,
                  Expr H, Expr T, Expr Dk, const llvm::Twine &message) {
  const std::vector<Expr> &s = g.tensor.shape;
  Expr fits = s[0] == H;
  if (g.tensor.rank() >= 3)
    fits = s[0] == B && s[1] == H && s[2] == T;
  if (g.perKey())
    fits = fits && s[3] == Dk;
  ctx.require(op, fits, message);
}

/// cum(d, t, h, b) (d only per key): the gates summed in f64 from the start
/// of t's segment (segments of `segment` steps; 0 for one segment) through t.
Func cumulativeGates(LoweringContext &ctx, Operation *op, const Gates &g,
                     Expr T, int segment, std::optional<int> Dk) {
  Var d("d"), t("t"), h("h"), b("b");
  Func cum = ctx.newFunc(op, "_cum");
  std::vector<Var> args = {t, h, b};
  if (g.perKey())
    args.insert(args.begin(), d);
  std::vector<Expr> at(args.begin(), args.end());
  cum(args) = toF64(g.at(b, h, t, d));
  RDom r(1, T - 1, "r");
  std::vector<Expr> prev = at, cur = at;
  cur[g.perKey()] = r;
  prev[g.perKey()] = r - 1;
  Expr carried = cum(prev);
  if (segment > 0)
    carried = Halide::select(r % segment == 0, Expr(0.0), carried);
  cum(cur) += carried;
  cum.compute_root().parallel(b);
  cum.update().parallel(b);
  if (g.perKey() && Dk) {
    vectorizeInner(cum, d, *Dk);
    vectorizeInner(cum.update(), d, *Dk);
  }
  return cum;
}

//===----------------------------------------------------------------------===//
// The parallel form
//===----------------------------------------------------------------------===//

LogicalResult lowerFeatureMap(FeatureMapOp op, LoweringContext &ctx) {
  HTensor in = ctx.get(op.getInput());
  IndexVars idx(4);
  Expr x = in(idx.exprs());
  Expr y;
  switch (op.getKind()) {
  case FeatureMapKind::identity:
    y = x;
    break;
  case FeatureMapKind::elu_plus_one:
    y = Halide::select(x > 0, x + 1, Halide::exp(x));
    break;
  case FeatureMapKind::relu:
    y = Halide::max(x, 0.0f);
    break;
  }
  HTensor out{ctx.newFunc(op), in.shape, Halide::Float(32)};
  out.func(idx.halide) = y;
  scheduleRoot(out);
  ctx.set(op.getResult(), out);
  return success();
}

/// exp(G_t - G_s) from f64 cumulative gates, masked (-inf) for s > t.
Expr decayed(Expr score, Expr cumT, Expr cumS, Expr s, Expr t) {
  return Halide::select(s > t || isMinusInfinity(score), minusInfinity(),
                        score * Halide::exp(toF32(cumT - cumS)));
}

LogicalResult lowerDecay(DecayOp op, LoweringContext &ctx) {
  HTensor in = ctx.get(op.getScores());
  Gates g{ctx.get(op.getGates())};
  Expr B = in.shape[0], H = in.shape[1], T = in.shape[2], S = in.shape[3];
  ctx.require(op, S == T, "decay needs as many keys as queries");
  requireGates(ctx, op, g, B, H, T, Expr(), "gates do not match the scores");
  Func cum = cumulativeGates(ctx, op, g, T, 0, std::nullopt);
  IndexVars idx(4);
  Var b = idx[0], h = idx[1], t = idx[2], s = idx[3];
  HTensor out{ctx.newFunc(op), in.shape, Halide::Float(32)};
  out.func(idx.halide) =
      decayed(in(idx.exprs()), cum(t, h, b), cum(s, h, b), s, t);
  scheduleRoot(out);
  ctx.set(op.getResult(), out);
  return success();
}

/// GLA's per-key decay inside the dot product:
/// s_ts = scale * sum_d q_td k_sd exp(G_td - G_sd) for s <= t.
LogicalResult lowerGatedScore(ScoreOp op, LoweringContext &ctx) {
  if (op.getQueries().size() != 1)
    return op.emitError("the CPU backend takes one query/key pair with a "
                        "per-key decay");
  HTensor q = ctx.get(op.getQueries()[0]), k = ctx.get(op.getKeys()[0]);
  Gates g{ctx.get(op.getGate())};
  Expr B = q.shape[0], Hq = q.shape[1], T = q.shape[2], S = k.shape[2];
  Expr Dk = q.shape[3], Hkv = k.shape[1];
  ctx.require(op, k.shape[0] == B && S == T,
              "per-key decay needs keys of the queries' batch and length");
  ctx.require(op, k.shape[3] == Dk,
              "the query head dim differs from the key head dim");
  ctx.require(op, Hkv > 0 && Hq % Halide::max(Hkv, 1) == 0,
              "the query heads are not a multiple of the key heads");
  requireGates(ctx, op, g, B, Hq, T, Dk, "gates do not match the queries");
  auto qType = cast<ShapedType>(op.getQueries()[0].getType());
  std::optional<int> staticDk;
  if (!qType.isDynamicDim(3))
    staticDk = int(qType.getDimSize(3));
  Func cum = cumulativeGates(ctx, op, g, T, 0, staticDk);
  IndexVars idx(4);
  Var b = idx[0], h = idx[1], t = idx[2], s = idx[3];
  RDom d(0, Dk, "d");
  Func dot = ctx.newFunc(op, "_dot");
  dot(idx.halide) = 0.0f;
  dot(idx.halide) += q({b, h, t, d}) * k({b, sharedHead(h, Hq, Hkv), s, d}) *
                     Halide::exp(toF32(cum(d, t, h, b) - cum(d, s, h, b)));
  HTensor out{ctx.newFunc(op),
              resultShape(ctx, op, op.getType(), {B, Hq, T, S}),
              Halide::Float(32)};
  out.func(idx.halide) = Halide::select(
      s > t, minusInfinity(), float(op.getEffectiveScale()) * dot(idx.halide));
  dot.compute_at(out.func, idx.halide.back());
  scheduleRoot(out);
  ctx.set(op.getResult(), out);
  return success();
}

//===----------------------------------------------------------------------===//
// The recurrent and chunked forms
//===----------------------------------------------------------------------===//

/// Operands of attn.scan and attn.chunked_scan, checked as the interpreter's
/// startRecurrence checks them.
struct Recurrence {
  HTensor q, k, v;
  std::optional<Gates> gates;
  std::optional<HTensor> init;
  Expr B, Hq, T, Hkv;
  int Dk, Dv;

  Expr query(Expr b, Expr h, Expr t, Expr d) const { return q({b, h, t, d}); }
  Expr key(Expr b, Expr h, Expr t, Expr d) const {
    return k({b, sharedHead(h, Hq, Hkv), t, d});
  }
  Expr value(Expr b, Expr h, Expr t, Expr e) const {
    return v({b, sharedHead(h, Hq, Hkv), t, e});
  }
  Expr initial(Expr b, Expr h, Expr d, Expr e) const {
    return init ? (*init)({b, h, d, e}) : Expr(0.0f);
  }
};

template <typename OpTy>
Recurrence startRecurrence(OpTy op, LoweringContext &ctx) {
  Recurrence r{ctx.get(op.getQuery()), ctx.get(op.getKey()),
               ctx.get(op.getValue())};
  r.B = r.q.shape[0];
  r.Hq = r.q.shape[1];
  r.T = r.q.shape[2];
  r.Hkv = r.k.shape[1];
  // The verifier makes the head dims static.
  r.Dk = int(op.getQuery().getType().getDimSize(3));
  r.Dv = int(op.getValue().getType().getDimSize(3));
  const std::vector<Expr> &k = r.k.shape, &v = r.v.shape;
  ctx.require(op,
              k[0] == r.B && v[0] == r.B && k[2] == r.T && v[2] == r.T &&
                  v[1] == r.Hkv && k[3] == r.Dk,
              "query, key and value differ in batch, length, key/value heads "
              "or key head dim");
  ctx.require(op, r.Hkv > 0 && r.Hq % Halide::max(r.Hkv, 1) == 0,
              "the query heads are not a multiple of the key heads");
  ctx.require(op, r.T > 0, "the CPU backend needs at least one step");
  if (op.getGates()) {
    r.gates = Gates{ctx.get(op.getGates())};
    requireGates(ctx, op, *r.gates, r.B, r.Hq, r.T, r.Dk,
                 "gates do not match the query's shape");
  }
  if (op.getInit()) {
    r.init = ctx.get(op.getInit());
    const std::vector<Expr> &s = r.init->shape;
    ctx.require(op, s[0] == r.B && s[1] == r.Hq && s[2] == r.Dk && s[3] == r.Dv,
                "initial state does not match batch, heads and head dims");
  }
  return r;
}

/// A state inside a scan body as an affine function of the step's incoming
/// state S: a(i) * S[i, j] + c(i, j), with i, j the vars `key` and `val`.
struct AffineState {
  Expr a, c;
};

/// attn.scan: the body is evaluated symbolically (every state op is affine
/// in the incoming state), then run over a state history per (b, h):
/// hist[t] is the state before step t, hist[T] the final one.
LogicalResult lowerScan(ScanOp op, LoweringContext &ctx) {
  Recurrence r = startRecurrence(op, ctx);
  Var n("n"), key("ki"), val("vj"), t("t"), h("h"), b("b");
  Func hist = ctx.newFunc(op, "_history");
  llvm::DenseMap<Value, Expr> exprs; // scalars and vectors (over n)
  llvm::DenseMap<Value, AffineState> states;
  std::vector<Func> reads;
  auto over = [&](Expr vector, Var index) {
    return Halide::Internal::substitute(n.name(), index, vector);
  };

  // Two walks over the body, as Halide defines a Func fully before it is
  // called: the first builds the next state (and so the history), the
  // second the reads, which call the history.
  Block &body = op.getBody().front();
  AffineState next;
  Expr output;
  auto walk = [&](bool withReads) -> LogicalResult {
    exprs.clear();
    states.clear();
    states[body.getArgument(0)] = {Expr(1.0f), Expr(0.0f)};
    exprs[body.getArgument(1)] = r.query(b, h, t, n);
    exprs[body.getArgument(2)] = r.key(b, h, t, n);
    exprs[body.getArgument(3)] = r.value(b, h, t, n);
    if (r.gates)
      exprs[body.getArgument(4)] = r.gates->at(b, h, t, n);
    // Without reads, read outputs are undefined: states must not use them.
    auto vector = [&](Operation *user, Value v, Var index) -> FailureOr<Expr> {
      Expr e = exprs.lookup(v);
      if (!e.defined())
        return user->emitError("the CPU backend runs scan bodies whose "
                               "states do not depend on state reads");
      return over(e, index);
    };
    for (Operation &inner : body) {
      auto result =
          llvm::TypeSwitch<Operation *, LogicalResult>(&inner)
              .Case([&](StateDecayOp decay) -> LogicalResult {
                AffineState s = states.lookup(decay.getState());
                FailureOr<Expr> gate = vector(decay, decay.getGate(), key);
                if (failed(gate))
                  return failure();
                Expr factor = Halide::exp(toF32(*gate));
                states[decay.getResult()] = {s.a * factor, s.c * factor};
                return success();
              })
              .Case([&](StateUpdateOp update) -> LogicalResult {
                AffineState s = states.lookup(update.getState());
                FailureOr<Expr> k = vector(update, update.getKey(), key);
                FailureOr<Expr> v = vector(update, update.getValue(), val);
                if (failed(k) || failed(v))
                  return failure();
                states[update.getResult()] = {s.a, s.c + *k * *v};
                return success();
              })
              .Case([&](StateReadOp read) -> LogicalResult {
                if (!withReads)
                  return success();
                AffineState s = states.lookup(read.getState());
                FailureOr<Expr> q = vector(read, read.getQuery(), key);
                if (failed(q))
                  return failure();
                float scale = read.getScale()
                                  ? float(read.getScale()->convertToDouble())
                                  : 1;
                Func f = ctx.newFunc(&inner);
                RDom i(0, r.Dk, "i");
                auto at = [&](Expr e) {
                  return Halide::Internal::substitute(
                      val.name(), n,
                      Halide::Internal::substitute(key.name(), i, e));
                };
                f(n, t, h, b) = 0.0f;
                f(n, t, h, b) +=
                    scale * at(*q) * (at(s.a) * hist(n, i, t, h, b) + at(s.c));
                f.update().reorder(n, i, t);
                reads.push_back(f);
                exprs[read.getOutput()] = f(n, t, h, b);
                return success();
              })
              .Case([&](YieldOp yield) {
                next = states.lookup(yield.getValues()[0]);
                output = exprs.lookup(yield.getValues()[1]);
                return success();
              })
              .Default([&](Operation *other) -> LogicalResult {
                std::vector<Expr> operands;
                for (Value v : other->getOperands()) {
                  if (!isa<FloatType, IntegerType, IndexType>(v.getType()))
                    return other->emitError("the CPU backend runs only state "
                                            "ops and scalar ops in a scan "
                                            "body");
                  operands.push_back(exprs.lookup(v));
                }
                if (other->getNumResults() != 1)
                  return other->emitError("the CPU backend does not support "
                                          "this op in a scan body");
                FailureOr<Expr> value = lowerScalarOp(other, operands);
                if (failed(value))
                  return failure();
                exprs[other->getResult(0)] = *value;
                return success();
              });
      if (failed(result))
        return failure();
    }
    return success();
  };

  if (failed(walk(/*withReads=*/false)))
    return failure();
  RDom step(0, r.T, "step");
  auto atStep = [&](Expr e) {
    return Halide::Internal::substitute(t.name(), step, e);
  };
  hist(val, key, t, h, b) = r.initial(b, h, key, val);
  hist(val, key, step + 1, h, b) =
      atStep(next.a) * hist(val, key, step, h, b) + atStep(next.c);
  if (failed(walk(/*withReads=*/true)))
    return failure();

  // Outputs and final state in one Func, so that the history is computed
  // once per (b, h): rows [0, T) are o_t, rows T + i the final state's row i.
  Var x("x"), bh("bh");
  Func both = ctx.newFunc(op, "_both");
  Expr last = Halide::min(x, r.T - 1);
  both(n, x, h, b) = Halide::select(
      x < r.T, Halide::Internal::substitute(t.name(), last, output),
      hist(n, Halide::clamp(x - r.T, 0, r.Dk - 1), r.T, h, b));
  both.compute_root().fuse(h, b, bh).parallel(bh);
  vectorizeInner(both, n, r.Dv);
  hist.compute_at(both, bh);
  hist.update().reorder(val, key, step);
  vectorizeInner(hist, val, r.Dv);
  vectorizeInner(hist.update(), val, r.Dv);
  for (Func f : reads) {
    f.compute_at(both, bh);
    vectorizeInner(f.update(), n, r.Dv);
  }

  IndexVars idx(4);
  HTensor out{
      ctx.newFunc(op, "_output"),
      resultShape(ctx, op, op.getOutput().getType(), {r.B, r.Hq, r.T, r.Dv}),
      Halide::Float(32)};
  out.func(idx.halide) = both(idx[3], idx[2], idx[1], idx[0]);
  HTensor final{ctx.newFunc(op, "_final"),
                resultShape(ctx, op, op.getFinalState().getType(),
                            {r.B, r.Hq, r.Dk, r.Dv}),
                Halide::Float(32)};
  final.func(idx.halide) = both(idx[3], r.T + idx[2], idx[1], idx[0]);
  ctx.set(op.getOutput(), out);
  ctx.set(op.getFinalState(), final);
  return success();
}

/// attn.chunked_scan in the materialized chunk form. Per chunk c of C steps
/// (padded with zero q, k, v and zero gates past T), with b the gates'
/// cumulative sum from the chunk's start:
///   A = scale * (Q K^T ⊙ D) (D[t, s] = exp(b_t - b_s), s <= t),
///   U_c = (K ⊙ exp(b_last - b))^T V,  S_c = exp(b_last) S_{c-1} + U_c,
///   O = A V + (scale * Q ⊙ exp(b)) S_{c-1}.
/// Chunks run in parallel except for the scan over S_c.
LogicalResult lowerChunkedScan(ChunkedScanOp op, LoweringContext &ctx) {
  Recurrence r = startRecurrence(op, ctx);
  int C = int(op.getChunk());
  int Dk = r.Dk, Dv = r.Dv;
  float scale = float(op.getScale().convertToDouble());
  Expr T = r.T, chunks = (T + C - 1) / C;
  bool perKey = r.gates && r.gates->perKey();
  Var e("e"), d("d"), s("s"), tt("tt"), c("c"), h("h"), b("b"), ch("ch"),
      chb("chb");

  // Inputs in chunk coordinates, zero past T.
  auto step = [&](Expr i) { return c * C + i; };
  auto padded = [&](Expr i, Expr value) {
    return Halide::select(step(i) < T, value, 0.0f);
  };
  auto clamped = [&](Expr i) { return Halide::min(step(i), T - 1); };
  std::optional<Func> cum;
  if (r.gates)
    cum = cumulativeGates(ctx, op, *r.gates, T, C, Dk);
  // b at row i of chunk c along key dim k (clamped: padding adds nothing).
  auto logAt = [&](Expr i, Expr k) {
    return perKey ? (*cum)(k, clamped(i), h, b) : (*cum)(clamped(i), h, b);
  };
  auto growth = [&](Expr i, Expr k) -> Expr {
    return r.gates ? Halide::exp(toF32(logAt(i, k))) : Expr(1.0f);
  };
  auto decay = [&](Expr from, Expr to, Expr k) -> Expr {
    return r.gates ? Halide::exp(toF32(logAt(to, k) - logAt(from, k)))
                   : Expr(1.0f);
  };

  // Per-chunk tiles, the vectorized dimension innermost.
  auto tile = [&](StringRef name, std::vector<Var> args, Expr value) {
    Func f = ctx.newFunc(op, name);
    f(args) = value;
    return f;
  };
  // Scalar gates: one exp per position (C per chunk) instead of one per
  // element of a C x Dk tile.
  Expr queryFactor = scale * growth(tt, d), keyFactor = decay(s, C - 1, d);
  std::vector<Func> factorTiles;
  if (r.gates && !perKey) {
    Func queryGrowth = tile("_qg", {tt, c, h, b}, queryFactor);
    Func keyDecay = tile("_kd", {s, c, h, b}, keyFactor);
    queryFactor = queryGrowth(tt, c, h, b);
    keyFactor = keyDecay(s, c, h, b);
    factorTiles = {queryGrowth, keyDecay};
  }
  Func queries =
      tile("_q", {d, tt, c, h, b}, padded(tt, r.query(b, h, clamped(tt), d)));
  Func scaledQueries =
      tile("_qs", {d, tt, c, h, b}, queries(d, tt, c, h, b) * queryFactor);
  Func keysT =
      tile("_kt", {s, d, c, h, b}, padded(s, r.key(b, h, clamped(s), d)));
  Func decayedKeysT = tile("_kst", {s, d, c, h, b},
                           padded(s, r.key(b, h, clamped(s), d)) * keyFactor);
  auto values = [&](StringRef name) {
    return tile(name, {e, s, c, h, b}, padded(s, r.value(b, h, clamped(s), e)));
  };
  Func valuesO = values("_v"), valuesU = values("_vu");

  // A = scale * (Q K^T ⊙ D): scalar decay scales the dot product, per-key
  // decay enters it (b in f32 tiles: differences within one chunk).
  RDom rd(0, Dk, "rd");
  Func dots = ctx.newFunc(op, "_qk");
  dots(s, tt, c, h, b) = 0.0f;
  Expr product = queries(rd, tt, c, h, b) * keysT(s, rd, c, h, b);
  std::vector<Func> perKeyTiles;
  if (perKey) {
    Func logs = tile("_b", {d, tt, c, h, b}, toF32(logAt(tt, d)));
    Func logsT = tile("_bt", {s, d, c, h, b}, toF32(logAt(s, d)));
    // Masked entries (s > t) would grow: keep them finite for the mask.
    product *= Halide::exp(
        Halide::min(logs(rd, tt, c, h, b) - logsT(s, rd, c, h, b), 0.0f));
    perKeyTiles = {logs, logsT};
  }
  dots(s, tt, c, h, b) += product;
  // The causal decay mask as a tile of its own: a select around the dot
  // products would let bounds inference trim their register tiles.
  Func mask = tile(
      "_mask", {s, tt, c, h, b},
      Halide::select(s <= tt, perKey ? Expr(1.0f) : decay(s, tt, 0), 0.0f));
  Func scores = tile("_a", {s, tt, c, h, b},
                     scale * dots(s, tt, c, h, b) * mask(s, tt, c, h, b));

  // U_c and the scan over chunks: states(e, d, c) is the state after chunk c.
  RDom rs(0, C, "rs");
  Func contribution = ctx.newFunc(op, "_u");
  contribution(e, d, c, h, b) = 0.0f;
  contribution(e, d, c, h, b) +=
      decayedKeysT(rs, d, c, h, b) * valuesU(e, rs, c, h, b);
  Func states = ctx.newFunc(op, "_states");
  states(e, d, c, h, b) = contribution(e, d, c, h, b);
  RDom rc(r.init ? 0 : 1, r.init ? chunks : chunks - 1, "rc");
  Expr previous = states(e, d, Halide::max(rc - 1, 0), h, b);
  if (r.init)
    previous = Halide::select(rc == 0, r.initial(b, h, d, e), previous);
  states(e, d, rc, h, b) +=
      Halide::Internal::substitute(c.name(), rc, growth(C - 1, d)) * previous;

  // O = A V + (scale * Q ⊙ exp(b)) S_{c-1}.
  Func entering =
      tile("_sp", {e, d, c, h, b},
           Halide::select(c == 0, r.initial(b, h, d, e),
                          states(e, d, Halide::max(c - 1, 0), h, b)));
  Func acc = ctx.newFunc(op, "_acc");
  acc(e, tt, c, h, b) = 0.0f;
  acc(e, tt, c, h, b) += scores(rs, tt, c, h, b) * valuesO(e, rs, c, h, b);
  acc(e, tt, c, h, b) +=
      scaledQueries(rd, tt, c, h, b) * entering(e, rd, c, h, b);
  Func outputs = ctx.newFunc(op, "_o");
  outputs(e, tt, c, h, b) = acc(e, tt, c, h, b);

  // Schedule: chunks x heads x batch in parallel for U and O; the scan over
  // chunks in parallel over heads x batch. Where only the output reads the
  // states, they are computed per head (U, scan, reads in turn) so that one
  // head's states stay in cache instead of streaming all of them through
  // memory three times.
  bool statesEscape = !op.getFinalState().use_empty() ||
                      (op.getChunkStates() && !op.getChunkStates().use_empty());
  scheduleMatmul(outputs, acc, e, tt, {rs, rd}, Dv, C);
  outputs.compute_root().parallel(c);
  if (!statesEscape)
    outputs.parallel(h).parallel(b);
  for (Func f :
       {queries, scaledQueries, keysT, valuesO, entering, scores, mask})
    f.compute_at(outputs, c);
  for (Func f : perKeyTiles)
    f.compute_at(outputs, c);
  scheduleMatmul(scores, dots, s, tt, {rd}, C, C);
  scheduleMatmul(states, contribution, e, d, {rs}, Dv, Dk);
  if (statesEscape)
    states.compute_root();
  else
    states.compute_at(outputs, h);
  states.parallel(c);
  for (Func f : {decayedKeysT, valuesU})
    f.compute_at(states, c);
  if (!factorTiles.empty()) {
    factorTiles[0].compute_at(outputs, c);
    factorTiles[1].compute_at(states, c);
    vectorizeInner(factorTiles[0], tt, C);
    vectorizeInner(factorTiles[1], s, C);
  }
  Var hb("hb");
  states.update().reorder(e, d, rc, h, b).fuse(h, b, hb).parallel(hb);
  vectorizeInner(states.update(), e, Dv);
  vectorizeInner(queries, d, Dk);
  vectorizeInner(scaledQueries, d, Dk);
  vectorizeInner(keysT, s, C);
  vectorizeInner(decayedKeysT, s, C);
  vectorizeInner(valuesO, e, Dv);
  vectorizeInner(valuesU, e, Dv);
  vectorizeInner(entering, e, Dv);
  vectorizeInner(mask, s, C);

  IndexVars idx(5);
  Var ob = idx[0], oh = idx[1], ot = idx[2], oe = idx[3];
  HTensor out{
      ctx.newFunc(op, "_output"),
      resultShape(ctx, op, op.getOutput().getType(), {r.B, r.Hq, T, Dv}),
      Halide::Float(32)};
  out.func(oe, ot, oh, ob) = outputs(oe, ot % C, ot / C, oh, ob);
  HTensor final{
      ctx.newFunc(op, "_final"),
      resultShape(ctx, op, op.getFinalState().getType(), {r.B, r.Hq, Dk, Dv}),
      Halide::Float(32)};
  // idx[2], idx[3] are (d, e) here.
  final.func(idx[3], idx[2], idx[1], idx[0]) =
      states(idx[3], idx[2], chunks - 1, idx[1], idx[0]);
  ctx.set(op.getOutput(), out);
  ctx.set(op.getFinalState(), final);
  if (Value chunkStates = op.getChunkStates()) {
    HTensor all{ctx.newFunc(op, "_chunk_states"),
                resultShape(ctx, op, cast<ShapedType>(chunkStates.getType()),
                            {r.B, r.Hq, chunks, Dk, Dv}),
                Halide::Float(32)};
    all.func(idx.halide) = states(idx[4], idx[3], idx[2], idx[1], idx[0]);
    ctx.set(chunkStates, all);
  }
  return success();
}
} // namespace

std::optional<LogicalResult> cpu::lowerLinearAttentionOp(Operation *op,
                                                         LoweringContext &ctx) {
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case([&](FeatureMapOp map) -> std::optional<LogicalResult> {
        return lowerFeatureMap(map, ctx);
      })
      .Case([&](DecayOp decay) -> std::optional<LogicalResult> {
        return lowerDecay(decay, ctx);
      })
      .Case([&](ScoreOp score) -> std::optional<LogicalResult> {
        if (!score.getGate())
          return std::nullopt;
        return lowerGatedScore(score, ctx);
      })
      .Case([&](ScanOp scan) -> std::optional<LogicalResult> {
        return lowerScan(scan, ctx);
      })
      .Case([&](ChunkedScanOp scan) -> std::optional<LogicalResult> {
        return lowerChunkedScan(scan, ctx);
      })
      .Default([](Operation *) { return std::nullopt; });
}
