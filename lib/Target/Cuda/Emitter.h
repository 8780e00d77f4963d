//===- Emitter.h - CUDA C++ emission internals ------------------*- C++ -*-===//

#ifndef ATTN_LIB_TARGET_CUDA_EMITTER_H
#define ATTN_LIB_TARGET_CUDA_EMITTER_H

#include "Attn/AttnOps.h"
#include "attn/Target/Cuda/CudaBackend.h"

#include "llvm/Support/raw_ostream.h"

namespace attn::cuda {

/// Replaces every `$NAME` or `${NAME}` of `text` by its value; names are
/// [A-Za-z0-9_].
std::string
substitute(llvm::StringRef text,
           llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> values);

/// `aggregate(softmax(chain(score(q, k))), v)` with q, k, v (and the masks'
/// key lengths) taken straight from the function's arguments: the form the
/// softmax kernels compute. The chain holds masks and score mods.
struct SoftmaxAttention {
  mlir::func::FuncOp function;
  ScoreOp score;
  llvm::SmallVector<mlir::Operation *> chain;
  AggregateOp aggregate;
  unsigned query, key, value;       ///< argument numbers
  std::optional<unsigned> lengths;  ///< argument number of [B] key lengths
  int64_t heads, kvHeads, headDim, valueDim;
  mlir::Type element;               ///< bf16 or f16
  double scale;
};

/// Recognizes the softmax form, or reports at the first op that does not fit
/// why the CUDA backend cannot compile the function.
mlir::FailureOr<SoftmaxAttention> matchSoftmaxAttention(mlir::func::FuncOp);

/// Device functions for the score chain, shared by every architecture:
///   float attnScoreChain<bool kMasked>(float x, b, h, t, s, T, L)
///     the chain on a scaled score; with kMasked, masked pairs give -inf;
///   void attnKeyRange(tFirst, tLast, T, L, &begin, &end)
///     the keys that queries [tFirst, tLast] may see;
///   bool attnTileVisible(tFirst, tLast, sFirst, sLast, T, L)
///     whether every pair of the tiles is visible (no mask needed);
/// where L is the sequence's key length (S or lengths[b]).
mlir::LogicalResult emitScoreChain(const SoftmaxAttention &attention,
                                   llvm::raw_ostream &os);

/// The score chain (emitScoreChain), then device functions on one warp's
/// score and output fragments in the m16n8 accumulator layout, which both
/// mma.sync tiles and each warp's part of a wgmma tile have:
///   attnScoreTile<kMasked, kN>: the chain on a 16 x kN score fragment;
///   attnOnlineSoftmax<Elem, kN, kNV>: the online softmax step, giving P as
///     MMA A fragments and rescaling the output fragment;
///   attnStoreRows<Elem, kNV>: the normalized output rows and log-sum-exp.
mlir::LogicalResult emitSoftmaxFragments(const SoftmaxAttention &attention,
                                         llvm::raw_ostream &os);

/// C type of an element type in generated code (__nv_bfloat16, __half).
llvm::StringRef elementTypeName(mlir::Type type);

/// The launcher's shape, stride and alignment checks against the program's
/// static sizes, as statements of a function returning an error code; they
/// return 0 early when there is nothing to compute (B or T is 0).
void emitSoftmaxChecks(const SoftmaxAttention &attention,
                       llvm::raw_ostream &os);

/// The launcher's tensor parameters: the function's arguments in order
/// (q, k, v, lengths by role), then the output.
std::string softmaxParameters(const SoftmaxAttention &attention);

/// The kernels and launcher of a softmax attention function for sm_90a.
mlir::LogicalResult emitSoftmaxSm90(const SoftmaxAttention &attention,
                                    llvm::StringRef name,
                                    llvm::raw_ostream &os);

/// The kernel and launcher of a softmax attention function for sm_80
/// (mma.sync, ldmatrix, cp.async).
mlir::LogicalResult emitSoftmaxSm80(const SoftmaxAttention &attention,
                                    llvm::StringRef name,
                                    llvm::raw_ostream &os);

} // namespace attn::cuda

#endif // ATTN_LIB_TARGET_CUDA_EMITTER_H
