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
  unsigned query, key, value;      ///< argument numbers
  std::optional<unsigned> lengths; ///< argument number of [B] key lengths
  int64_t heads, kvHeads, headDim, valueDim;
  mlir::Type element; ///< bf16 or f16
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

/// C type of an element type in generated code (__nv_bfloat16, __half).
llvm::StringRef elementTypeName(mlir::Type type);

/// The launcher's shape and stride checks against the program's static
/// sizes, as statements of a function returning an error code.
void emitSoftmaxChecks(const SoftmaxAttention &attention,
                       llvm::raw_ostream &os);

/// The launcher's tensor parameters: the function's arguments in order
/// (q, k, v, lengths by role), then the output.
std::string softmaxParameters(const SoftmaxAttention &attention);

/// The kernels and launcher of a softmax attention function for sm_90a.
mlir::LogicalResult emitSoftmaxSm90(const SoftmaxAttention &attention,
                                    llvm::StringRef name,
                                    llvm::raw_ostream &os);

/// `attn.chunked_scan` with q, k, v, gates and the initial state taken
/// straight from the function's arguments (or [H] gates from a constant):
/// the form the chunked linear attention kernels compute.
struct ChunkedLinear {
  enum Gates { None, Head, Token, Key };
  enum Result { Output, FinalState };
  mlir::func::FuncOp function;
  ChunkedScanOp scan;
  unsigned query, key, value;           ///< argument numbers
  std::optional<unsigned> gateArgument; ///< absent for none or constant gates
  std::optional<unsigned> init;
  Gates gates = None; ///< [H], [B, H, T] or [B, H, T, Dk] log-decays
  llvm::SmallVector<double> headGates; ///< constant [H] gates
  llvm::SmallVector<Result> results;   ///< the function's results in order
  int64_t heads, kvHeads, keyDim, valueDim;
  mlir::Type element; ///< bf16 or f16
  double scale;
};

/// The attn.chunked_scan whose values the function returns, if any.
ChunkedScanOp returnedChunkedScan(mlir::func::FuncOp function);

/// Recognizes the chunked linear form, or reports at the first op that does
/// not fit why the CUDA backend cannot compile the function.
mlir::FailureOr<ChunkedLinear> matchChunkedLinear(mlir::func::FuncOp);

/// The launcher's tensor parameters: the function's arguments in order (q,
/// k, v, gates, init by role), then its results (out, final_state).
std::string linearParameters(const ChunkedLinear &linear);

/// The kernels (mma.sync, for sm_80 and sm_90a) and launcher of a chunked
/// linear attention function.
mlir::LogicalResult emitChunkedLinear(const ChunkedLinear &linear,
                                      llvm::StringRef name, Arch arch,
                                      llvm::raw_ostream &os);

} // namespace attn::cuda

#endif // ATTN_LIB_TARGET_CUDA_EMITTER_H
