//===- Interpreter.cpp - reference semantics of attn programs ------------===//
//
// Each op is computed by its definition, element by element, in f64. No
// tiling, no reassociation: this code is what the optimized forms must agree
// with, so it stays as plain as the math in AttnOps.td.
//
//===----------------------------------------------------------------------===//

#include "attn/Interpreter/Interpreter.h"

#include "Attn/AttnOps.h"
#include "attn/Support/Comparisons.h"
#include "attn/Support/Masks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace attn;

namespace {
constexpr double kMasked = -std::numeric_limits<double>::infinity();

bool isMasked(double score) { return score == kMasked; }

/// Query head h reads head h / (outer / inner) of a tensor with `inner` heads.
int64_t sharedHead(int64_t h, int64_t outer, int64_t inner) {
  return h / (outer / inner);
}

//===----------------------------------------------------------------------===//
// The math of the ops, on tensors whose shapes the callers have checked.
// attn.nsa is computed by the same functions as the unfused program it
// stands for, so that the two agree to the last bit (ties in the block
// selection included).
//===----------------------------------------------------------------------===//

/// out[b, h, t, s] = scale * sum over the (q, k) pairs of
/// q[b, h, t] . k[b, h / group, s]: attn.score without decay.
void dotScores(ArrayRef<std::pair<const Tensor *, const Tensor *>> pairs,
               double scale, Tensor &out) {
  int64_t B = out.size(0), Hq = out.size(1), T = out.size(2), S = out.size(3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t s = 0; s < S; ++s) {
          double sum = 0;
          for (auto [q, k] : pairs) {
            int64_t hk = sharedHead(h, Hq, k->size(1));
            for (int64_t d = 0; d < q->size(3); ++d)
              sum += q->at({b, h, t, d}) * k->at({b, hk, s, d});
          }
          out.at({b, h, t, s}) = scale * sum;
        }
}

/// attn.mask: query t of sequence b sits at position lengths[b] - T + t.
void maskScores(Tensor &scores, MaskKind kind, int64_t size, int64_t stride,
                ArrayRef<int64_t> lengths) {
  int64_t B = scores.size(0), H = scores.size(1), T = scores.size(2),
          S = scores.size(3);
  for (int64_t b = 0; b < B; ++b) {
    int64_t L = lengths[b];
    for (int64_t t = 0; t < T; ++t) {
      int64_t p = L - T + t;
      for (int64_t s = 0; s < S; ++s) {
        // Compressed keys count blocks, not tokens.
        bool keep = (kind == MaskKind::compressed || s < L) &&
                    masks::keeps<masks::IntegerOps>({kind, size, stride}, s, p);
        if (!keep)
          for (int64_t h = 0; h < H; ++h)
            scores.at({b, h, t, s}) = kMasked;
      }
    }
  }
}

/// attn.block_mask: keeps the keys of the blocks listed in `indices` row
/// h / (H / G).
void blockMaskScores(Tensor &scores, const Tensor &indices, int64_t block) {
  int64_t B = scores.size(0), H = scores.size(1), T = scores.size(2),
          S = scores.size(3);
  int64_t G = indices.size(1), n = indices.size(3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t) {
        int64_t g = sharedHead(h, H, G);
        for (int64_t s = 0; s < S; ++s) {
          bool selected = false;
          for (int64_t i = 0; i < n && !selected; ++i)
            selected =
                indices.at({b, g, t, i}) == static_cast<double>(s / block);
          if (!selected)
            scores.at({b, h, t, s}) = kMasked;
        }
      }
}

/// attn.softmax over the last dimension, in place.
void softmaxRows(Tensor &scores) {
  int64_t S = scores.size(3);
  for (int64_t row = 0; row < scores.numElements() / std::max<int64_t>(S, 1);
       ++row) {
    double *x = scores.data.data() + row * S;
    double peak = kMasked;
    for (int64_t s = 0; s < S; ++s)
      peak = std::max(peak, x[s]);
    if (isMasked(peak)) { // fully masked: every probability is 0
      std::fill(x, x + S, 0.0);
      continue;
    }
    double sum = 0;
    for (int64_t s = 0; s < S; ++s)
      sum += x[s] = std::exp(x[s] - peak);
    for (int64_t s = 0; s < S; ++s)
      x[s] /= sum;
  }
}

/// attn.aggregate into a zeroed `out` [B, Hq, T, Dv].
void aggregateValues(const Tensor &w, const Tensor &v, Tensor &out) {
  int64_t B = w.size(0), Hq = w.size(1), T = w.size(2), S = w.size(3);
  int64_t Hkv = v.size(1), Dv = v.size(3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t s = 0; s < S; ++s) {
          // A key of weight 0 (masked, or a probability that underflowed)
          // contributes nothing, even where its value is NaN or infinite.
          double weight = w.at({b, h, t, s});
          if (isMasked(weight) || weight == 0)
            continue;
          for (int64_t d = 0; d < Dv; ++d)
            out.at({b, h, t, d}) +=
                weight * v.at({b, sharedHead(h, Hq, Hkv), s, d});
        }
}

/// attn.compress into a zeroed `out` [B, H, blocks, D]; `weights` are the
/// MLP's (position encoding, W1, W2), none for mean pooling.
void compressBlocks(const Tensor &x, PoolingKind pooling, int64_t block,
                    int64_t stride, ArrayRef<const Tensor *> weights,
                    Tensor &out) {
  int64_t B = out.size(0), H = out.size(1), blocks = out.size(2),
          D = out.size(3);
  bool mlp = pooling == PoolingKind::mlp;
  const Tensor *pe = mlp ? weights[0] : nullptr;
  const Tensor *w1 = mlp ? weights[1] : nullptr;
  const Tensor *w2 = mlp ? weights[2] : nullptr;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < blocks; ++i) {
        if (!mlp) {
          for (int64_t j = 0; j < block; ++j)
            for (int64_t d = 0; d < D; ++d)
              out.at({b, h, i, d}) +=
                  x.at({b, h, i * stride + j, d}) / double(block);
          continue;
        }
        int64_t hidden = w1->size(1);
        std::vector<double> act(hidden, 0.0);
        for (int64_t j = 0; j < block; ++j)
          for (int64_t d = 0; d < D; ++d) {
            double in = x.at({b, h, i * stride + j, d}) + pe->at({j, d});
            for (int64_t u = 0; u < hidden; ++u)
              act[u] += in * w1->at({j * D + d, u});
          }
        for (int64_t u = 0; u < hidden; ++u)
          for (int64_t d = 0; d < D; ++d)
            out.at({b, h, i, d}) += std::max(act[u], 0.0) * w2->at({u, d});
      }
}

/// The parameters of an NSA block selection.
struct Selection {
  int64_t compressBlock, compressStride, block, top, initial, local;
};

/// attn.select_blocks from the compressed probabilities `p` [B, Hq, T, Nc]
/// into `out` [B, G, T, top] filled with -1.
void selectBlocks(const Tensor &p, const Selection &sel, Tensor &out) {
  int64_t B = p.size(0), Hq = p.size(1), T = p.size(2), Nc = p.size(3);
  int64_t G = out.size(1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t g = 0; g < G; ++g)
      for (int64_t t = 0; t < T; ++t) {
        // Self-attention: query t sits at token t; blocks up to its own.
        int64_t own = t / sel.block;
        std::vector<double> score(own + 1, 0.0);
        for (int64_t i = 0; i < Nc; ++i) {
          int64_t first = i * sel.compressStride,
                  last = i * sel.compressStride + sel.compressBlock - 1;
          for (int64_t j = first / sel.block;
               j <= std::min(last / sel.block, own); ++j)
            for (int64_t h = g * (Hq / G); h < (g + 1) * (Hq / G); ++h)
              score[j] += p.at({b, h, t, i});
        }
        std::vector<bool> chosen(own + 1, false);
        int64_t count = 0;
        auto choose = [&](int64_t j) {
          if (j >= 0 && j <= own && !chosen[j] && count < sel.top) {
            chosen[j] = true;
            ++count;
          }
        };
        for (int64_t j = 0; j < sel.initial; ++j)
          choose(j);
        for (int64_t j = 0; j < sel.local; ++j)
          choose(own - j);
        std::vector<int64_t> order(own + 1);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t c) {
          return score[a] > score[c];
        });
        for (int64_t j : order)
          choose(j);
        int64_t slot = 0;
        for (int64_t j = 0; j <= own; ++j)
          if (chosen[j])
            out.at({b, g, t, slot++}) = double(j);
      }
}

/// attn.gate_combine into a zeroed `out`: branch c is weighted by
/// sigmoid(gates[..., c]).
void gateCombine(ArrayRef<const Tensor *> branches, const Tensor &gates,
                 Tensor &out) {
  int64_t count = branches.size(), Dv = out.size(3);
  for (int64_t row = 0; row < out.numElements() / std::max<int64_t>(Dv, 1);
       ++row)
    for (int64_t c = 0; c < count; ++c) {
      double gate = 1.0 / (1.0 + std::exp(-gates.data[row * count + c]));
      for (int64_t d = 0; d < Dv; ++d)
        out.data[row * Dv + d] += gate * branches[c]->data[row * Dv + d];
    }
}

/// Operands and results shared by attn.scan and attn.chunked_scan, checked
/// against each other; `final` starts as the initial state.
struct Recurrence {
  const Tensor &q, &k, &v;
  const Tensor *gates;
  int64_t B, Hq, T, Dk, Hkv, Dv;
  Tensor out, final;
};

class Interpreter {
public:
  FailureOr<std::vector<Tensor>> run(func::FuncOp function,
                                     ArrayRef<Tensor> arguments);

private:
  /// Fails with a located error unless `ok`.
  LogicalResult require(Operation *op, bool ok, const Twine &message) {
    if (!ok)
      op->emitError() << message;
    return success(ok);
  }
  /// Checks a size computed from the actual inputs against the op's type.
  LogicalResult checkResult(Operation *op, Type type, ArrayRef<int64_t> shape);
  FailureOr<Tensor> allocate(Operation *op, Type type, ArrayRef<int64_t> shape,
                             double fill = 0.0);
  /// Fails unless a tensor of `shape` (`what`) fits the interpreter's
  /// limit.
  LogicalResult checkCount(Operation *op, ArrayRef<int64_t> shape,
                           const Twine &what);
  /// The MLP weights of pooling blocks of `block` tokens of head dim `d`
  /// (none for mean pooling), checked against those sizes.
  FailureOr<SmallVector<const Tensor *>>
  poolingWeights(Operation *op, ValueRange weights, int64_t block, int64_t d,
                 const Twine &what);

  const Tensor &get(Value v) { return values.find(v)->second; }

  LogicalResult execute(Operation *op);
  FailureOr<Tensor> evaluate(ScoreOp op);
  FailureOr<Tensor> evaluate(MaskOp op);
  FailureOr<Tensor> evaluate(BlockMaskOp op);
  FailureOr<Tensor> evaluate(ScoreModOp op);
  FailureOr<Tensor> evaluate(SoftmaxOp op);
  FailureOr<Tensor> evaluate(LogSumExpOp op);
  LogicalResult evaluate(AttentionOp op);
  FailureOr<Tensor> evaluate(FeatureMapOp op);
  FailureOr<Tensor> evaluate(DecayOp op);
  FailureOr<Tensor> evaluate(AggregateOp op);
  LogicalResult evaluate(ScanOp op);
  FailureOr<Tensor> evaluate(StateDecayOp op);
  FailureOr<Tensor> evaluate(StateUpdateOp op);
  FailureOr<Tensor> evaluate(StateReadOp op);
  LogicalResult evaluate(ChunkedScanOp op);
  template <typename OpTy> FailureOr<Recurrence> startRecurrence(OpTy op);
  FailureOr<Tensor> evaluate(CompressOp op);
  FailureOr<Tensor> evaluate(SelectBlocksOp op);
  FailureOr<Tensor> evaluate(GateCombineOp op);
  FailureOr<Tensor> evaluate(NsaOp op);
  FailureOr<Tensor> evaluate(ProjectOp op);
  FailureOr<Tensor> evaluate(RopeOp op);
  FailureOr<Tensor> evaluate(IndexScoreOp op);
  FailureOr<Tensor> evaluate(SelectTokensOp op);
  FailureOr<Tensor> evaluate(PagedCacheOp op);
  FailureOr<Tensor> evaluate(arith::ConstantOp op);

  /// Runs a block on bound arguments and returns what its yield yields.
  FailureOr<SmallVector<Tensor>> runBlock(Block &block, ArrayRef<Tensor> args);
  /// Scalar evaluation of arith / math ops (score_mod bodies).
  FailureOr<double> evaluateScalar(Operation *op, ArrayRef<double> operands);

  /// Key length per batch entry: `lengths[b]`, checked to lie in [0, keys].
  FailureOr<SmallVector<int64_t>> keyLengths(Operation *op, Value lengths,
                                             int64_t batch, int64_t keys);

  DenseMap<Value, Tensor> values;
};
} // namespace

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

FailureOr<std::vector<Tensor>> Interpreter::run(func::FuncOp function,
                                                ArrayRef<Tensor> arguments) {
  if (function.isExternal())
    return function.emitError("has no body to run");
  if (failed(checkArguments(function, arguments)))
    return failure();
  for (auto [arg, tensor] : llvm::zip(function.getArguments(), arguments))
    values[arg] = tensor;
  FailureOr<SmallVector<Tensor>> results =
      runBlock(function.getBody().front(), {});
  if (failed(results))
    return failure();
  return std::vector<Tensor>(results->begin(), results->end());
}

FailureOr<SmallVector<Tensor>> Interpreter::runBlock(Block &block,
                                                     ArrayRef<Tensor> args) {
  for (auto [arg, tensor] : llvm::zip(block.getArguments(), args))
    values[arg] = tensor;
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      SmallVector<Tensor> yielded;
      for (Value v : op.getOperands())
        yielded.push_back(get(v));
      return yielded;
    }
    if (failed(execute(&op)))
      return failure();
  }
  return block.getParentOp()->emitError("block has no terminator");
}

LogicalResult Interpreter::execute(Operation *op) {
  auto bind = [&](FailureOr<Tensor> result) -> LogicalResult {
    if (failed(result))
      return failure();
    values[op->getResult(0)] = std::move(*result);
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<ScoreOp, MaskOp, BlockMaskOp, ScoreModOp, SoftmaxOp, FeatureMapOp,
            DecayOp, AggregateOp, StateDecayOp, StateUpdateOp, StateReadOp,
            CompressOp, SelectBlocksOp, GateCombineOp, NsaOp, ProjectOp, RopeOp,
            LogSumExpOp, IndexScoreOp, SelectTokensOp, PagedCacheOp,
            arith::ConstantOp>(
          [&](auto concrete) { return bind(evaluate(concrete)); })
      .Case<ScanOp, ChunkedScanOp, AttentionOp>(
          [&](auto recurrent) { return evaluate(recurrent); })
      .Case<tensor::CastOp>([&](tensor::CastOp cast) {
        Tensor copy = get(cast.getSource());
        if (failed(checkResult(op, cast.getType(), copy.shape)))
          return failure();
        values[cast.getResult()] = std::move(copy);
        return success();
      })
      .Default([&](Operation *other) -> LogicalResult {
        // Scalar arith / math ops outside a score_mod: rank-0 values.
        if (other->getNumResults() == 1 &&
            isa<arith::ArithDialect, math::MathDialect>(other->getDialect())) {
          SmallVector<double> operands;
          for (Value v : other->getOperands()) {
            const Tensor &t = get(v);
            if (t.rank() != 0)
              return other->emitError("the interpreter runs this op on "
                                      "scalars only");
            operands.push_back(t.data[0]);
          }
          FailureOr<double> value = evaluateScalar(other, operands);
          if (failed(value))
            return failure();
          values[other->getResult(0)] = Tensor::scalar(*value);
          return success();
        }
        return other->emitError("the interpreter does not support this op");
      });
}

LogicalResult Interpreter::checkResult(Operation *op, Type type,
                                       ArrayRef<int64_t> shape) {
  auto ranked = cast<ShapedType>(type);
  bool fits = ranked.getRank() == static_cast<int64_t>(shape.size());
  for (int64_t d = 0; fits && d < ranked.getRank(); ++d)
    fits = ranked.isDynamicDim(d) || ranked.getDimSize(d) == shape[d];
  if (fits)
    return success();
  auto diag = op->emitError() << "the inputs give a result of shape [";
  llvm::interleaveComma(shape, diag);
  return diag << "], which does not fit the result type " << type;
}

FailureOr<Tensor> Interpreter::allocate(Operation *op, Type type,
                                        ArrayRef<int64_t> shape, double fill) {
  if (failed(checkResult(op, type, shape)))
    return failure();
  if (failed(checkCount(op, shape, "the result")))
    return failure();
  return Tensor(shape, fill);
}

LogicalResult Interpreter::checkCount(Operation *op, ArrayRef<int64_t> shape,
                                      const Twine &what) {
  int64_t count = countElements(shape);
  if (count < 0 || count > kMaxInterpretedElements)
    return op->emitError() << what << " would hold "
                           << (count < 0 ? "too many" : std::to_string(count))
                           << " elements, past the interpreter's limit of "
                           << kMaxInterpretedElements;
  return success();
}

FailureOr<SmallVector<const Tensor *>>
Interpreter::poolingWeights(Operation *op, ValueRange weights, int64_t block,
                            int64_t d, const Twine &what) {
  SmallVector<const Tensor *> tensors;
  for (Value w : weights)
    tensors.push_back(&get(w));
  // Mean pooling has none; the verifier holds the count.
  if (tensors.empty())
    return tensors;
  const Tensor &pe = *tensors[0], &w1 = *tensors[1], &w2 = *tensors[2];
  if (failed(require(op, pe.size(0) == block && pe.size(1) == d,
                     "the " + what +
                         "position encoding is not [block, head "
                         "dim]")) ||
      failed(require(op, w1.size(0) == block * d,
                     "the " + what +
                         "W1 does not take a flattened block [block * head "
                         "dim]")) ||
      failed(require(op, w2.size(0) == w1.size(1) && w2.size(1) == d,
                     "the " + what + "W2 is not [hidden, head dim]")))
    return failure();
  return tensors;
}

FailureOr<SmallVector<int64_t>> Interpreter::keyLengths(Operation *op,
                                                        Value lengths,
                                                        int64_t batch,
                                                        int64_t keys) {
  SmallVector<int64_t> result(batch, keys);
  if (!lengths)
    return result;
  const Tensor &t = get(lengths);
  if (failed(require(op, t.size(0) == batch,
                     "lengths hold " + Twine(t.size(0)) +
                         " entries for a batch of " + Twine(batch))))
    return failure();
  for (int64_t b = 0; b < batch; ++b) {
    int64_t length = static_cast<int64_t>(t.data[b]);
    if (failed(require(op, length >= 0 && length <= keys,
                       "length " + Twine(length) + " of sequence " + Twine(b) +
                           " lies outside [0, " + Twine(keys) + "]")))
      return failure();
    result[b] = length;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Scores and masks
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evaluate(ScoreOp op) {
  const Tensor &q0 = get(op.getQueries()[0]);
  int64_t B = q0.size(0), Hq = q0.size(1), T = q0.size(2);
  int64_t S = get(op.getKeys()[0]).size(2);
  for (auto [q, k] : llvm::zip(op.getQueries(), op.getKeys())) {
    const Tensor &qt = get(q), &kt = get(k);
    if (failed(require(op,
                       qt.size(0) == B && qt.size(1) == Hq && qt.size(2) == T,
                       "query parts differ in batch, heads or length")) ||
        failed(require(op, kt.size(0) == B && kt.size(2) == S,
                       "key parts differ in batch or length")) ||
        failed(require(op, kt.size(3) == qt.size(3),
                       "query head dim " + Twine(qt.size(3)) +
                           " differs from key head dim " +
                           Twine(kt.size(3)))) ||
        failed(require(op, kt.size(1) > 0 && Hq % kt.size(1) == 0,
                       Twine(Hq) + " query heads are not a multiple of " +
                           Twine(kt.size(1)) + " key heads")))
      return failure();
  }
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, Hq, T, S});
  if (failed(out))
    return failure();
  double scale = op.getEffectiveScale();
  Value gate = op.getGate();
  if (gate && failed(require(op, S == T,
                             "per-key decay needs as many keys (" + Twine(S) +
                                 ") as queries (" + Twine(T) + ")")))
    return failure();

  if (!gate) {
    SmallVector<std::pair<const Tensor *, const Tensor *>> pairs;
    for (auto [q, k] : llvm::zip(op.getQueries(), op.getKeys()))
      pairs.push_back({&get(q), &get(k)});
    dotScores(pairs, scale, *out);
    return out;
  }

  // Per-key decay: s_ts = scale * sum_d q_td k_sd exp(G_td - G_sd), s <= t.
  const Tensor &q = q0, &k = get(op.getKeys()[0]), &g = get(gate);
  int64_t D = q.size(3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t hk = sharedHead(h, Hq, k.size(1));
      std::vector<double> cumulative(T * D, 0.0);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < D; ++d)
          cumulative[t * D + d] =
              (t ? cumulative[(t - 1) * D + d] : 0.0) + g.at({b, h, t, d});
      for (int64_t t = 0; t < T; ++t)
        for (int64_t s = 0; s < S; ++s) {
          if (s > t) {
            out->at({b, h, t, s}) = kMasked;
            continue;
          }
          double sum = 0;
          for (int64_t d = 0; d < D; ++d)
            sum += q.at({b, h, t, d}) * k.at({b, hk, s, d}) *
                   std::exp(cumulative[t * D + d] - cumulative[s * D + d]);
          out->at({b, h, t, s}) = scale * sum;
        }
    }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(MaskOp op) {
  Tensor out = get(op.getScores());
  int64_t B = out.size(0), T = out.size(2), S = out.size(3);
  bool compressed = op.getKind() == MaskKind::compressed;
  // Compressed keys count blocks, not tokens: the token length is the
  // query length (self-attention) unless lengths say otherwise.
  FailureOr<SmallVector<int64_t>> lengths =
      keyLengths(op, op.getLengths(), B,
                 compressed ? std::numeric_limits<int64_t>::max() : S);
  if (failed(lengths))
    return failure();
  if (!op.getLengths() && compressed)
    lengths->assign(B, T);
  maskScores(out, op.getKind(), op.getSize().value_or(0),
             op.getStride().value_or(0), *lengths);
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(BlockMaskOp op) {
  Tensor out = get(op.getScores());
  const Tensor &idx = get(op.getIndices());
  int64_t B = out.size(0), H = out.size(1), T = out.size(2);
  int64_t G = idx.size(1);
  if (failed(require(op, idx.size(0) == B && idx.size(2) == T,
                     "indices do not match the scores' batch and length")) ||
      failed(require(op, G > 0 && H % G == 0,
                     Twine(H) + " heads are not a multiple of " + Twine(G) +
                         " index rows")))
    return failure();
  blockMaskScores(out, idx, op.getBlock());
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(ScoreModOp op) {
  Tensor out = get(op.getScores());
  Block &body = op.getBody().front();
  DenseMap<Value, double> scalars;
  int64_t B = out.size(0), H = out.size(1), T = out.size(2), S = out.size(3);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t s = 0; s < S; ++s) {
          double &score = out.at({b, h, t, s});
          if (isMasked(score))
            continue;
          double args[] = {score, double(b), double(h), double(t), double(s)};
          for (auto [arg, value] : llvm::zip(body.getArguments(), args))
            scalars[arg] = value;
          for (Operation &inner : body) {
            SmallVector<double> operands;
            for (Value v : inner.getOperands())
              operands.push_back(scalars.lookup(v));
            if (isa<YieldOp>(inner)) {
              score = operands[0];
              break;
            }
            FailureOr<double> value = evaluateScalar(&inner, operands);
            if (failed(value))
              return failure();
            scalars[inner.getResult(0)] = *value;
          }
        }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(SoftmaxOp op) {
  Tensor out = get(op.getScores());
  softmaxRows(out);
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(LogSumExpOp op) {
  const Tensor &scores = get(op.getScores());
  int64_t S = scores.size(3);
  FailureOr<Tensor> out = allocate(
      op, op.getType(), {scores.size(0), scores.size(1), scores.size(2)});
  if (failed(out))
    return failure();
  for (int64_t row = 0; row < out->numElements(); ++row) {
    const double *x = scores.data.data() + row * S;
    double peak = kMasked;
    for (int64_t s = 0; s < S; ++s)
      peak = std::max(peak, x[s]);
    double sum = 0;
    for (int64_t s = 0; s < S && !isMasked(peak); ++s)
      sum += std::exp(x[s] - peak);
    out->data[row] = isMasked(peak) ? kMasked : peak + std::log(sum);
  }
  return out;
}

/// attn.attention means its decomposition (AttentionOp::decompose): run
/// that, built in a scratch function over the op's operands.
LogicalResult Interpreter::evaluate(AttentionOp op) {
  OpBuilder builder(op.getContext());
  OwningOpRef<func::FuncOp> scratch = func::FuncOp::create(
      op.getLoc(), "attention",
      builder.getFunctionType(op->getOperandTypes(), op->getResultTypes()));
  Block *entry = scratch->addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(op->getOperands(), entry->getArguments());
  auto clone = cast<AttentionOp>(builder.clone(*op, mapping));
  SmallVector<Value, 2> results = clone.decompose(builder);
  func::ReturnOp::create(builder, op.getLoc(), results);
  clone.erase();
  SmallVector<Tensor> operands;
  for (Value operand : op->getOperands())
    operands.push_back(get(operand));
  Interpreter decomposed;
  FailureOr<SmallVector<Tensor>> out =
      decomposed.runBlock(scratch->getBody().front(), operands);
  if (failed(out))
    return failure();
  for (auto [result, tensor] : llvm::zip(op->getResults(), *out))
    values[result] = std::move(tensor);
  return success();
}

FailureOr<Tensor> Interpreter::evaluate(FeatureMapOp op) {
  Tensor out = get(op.getInput());
  for (double &x : out.data) {
    switch (op.getKind()) {
    case FeatureMapKind::identity:
      break;
    case FeatureMapKind::elu_plus_one:
      x = x > 0 ? x + 1 : std::exp(x);
      break;
    case FeatureMapKind::relu:
      x = std::max(x, 0.0);
      break;
    }
  }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(DecayOp op) {
  Tensor out = get(op.getScores());
  const Tensor &g = get(op.getGates());
  int64_t B = out.size(0), H = out.size(1), T = out.size(2), S = out.size(3);
  if (failed(require(op, S == T,
                     "decay needs as many keys (" + Twine(S) +
                         ") as queries (" + Twine(T) + ")")))
    return failure();
  bool perHead = g.rank() == 1;
  if (failed(require(op,
                     perHead
                         ? g.size(0) == H
                         : g.size(0) == B && g.size(1) == H && g.size(2) == T,
                     "gates do not match the scores' shape")))
    return failure();
  std::vector<double> cumulative(T);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      double sum = 0;
      for (int64_t t = 0; t < T; ++t)
        cumulative[t] = sum += perHead ? g.at({h}) : g.at({b, h, t});
      for (int64_t t = 0; t < T; ++t)
        for (int64_t s = 0; s < S; ++s) {
          double &x = out.at({b, h, t, s});
          if (s > t)
            x = kMasked;
          else if (!isMasked(x))
            x *= std::exp(cumulative[t] - cumulative[s]);
        }
    }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(AggregateOp op) {
  const Tensor &w = get(op.getWeights()), &v = get(op.getValues());
  int64_t B = w.size(0), Hq = w.size(1), T = w.size(2), S = w.size(3);
  int64_t Hkv = v.size(1), Dv = v.size(3);
  if (failed(require(op, v.size(0) == B && v.size(2) == S,
                     "values hold " + Twine(v.size(2)) + " positions for " +
                         Twine(S) + " keys")) ||
      failed(require(op, Hkv > 0 && Hq % Hkv == 0,
                     Twine(Hq) + " heads are not a multiple of " + Twine(Hkv) +
                         " value heads")))
    return failure();
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, Hq, T, Dv});
  if (failed(out))
    return failure();
  aggregateValues(w, v, *out);
  return out;
}

//===----------------------------------------------------------------------===//
// The state form
//===----------------------------------------------------------------------===//

template <typename OpTy>
FailureOr<Recurrence> Interpreter::startRecurrence(OpTy op) {
  const Tensor &q = get(op.getQuery()), &k = get(op.getKey()),
               &v = get(op.getValue());
  int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), Dk = q.size(3);
  int64_t Hkv = k.size(1), Dv = v.size(3);
  if (failed(require(op,
                     k.size(0) == B && v.size(0) == B && k.size(2) == T &&
                         v.size(2) == T && v.size(1) == Hkv,
                     "query, key and value differ in batch, length or "
                     "key/value heads")) ||
      failed(require(op, Hkv > 0 && Hq % Hkv == 0,
                     Twine(Hq) + " query heads are not a multiple of " +
                         Twine(Hkv) + " key heads")))
    return failure();
  const Tensor *gates = op.getGates() ? &get(op.getGates()) : nullptr;
  if (gates) {
    bool fits = gates->rank() == 1
                    ? gates->size(0) == Hq
                    : gates->size(0) == B && gates->size(1) == Hq &&
                          gates->size(2) == T;
    if (failed(require(op, fits, "gates do not match the query's shape")))
      return failure();
  }
  FailureOr<Tensor> out =
      allocate(op, op.getOutput().getType(), {B, Hq, T, Dv});
  FailureOr<Tensor> final =
      allocate(op, op.getFinalState().getType(), {B, Hq, Dk, Dv});
  if (failed(out) || failed(final))
    return failure();
  if (op.getInit()) {
    const Tensor &init = get(op.getInit());
    if (failed(require(op, init.size(0) == B && init.size(1) == Hq,
                       "initial state does not match batch and heads")))
      return failure();
    final->data = init.data;
  }
  return Recurrence{q,
                    k,
                    v,
                    gates,
                    B,
                    Hq,
                    T,
                    Dk,
                    Hkv,
                    Dv,
                    std::move(*out),
                    std::move(*final)};
}

LogicalResult Interpreter::evaluate(ScanOp op) {
  FailureOr<Recurrence> r = startRecurrence(op);
  if (failed(r))
    return failure();
  auto &[q, k, v, gates, B, Hq, T, Dk, Hkv, Dv, out, final] = *r;
  Block &body = op.getBody().front();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t hk = sharedHead(h, Hq, Hkv);
      Tensor state = Tensor::filled({Dk, Dv});
      std::copy_n(final.data.begin() + final.offset({b, h, 0, 0}), Dk * Dv,
                  state.data.begin());
      for (int64_t t = 0; t < T; ++t) {
        SmallVector<Tensor> args = {std::move(state), Tensor::filled({Dk}),
                                    Tensor::filled({Dk}), Tensor::filled({Dv})};
        for (int64_t d = 0; d < Dk; ++d) {
          args[1].data[d] = q.at({b, h, t, d});
          args[2].data[d] = k.at({b, hk, t, d});
        }
        for (int64_t d = 0; d < Dv; ++d)
          args[3].data[d] = v.at({b, hk, t, d});
        if (gates) {
          if (gates->rank() == 4) {
            Tensor g = Tensor::filled({Dk});
            for (int64_t d = 0; d < Dk; ++d)
              g.data[d] = gates->at({b, h, t, d});
            args.push_back(std::move(g));
          } else {
            args.push_back(Tensor::scalar(
                gates->rank() == 1 ? gates->at({h}) : gates->at({b, h, t})));
          }
        }
        FailureOr<SmallVector<Tensor>> yielded = runBlock(body, args);
        if (failed(yielded))
          return failure();
        state = std::move((*yielded)[0]);
        for (int64_t d = 0; d < Dv; ++d)
          out.at({b, h, t, d}) = (*yielded)[1].data[d];
      }
      std::copy(state.data.begin(), state.data.end(),
                final.data.begin() + final.offset({b, h, 0, 0}));
    }
  values[op.getOutput()] = std::move(out);
  values[op.getFinalState()] = std::move(final);
  return success();
}

FailureOr<Tensor> Interpreter::evaluate(StateDecayOp op) {
  Tensor out = get(op.getState());
  const Tensor &g = get(op.getGate());
  int64_t Dk = out.size(0), Dv = out.size(1);
  for (int64_t i = 0; i < Dk; ++i) {
    double factor = std::exp(g.rank() == 0 ? g.data[0] : g.data[i]);
    for (int64_t j = 0; j < Dv; ++j)
      out.at({i, j}) *= factor;
  }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(StateUpdateOp op) {
  Tensor out = get(op.getState());
  const Tensor &k = get(op.getKey()), &v = get(op.getValue());
  for (int64_t i = 0; i < out.size(0); ++i)
    for (int64_t j = 0; j < out.size(1); ++j)
      out.at({i, j}) += k.data[i] * v.data[j];
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(StateReadOp op) {
  const Tensor &state = get(op.getState()), &q = get(op.getQuery());
  Tensor out = Tensor::filled({state.size(1)});
  double scale = op.getScale() ? op.getScale()->convertToDouble() : 1.0;
  for (int64_t i = 0; i < state.size(0); ++i)
    for (int64_t j = 0; j < state.size(1); ++j)
      out.data[j] += scale * q.data[i] * state.at({i, j});
  return out;
}

LogicalResult Interpreter::evaluate(ChunkedScanOp op) {
  FailureOr<Recurrence> r = startRecurrence(op);
  if (failed(r))
    return failure();
  auto &[q, k, v, gates, B, Hq, T, Dk, Hkv, Dv, out, final] = *r;
  int64_t C = op.getChunk();
  int64_t chunks = llvm::divideCeil(T, C);
  double scale = op.getScale().convertToDouble();
  FailureOr<Tensor> chunkStates = Tensor();
  if (op.getMaterialized())
    chunkStates =
        allocate(op, op.getChunkStates().getType(), {B, Hq, chunks, Dk, Dv});
  if (failed(chunkStates))
    return failure();

  // Log-decay of step t along key dim d (scalar gates repeat over d).
  auto gate = [&](int64_t b, int64_t h, int64_t t, int64_t d) -> double {
    if (!gates)
      return 0.0;
    switch (gates->rank()) {
    case 1:
      return gates->at({h});
    case 3:
      return gates->at({b, h, t});
    default:
      return gates->at({b, h, t, d});
    }
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t hk = sharedHead(h, Hq, Hkv);
      // cum[t][d]: gates summed from the start of t's chunk through t.
      std::vector<double> cum(T * Dk);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t d = 0; d < Dk; ++d)
          cum[t * Dk + d] =
              (t % C ? cum[(t - 1) * Dk + d] : 0.0) + gate(b, h, t, d);
      auto chunkEnd = [&](int64_t i) { return std::min(T, (i + 1) * C) - 1; };
      // Chunk i's own contribution to the state, as if it started from 0:
      // (K_i ⊙ exp(b_last - b))^T V_i.
      auto contribution = [&](int64_t i) {
        Tensor local = Tensor::filled({Dk, Dv});
        int64_t last = chunkEnd(i);
        for (int64_t s = i * C; s <= last; ++s)
          for (int64_t d = 0; d < Dk; ++d) {
            double w = k.at({b, hk, s, d}) *
                       std::exp(cum[last * Dk + d] - cum[s * Dk + d]);
            for (int64_t e = 0; e < Dv; ++e)
              local.at({d, e}) += w * v.at({b, hk, s, e});
          }
        return local;
      };
      // S_i = exp(b_last) ⊙ S_{i-1} + contribution_i.
      auto advance = [&](const Tensor &previous, const Tensor &local,
                         int64_t i) {
        Tensor next = local;
        int64_t last = chunkEnd(i);
        for (int64_t d = 0; d < Dk; ++d)
          for (int64_t e = 0; e < Dv; ++e)
            next.at({d, e}) +=
                std::exp(cum[last * Dk + d]) * previous.at({d, e});
        return next;
      };

      // states[i] is the state entering chunk i; states[chunks] the final.
      std::vector<Tensor> states(chunks + 1);
      states[0] = Tensor::filled({Dk, Dv});
      std::copy_n(final.data.begin() + final.offset({b, h, 0, 0}), Dk * Dv,
                  states[0].data.begin());
      if (op.getMaterialized()) {
        // Every chunk's contribution first (independent of the others), then
        // one cheap scan over chunks.
        std::vector<Tensor> locals;
        for (int64_t i = 0; i < chunks; ++i)
          locals.push_back(contribution(i));
        for (int64_t i = 0; i < chunks; ++i) {
          states[i + 1] = advance(states[i], locals[i], i);
          std::copy(states[i + 1].data.begin(), states[i + 1].data.end(),
                    chunkStates->data.begin() +
                        chunkStates->offset({b, h, i, 0, 0}));
        }
      }
      for (int64_t i = 0; i < chunks; ++i) {
        const Tensor &entering = states[i];
        for (int64_t t = i * C; t <= chunkEnd(i); ++t) {
          // Inter-chunk: (q_t ⊙ exp(b_t)) S_{i-1}.
          for (int64_t d = 0; d < Dk; ++d) {
            double qd = q.at({b, h, t, d}) * std::exp(cum[t * Dk + d]);
            for (int64_t e = 0; e < Dv; ++e)
              out.at({b, h, t, e}) += scale * qd * entering.at({d, e});
          }
          // Intra-chunk: (q_t k_s^T ⊙ D[t, s]) v_s for s <= t in the chunk.
          for (int64_t s = i * C; s <= t; ++s) {
            double w = 0;
            for (int64_t d = 0; d < Dk; ++d)
              w += q.at({b, h, t, d}) * k.at({b, hk, s, d}) *
                   std::exp(cum[t * Dk + d] - cum[s * Dk + d]);
            for (int64_t e = 0; e < Dv; ++e)
              out.at({b, h, t, e}) += scale * w * v.at({b, hk, s, e});
          }
        }
        if (!op.getMaterialized())
          states[i + 1] = advance(entering, contribution(i), i);
      }
      std::copy(states[chunks].data.begin(), states[chunks].data.end(),
                final.data.begin() + final.offset({b, h, 0, 0}));
    }
  values[op.getOutput()] = std::move(out);
  values[op.getFinalState()] = std::move(final);
  if (op.getMaterialized())
    values[op.getChunkStates()] = std::move(*chunkStates);
  return success();
}

//===----------------------------------------------------------------------===//
// NSA
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evaluate(CompressOp op) {
  const Tensor &x = get(op.getInput());
  int64_t B = x.size(0), H = x.size(1), S = x.size(2), D = x.size(3);
  int64_t block = op.getBlock(), stride = op.getStride();
  FailureOr<SmallVector<const Tensor *>> weights =
      poolingWeights(op, op.getWeights(), block, D, "");
  if (failed(weights))
    return failure();
  FailureOr<Tensor> out = allocate(
      op, op.getType(), {B, H, CompressOp::getNumBlocks(S, block, stride), D});
  if (failed(out))
    return failure();
  compressBlocks(x, op.getPooling(), block, stride, *weights, *out);
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(SelectBlocksOp op) {
  const Tensor &p = get(op.getProbs());
  int64_t B = p.size(0), Hq = p.size(1), T = p.size(2);
  int64_t G = cast<ShapedType>(op.getType()).getDimSize(1);
  if (failed(require(op, Hq % G == 0,
                     Twine(Hq) + " heads are not a multiple of " + Twine(G) +
                         " groups")))
    return failure();
  int64_t top = op.getTop();
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, G, T, top}, -1.0);
  if (failed(out))
    return failure();
  selectBlocks(p,
               {static_cast<int64_t>(op.getCompressBlock()),
                static_cast<int64_t>(op.getCompressStride()),
                static_cast<int64_t>(op.getBlock()), top,
                static_cast<int64_t>(op.getInitial()),
                static_cast<int64_t>(op.getLocal())},
               *out);
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(GateCombineOp op) {
  const Tensor &gates = get(op.getGates());
  const Tensor &first = get(op.getBranches()[0]);
  int64_t branches = op.getBranches().size();
  SmallVector<const Tensor *> outputs;
  for (Value branch : op.getBranches()) {
    outputs.push_back(&get(branch));
    if (failed(require(op, outputs.back()->shape == first.shape,
                       "branch outputs differ in shape")))
      return failure();
  }
  if (failed(require(op,
                     gates.rank() == 4 && gates.size(0) == first.size(0) &&
                         gates.size(1) == first.size(1) &&
                         gates.size(2) == first.size(2) &&
                         gates.size(3) == branches,
                     "gates do not match the branches")))
    return failure();
  Tensor out(first.shape);
  gateCombine(outputs, gates, out);
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(NsaOp op) {
  const Tensor &q = get(op.getQuery()), &k = get(op.getKey()),
               &v = get(op.getValue()), &gates = get(op.getGates());
  int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), Dk = q.size(3);
  int64_t Hkv = k.size(1), Dv = v.size(3);
  int64_t block = op.getCompressBlock(), stride = op.getCompressStride();
  if (failed(require(op, k.size(0) == B && k.size(2) == T && k.size(3) == Dk,
                     "keys do not match the queries (self-attention: as "
                     "many keys as queries)")) ||
      failed(require(op, v.size(0) == B && v.size(1) == Hkv && v.size(2) == T,
                     "values do not match the keys")) ||
      failed(require(op, Hkv > 0 && Hq % Hkv == 0,
                     Twine(Hq) + " query heads are not a multiple of " +
                         Twine(Hkv) + " key heads")) ||
      failed(require(op,
                     gates.rank() == 4 && gates.size(0) == B &&
                         gates.size(1) == Hq && gates.size(2) == T &&
                         gates.size(3) == 3,
                     "gates are not [batch, query heads, length, 3]")))
    return failure();
  FailureOr<SmallVector<const Tensor *>> keyWeights =
      poolingWeights(op, op.getKeyWeights(), block, Dk, "key ");
  if (failed(keyWeights))
    return failure();
  FailureOr<SmallVector<const Tensor *>> valueWeights =
      poolingWeights(op, op.getValueWeights(), block, Dv, "value ");
  if (failed(valueWeights))
    return failure();
  int64_t top = op.getTop();
  // The unfused program's largest intermediates: the token scores and the
  // selected blocks (top may be large). The others are no larger than these
  // or the inputs.
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, Hq, T, Dv});
  if (failed(out) || failed(checkCount(op, {B, Hq, T, T}, "the scores")) ||
      failed(checkCount(op, {B, Hkv, T, top}, "the block selection")))
    return failure();
  int64_t Nc = CompressOp::getNumBlocks(T, block, stride);
  Tensor kc({B, Hkv, Nc, Dk}), vc({B, Hkv, Nc, Dv}), pc({B, Hq, T, Nc}),
      scores({B, Hq, T, T}), indices({B, Hkv, T, top}, -1.0);
  double scale = op.getScale().convertToDouble();
  SmallVector<int64_t> lengths(B, T);
  std::array<Tensor, 3> branches = {Tensor(out->shape), Tensor(out->shape),
                                    Tensor(out->shape)};

  // Compressed branch: blocks that end at or before the query.
  compressBlocks(k, op.getPooling(), block, stride, *keyWeights, kc);
  compressBlocks(v, op.getPooling(), block, stride, *valueWeights, vc);
  dotScores({{&q, &kc}}, scale, pc);
  maskScores(pc, MaskKind::compressed, block, stride, lengths);
  softmaxRows(pc);
  aggregateValues(pc, vc, branches[NsaOp::Compressed]);

  // Selected branch: causal over the blocks the compressed probabilities
  // rank highest, one selection per KV head.
  selectBlocks(pc,
               {block, stride, static_cast<int64_t>(op.getSelectBlock()), top,
                static_cast<int64_t>(op.getInitial()),
                static_cast<int64_t>(op.getLocal())},
               indices);
  dotScores({{&q, &k}}, scale, scores);
  Tensor selected = scores;
  maskScores(selected, MaskKind::causal, 0, 0, lengths);
  blockMaskScores(selected, indices, op.getSelectBlock());
  softmaxRows(selected);
  aggregateValues(selected, v, branches[NsaOp::Selected]);

  // Window branch: the last `window` tokens.
  maskScores(scores, MaskKind::sliding_window, op.getWindow(), 0, lengths);
  softmaxRows(scores);
  aggregateValues(scores, v, branches[NsaOp::Window]);

  SmallVector<const Tensor *> byColumn(3);
  for (auto which : {NsaOp::Compressed, NsaOp::Selected, NsaOp::Window})
    byColumn[op.getGateColumn(which)] = &branches[which];
  gateCombine(byColumn, gates, *out);
  return out;
}

//===----------------------------------------------------------------------===//
// MLA and DSA
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evaluate(ProjectOp op) {
  const Tensor &x = get(op.getInput()), &w = get(op.getWeight());
  bool transposed = op.getTransposed();
  int64_t B = x.size(0), Hin = x.size(1), T = x.size(2), Din = x.size(3);
  int64_t Hout = w.size(0), Dout = w.size(transposed ? 1 : 2);
  if (failed(require(op, w.size(transposed ? 2 : 1) == Din,
                     "weight input dim does not match the input")) ||
      failed(require(op, Hin > 0 && Hout % Hin == 0,
                     Twine(Hout) + " weight heads are not a multiple of " +
                         Twine(Hin) + " input heads")))
    return failure();
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, Hout, T, Dout});
  if (failed(out))
    return failure();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hout; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t i = 0; i < Din; ++i) {
          double xi = x.at({b, sharedHead(h, Hout, Hin), t, i});
          for (int64_t o = 0; o < Dout; ++o)
            out->at({b, h, t, o}) +=
                xi * (transposed ? w.at({h, o, i}) : w.at({h, i, o}));
        }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(RopeOp op) {
  Tensor out = get(op.getInput());
  int64_t B = out.size(0), H = out.size(1), T = out.size(2), D = out.size(3);
  FailureOr<SmallVector<int64_t>> lengths =
      keyLengths(op, op.getLengths(), B, std::numeric_limits<int64_t>::max());
  if (failed(lengths))
    return failure();
  double theta = op.getTheta().convertToDouble();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      double pos = op.getLengths() ? (*lengths)[b] - T + t : t;
      for (int64_t i = 0; i < D / 2; ++i) {
        double angle = pos * std::pow(theta, -2.0 * i / D);
        double c = std::cos(angle), s = std::sin(angle);
        for (int64_t h = 0; h < H; ++h) {
          double &x1 = out.at({b, h, t, i}), &x2 = out.at({b, h, t, i + D / 2});
          double a = x1, e = x2;
          x1 = a * c - e * s;
          x2 = e * c + a * s;
        }
      }
    }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(PagedCacheOp op) {
  const Tensor &pages = get(op.getPages()), &table = get(op.getTable());
  int64_t N = pages.size(0), P = pages.size(1), H = pages.size(2),
          D = pages.size(3), B = table.size(0), M = table.size(1);
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, H, M * P, D});
  if (failed(out))
    return failure();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m) {
      double page = table.at({b, m});
      if (page < 0 || page >= double(N))
        continue; // out-of-range entries read zeros
      for (int64_t p = 0; p < P; ++p)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t d = 0; d < D; ++d)
            out->at({b, h, m * P + p, d}) = pages.at({int64_t(page), p, h, d});
    }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(IndexScoreOp op) {
  const Tensor &q = get(op.getQuery()), &k = get(op.getKey()),
               &w = get(op.getWeights());
  int64_t B = q.size(0), Hi = q.size(1), T = q.size(2), D = q.size(3);
  int64_t S = k.size(2);
  if (failed(require(op, k.size(0) == B && k.size(3) == D,
                     "indexer keys do not match the queries")) ||
      failed(require(op, w.size(0) == B && w.size(1) == Hi && w.size(2) == T,
                     "indexer weights do not match the queries")))
    return failure();
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, 1, T, S});
  if (failed(out))
    return failure();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t s = 0; s < S; ++s) {
        double sum = 0;
        for (int64_t j = 0; j < Hi; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += q.at({b, j, t, d}) * k.at({b, 0, s, d});
          sum += w.at({b, j, t}) * std::max(dot, 0.0);
        }
        out->at({b, 0, t, s}) = sum;
      }
  return out;
}

FailureOr<Tensor> Interpreter::evaluate(SelectTokensOp op) {
  const Tensor &scores = get(op.getScores());
  int64_t B = scores.size(0), G = scores.size(1), T = scores.size(2),
          S = scores.size(3), top = op.getTop();
  FailureOr<Tensor> out = allocate(op, op.getType(), {B, G, T, top}, -1.0);
  if (failed(out))
    return failure();
  for (int64_t row = 0; row < B * G * T; ++row) {
    const double *x = scores.data.data() + row * S;
    std::vector<int64_t> order;
    for (int64_t s = 0; s < S; ++s)
      if (!isMasked(x[s]))
        order.push_back(s);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return x[a] > x[b]; });
    order.resize(std::min<int64_t>(order.size(), top));
    std::sort(order.begin(), order.end());
    std::copy(order.begin(), order.end(), out->data.begin() + row * top);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Builtin ops
//===----------------------------------------------------------------------===//

FailureOr<Tensor> Interpreter::evaluate(arith::ConstantOp op) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (auto shaped = dyn_cast<ShapedType>(op.getType())) {
    if (!dense)
      return op.emitError("the interpreter runs dense constants only");
    Tensor out(shaped.getShape());
    if (isa<FloatType>(shaped.getElementType())) {
      llvm::transform(dense.getValues<APFloat>(), out.data.begin(),
                      [](const APFloat &f) {
                        APFloat copy = f;
                        bool lost;
                        copy.convert(APFloat::IEEEdouble(),
                                     APFloat::rmNearestTiesToEven, &lost);
                        return copy.convertToDouble();
                      });
    } else {
      llvm::transform(dense.getValues<APInt>(), out.data.begin(),
                      [](const APInt &i) { return double(i.getSExtValue()); });
    }
    return out;
  }
  FailureOr<double> value = evaluateScalar(op, {});
  if (failed(value))
    return failure();
  return Tensor::scalar(*value);
}

FailureOr<double> Interpreter::evaluateScalar(Operation *op,
                                              ArrayRef<double> x) {
  auto unsupported = [&]() -> FailureOr<double> {
    return op->emitError("the interpreter does not support this op");
  };
  return llvm::TypeSwitch<Operation *, FailureOr<double>>(op)
      .Case([&](arith::ConstantOp c) -> FailureOr<double> {
        if (auto f = dyn_cast<FloatAttr>(c.getValue()))
          return f.getValueAsDouble();
        if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
          return double(i.getValue().getSExtValue());
        return unsupported();
      })
      .Case([&](arith::AddFOp) { return x[0] + x[1]; })
      .Case([&](arith::SubFOp) { return x[0] - x[1]; })
      .Case([&](arith::MulFOp) { return x[0] * x[1]; })
      .Case([&](arith::DivFOp) { return x[0] / x[1]; })
      .Case([&](arith::NegFOp) { return -x[0]; })
      // IEEE 754-2019 maximum and minimum, arith's semantics: NaN wins.
      .Case([&](arith::MaximumFOp) {
        return llvm::maximum(APFloat(x[0]), APFloat(x[1])).convertToDouble();
      })
      .Case([&](arith::MinimumFOp) {
        return llvm::minimum(APFloat(x[0]), APFloat(x[1])).convertToDouble();
      })
      .Case([&](arith::AddIOp) { return x[0] + x[1]; })
      .Case([&](arith::SubIOp) { return x[0] - x[1]; })
      .Case([&](arith::MulIOp) { return x[0] * x[1]; })
      .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::SIToFPOp,
            arith::UIToFPOp, arith::ExtFOp, arith::TruncFOp>(
          [&](Operation *) { return x[0]; })
      .Case([&](arith::SelectOp) { return x[0] != 0 ? x[1] : x[2]; })
      // MLIR's own predicate semantics: NaN makes ordered predicates false
      // and unordered ones true; unsigned ones compare the bits as unsigned.
      .Case([&](arith::CmpFOp cmp) -> FailureOr<double> {
        return double(arith::applyCmpPredicate(cmp.getPredicate(),
                                               APFloat(x[0]), APFloat(x[1])));
      })
      .Case([&](arith::CmpIOp cmp) -> FailureOr<double> {
        unsigned width = comparedWidth(cmp.getLhs().getType());
        auto bits = [&](double v) {
          return APInt(64, uint64_t(int64_t(v)), /*isSigned=*/true)
              .trunc(width);
        };
        return double(arith::applyCmpPredicate(cmp.getPredicate(), bits(x[0]),
                                               bits(x[1])));
      })
      .Case([&](math::TanhOp) { return std::tanh(x[0]); })
      .Case([&](math::ExpOp) { return std::exp(x[0]); })
      .Case([&](math::Exp2Op) { return std::exp2(x[0]); })
      .Case([&](math::LogOp) { return std::log(x[0]); })
      .Case([&](math::Log2Op) { return std::log2(x[0]); })
      .Case([&](math::SqrtOp) { return std::sqrt(x[0]); })
      .Case([&](math::RsqrtOp) { return 1.0 / std::sqrt(x[0]); })
      .Case([&](math::AbsFOp) { return std::fabs(x[0]); })
      .Case([&](math::PowFOp) { return std::pow(x[0], x[1]); })
      .Case([&](math::SinOp) { return std::sin(x[0]); })
      .Case([&](math::CosOp) { return std::cos(x[0]); })
      .Default([&](Operation *) { return unsupported(); });
}

LogicalResult attn::checkArguments(func::FuncOp function,
                                   ArrayRef<Tensor> arguments) {
  auto argTypes = function.getArgumentTypes();
  if (arguments.size() != argTypes.size())
    return function.emitError() << "takes " << argTypes.size()
                                << " arguments, got " << arguments.size();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(argTypes, arguments))) {
    auto [type, tensor] = pair;
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked)
      return function.emitError() << "argument " << i << " has type " << type
                                  << "; only ranked tensors can be run";
    bool fits = ranked.getRank() == tensor.rank();
    for (int64_t d = 0; fits && d < tensor.rank(); ++d)
      fits = ranked.isDynamicDim(d) || ranked.getDimSize(d) == tensor.size(d);
    if (!fits) {
      auto diag = function.emitError()
                  << "argument " << i << " of type " << type
                  << " cannot take an input of shape [";
      llvm::interleaveComma(tensor.shape, diag);
      return diag << "]";
    }
  }
  return success();
}

FailureOr<std::vector<Tensor>> attn::interpret(func::FuncOp function,
                                               ArrayRef<Tensor> arguments) {
  return Interpreter().run(function, arguments);
}
