//===- Lowering.h - attn programs to Halide pipelines -----------*- C++ -*-===//
//
// Internal to the CPU backend. Every SSA tensor of an attn function becomes a
// Halide Func over the same index space (indices listed outermost first, as in
// the MLIR type; Halide's own order is the reverse). Halide computes only what
// the outputs reach, so an op lowered for its generic meaning costs nothing
// when a fused kernel (softmax attention, chunked linear attention) reads the
// original inputs instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TARGET_CPU_LOWERING_H
#define ATTN_LIB_TARGET_CPU_LOWERING_H

#include "Attn/AttnOps.h"
#include "attn/Support/Masks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include "HalideCompat.h"

#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace attn::cpu {

/// One SSA tensor as a Halide Func. `shape` holds each extent (outermost
/// first) as an expression of the input buffers' extents.
struct HTensor {
  Halide::Func func;
  std::vector<Halide::Expr> shape;
  Halide::Type type;

  int rank() const { return static_cast<int>(shape.size()); }
  /// The element at `index` (outermost first).
  Halide::Expr operator()(std::vector<Halide::Expr> index) const;
};

/// A condition on input extents that must hold for the program to run,
/// reported at `op` when it does not.
struct ShapeCheck {
  mlir::Operation *op;
  Halide::Expr condition;
  std::string message;
};

/// What lowering and backends need to know about one function.
class LoweringContext {
public:
  explicit LoweringContext(mlir::func::FuncOp function) : function(function) {}

  mlir::func::FuncOp function;
  std::vector<Halide::ImageParam> inputs;
  std::vector<HTensor> outputs;
  std::vector<ShapeCheck> checks;

  const HTensor &get(mlir::Value value) const {
    return values.find(value)->second;
  }
  bool has(mlir::Value value) const { return values.count(value); }
  void set(mlir::Value value, HTensor tensor) {
    values[value] = std::move(tensor);
  }
  /// Records that `condition` (over input extents) must hold at run time.
  void require(mlir::Operation *op, Halide::Expr condition,
               const llvm::Twine &message) {
    checks.push_back({op, std::move(condition), message.str()});
  }
  /// A fresh Func named after the op, for readable lowered statements.
  Halide::Func newFunc(mlir::Operation *op, llvm::StringRef suffix = "");
  /// Funcs derived once from an op's operands and shared by every reader
  /// (the generic lowering and fused kernels), keyed by op and purpose.
  std::map<std::pair<mlir::Operation *, std::string>, Halide::Func> derived;

private:
  llvm::DenseMap<mlir::Value, HTensor> values;
  unsigned funcCounter = 0;
};

/// Builds Vars v0..v{rank-1} (outermost first) and the Func's argument list
/// (Halide order) for defining a result of the given rank.
struct IndexVars {
  explicit IndexVars(int rank);
  std::vector<Halide::Var> vars;   // outermost first
  std::vector<Halide::Var> halide; // innermost first
  const Halide::Var &operator[](int i) const { return vars[i]; }
  std::vector<Halide::Expr> exprs() const { return {vars.begin(), vars.end()}; }
};

/// "file:line:col" of `loc`, for messages the kernel prints at run time.
std::string locationText(mlir::Location loc);

/// The compute type of an element type: f32 for every float, i32 for
/// integers.
Halide::Type computeType(mlir::Type elementType);

/// How tensors of `elementType` are stored in buffers: f32, bf16, f16, i32
/// or i64; nullopt for element types the CPU backend does not take.
std::optional<Halide::Type> storageType(mlir::Type elementType);

/// The static extents of `type` where known, else those of `fallback`.
std::vector<Halide::Expr> shapeOf(mlir::ShapedType type,
                                  const std::vector<Halide::Expr> &fallback);

/// The result extents of `op`: static ones from `type`, checked at run time
/// against `computed` (what the operands give); dynamic ones are `computed`.
std::vector<Halide::Expr>
resultShape(LoweringContext &ctx, mlir::Operation *op, mlir::ShapedType type,
            const std::vector<Halide::Expr> &computed);

/// Floats per vector register of the target compiled for (8 with AVX2, 16
/// with AVX-512, 4 with NEON): the width every schedule vectorizes with.
int vectorLanes();

/// Generic schedule of a Func computed whole: parallel over its outermost
/// dimension, vectorized along the innermost in every stage where it stays a
/// pure dimension, unless `innerExtent` is a constant below one vector.
void scheduleRoot(Halide::Func f, Halide::Expr innerExtent = Halide::Expr());
inline void scheduleRoot(const HTensor &tensor) {
  scheduleRoot(tensor.func,
               tensor.shape.empty() ? Halide::Expr() : tensor.shape.back());
}

/// Query head h of `heads` reads head h / (heads / kvHeads).
inline Halide::Expr sharedHead(Halide::Expr h, Halide::Expr heads,
                               Halide::Expr kvHeads) {
  return h / (heads / kvHeads);
}

/// What a masked score holds in a tensor, as the ops define it. Only ever
/// stored: Halide 21 compiles floats as finite (LLVM's ninf/nnan) unless
/// strict_float says otherwise, so no arithmetic may read it back.
inline Halide::Expr minusInfinity() {
  return Halide::Expr(-std::numeric_limits<float>::infinity());
}

/// Whether `x`, read from a tensor, is a masked score (-inf): for consumers
/// that cannot see the producer's predicate. is_inf is evaluated strictly
/// (Halide 21 would fold a plain comparison with -inf to false).
inline Halide::Expr isMinusInfinity(Halide::Expr x) {
  return Halide::is_inf(x) && x < 0.0f;
}

/// The lowest finite float: the start of a running maximum over scores, a
/// finite stand-in that only predicates, never arithmetic, tell apart.
inline Halide::Expr lowestFloat() {
  return Halide::Expr(std::numeric_limits<float>::lowest());
}

/// A score of the chain and whether the chain so far keeps it. Masked
/// scores are tracked by this predicate, never by comparing values with
/// -inf: Halide assumes floats are finite and folds such comparisons away.
struct ChainScore {
  Halide::Expr score;
  Halide::Expr kept;
  /// The score as the ops' tensors hold it: -inf where masked.
  Halide::Expr value() const {
    return Halide::select(kept, score, minusInfinity());
  }
};

/// The links of a score chain, element by element, on the score of
/// (b, h, t, s) among scores of `shape` [B, H, T, S]: a positional mask
/// (attn.mask's meaning; `lengths` may be null), a block mask (attn.block_mask)
/// and a score mod's body. Lowered generically and fused into the softmax
/// attention kernel by the same code. The score is undefined when a body
/// cannot be lowered.
ChainScore applyMask(LoweringContext &ctx, mlir::Operation *op, MaskKind kind,
                     int size, int stride, mlir::Value lengths, ChainScore in,
                     Halide::Expr b, Halide::Expr t, Halide::Expr s,
                     const std::vector<Halide::Expr> &shape);
ChainScore applyBlockMask(LoweringContext &ctx, mlir::Operation *op,
                          mlir::Value indices, int block, ChainScore in,
                          Halide::Expr b, Halide::Expr h, Halide::Expr t,
                          Halide::Expr s,
                          const std::vector<Halide::Expr> &shape);
ChainScore applyScoreMod(mlir::Block &body, ChainScore in, Halide::Expr b,
                         Halide::Expr h, Halide::Expr t, Halide::Expr s);
/// One op of a chain of attn.mask, attn.block_mask and attn.score_mod.
ChainScore applyScoreOp(mlir::Operation *op, LoweringContext &ctx,
                        ChainScore in, Halide::Expr b, Halide::Expr h,
                        Halide::Expr t, Halide::Expr s,
                        const std::vector<Halide::Expr> &scoreShape);
/// attn.attention's chain: its masks, its block mask, its score mod.
ChainScore applyAttentionChain(AttentionOp op, LoweringContext &ctx,
                               ChainScore in, Halide::Expr b, Halide::Expr h,
                               Halide::Expr t, Halide::Expr s,
                               const std::vector<Halide::Expr> &scoreShape);

/// Halide expressions for the masks' meaning (attn/Support/Masks.h).
struct HalideMaskOps {
  using Int = Halide::Expr;
  using Bool = Halide::Expr;
  static Int integer(int64_t v) { return Halide::Expr(int(v)); }
  static Bool truth(bool v) {
    return v ? Halide::Internal::const_true() : Halide::Internal::const_false();
  }
  static Int select(Bool c, Int a, Int b) { return Halide::select(c, a, b); }
};

/// Whether a mask of `kind` keeps key s for the query at position p (keys
/// past the sequence end aside).
Halide::Expr positionKeeps(MaskKind kind, int size, int stride, Halide::Expr s,
                           Halide::Expr p);

/// selected(block, t, g, b) = 1 when row (b, g, t) of the block indices
/// `idx` [B, G, T, n] names `block`; computed once per `op`.
Halide::Func selectedBlocks(LoweringContext &ctx, mlir::Operation *op,
                            const HTensor &idx);

/// The (query, key) pairs of attn.score or attn.attention, checked at run
/// time to agree in batch, heads, lengths and head dims.
std::vector<std::pair<HTensor, HTensor>> scorePairs(LoweringContext &ctx,
                                                    mlir::Operation *op,
                                                    mlir::ValueRange queries,
                                                    mlir::ValueRange keys);
/// Checks at run time that values [B, Hkv, S, Dv] hold one position per key
/// and that H query heads share them.
void requireValues(LoweringContext &ctx, mlir::Operation *op, const HTensor &v,
                   Halide::Expr B, Halide::Expr H, Halide::Expr S);

/// The generic attention steps, as attn.score (no decay), attn.softmax and
/// attn.aggregate define them, each into a Func of the given result shape.
HTensor dotScores(LoweringContext &ctx, mlir::Operation *op,
                  llvm::ArrayRef<std::pair<HTensor, HTensor>> pairs,
                  float scale, std::vector<Halide::Expr> shape);
/// `kept(b, h, t, s)` says which scores the rows keep; without it, those
/// that are not -inf.
HTensor softmaxRows(LoweringContext &ctx, mlir::Operation *op,
                    const HTensor &scores,
                    std::function<Halide::Expr(Halide::Expr b, Halide::Expr h,
                                               Halide::Expr t, Halide::Expr s)>
                        kept = nullptr);
/// The log-sum-exp [B, H, T] of the rows of `scores` over the keys `kept`
/// says (like softmaxRows, those that are not -inf without it); -inf for a
/// row that keeps none.
HTensor
logSumExpRows(LoweringContext &ctx, mlir::Operation *op, const HTensor &scores,
              std::function<Halide::Expr(Halide::Expr b, Halide::Expr h,
                                         Halide::Expr t, Halide::Expr s)>
                  kept = nullptr);
HTensor aggregateValues(LoweringContext &ctx, mlir::Operation *op,
                        const HTensor &weights, const HTensor &values,
                        std::vector<Halide::Expr> shape);

/// Each family lowers the ops it knows; `std::nullopt` means "not mine".
/// Failures have been reported at the op.
std::optional<mlir::LogicalResult>
lowerSoftmaxAttentionOp(mlir::Operation *op, LoweringContext &ctx);
std::optional<mlir::LogicalResult> lowerLinearAttentionOp(mlir::Operation *op,
                                                          LoweringContext &ctx);
std::optional<mlir::LogicalResult> lowerSparseAttentionOp(mlir::Operation *op,
                                                          LoweringContext &ctx);
/// Scalar arith / math ops on rank-0 values and inside score_mod bodies.
mlir::FailureOr<Halide::Expr>
lowerScalarOp(mlir::Operation *op, llvm::ArrayRef<Halide::Expr> operands);

/// Queries and keys per tile of the online-softmax kernel: a QT x KT score
/// block (16 KiB) stays in L1.
constexpr int kFlashQueryTile = 32;
constexpr int kFlashKeyTile = 128;

/// What an online-softmax kernel computes:
/// aggregate(softmax(chain(scale * sum over pairs of q . k)), values), without
/// ever forming the T x S scores.
struct FlashAttention {
  /// Names the kernel's Funcs; its shape errors are reported here.
  mlir::Operation *op;
  /// The (query, key) pairs whose dot products add up to a score.
  std::vector<std::pair<HTensor, HTensor>> pairs;
  HTensor values;
  float scale;
  /// The score of (b, h, t, s) after the masks and mods, with whether they
  /// keep it; an undefined score when it cannot be lowered.
  std::function<ChainScore(Halide::Expr score, Halide::Expr b, Halide::Expr h,
                           Halide::Expr t, Halide::Expr s)>
      chain;
  /// False only where the chain hides every key of key tile `kt` from every
  /// query of a query tile: queries [tFirst, tLast] of batch entry `b`, of
  /// head `h` (the tile's first head, when a tile spans a group of heads).
  /// Such tiles are skipped.
  std::function<Halide::Expr(Halide::Expr kt, Halide::Expr tFirst,
                             Halide::Expr tLast, Halide::Expr h,
                             Halide::Expr b)>
      tileVisible;
  /// The result's extents [B, H, T, Dv].
  std::vector<Halide::Expr> shape;
  /// Consecutive query heads that share every key and value head. When T is
  /// below a query tile (decode), a tile takes the rows (head, t) of such a
  /// group, so the shared keys are read once for the group and a tile is not
  /// mostly padding.
  int64_t headGroup = 1;
};

/// False only where a mask of `kind` hides every key of the key tile from
/// `first` from every query at positions [pFirst, pLast]; `L` is the
/// sequence's key length.
Halide::Expr keyTileMayBeVisible(MaskKind kind, int size, int stride,
                                 Halide::Expr first, Halide::Expr pFirst,
                                 Halide::Expr pLast, Halide::Expr L);

/// The online-softmax kernel, or nullopt when the chain cannot be lowered.
std::optional<HTensor> flashAttention(LoweringContext &ctx,
                                      const FlashAttention &kernel);

/// attn.attention: its output by the online-softmax kernel, its
/// log-sum-exp (when used) over the scores formed generically.
mlir::LogicalResult lowerAttention(AttentionOp op, LoweringContext &ctx);

/// Lowers `function` (arguments become ImageParams, results outputs).
mlir::LogicalResult lowerFunction(LoweringContext &ctx);

} // namespace attn::cpu

#endif // ATTN_LIB_TARGET_CPU_LOWERING_H
