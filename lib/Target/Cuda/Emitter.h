//===- Emitter.h - CUDA C++ emission internals ------------------*- C++ -*-===//

#ifndef ATTN_LIB_TARGET_CUDA_EMITTER_H
#define ATTN_LIB_TARGET_CUDA_EMITTER_H

#include "Attn/AttnOps.h"
#include "attn/Target/Cuda/CudaBackend.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/raw_ostream.h"

namespace attn::cuda {

/// Replaces every `$NAME` or `${NAME}` of `text` by its value; names are
/// [A-Za-z0-9_].
std::string
substitute(llvm::StringRef text,
           llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> values);

/// `value` as a CUDA C++ float expression: a literal when finite, else its
/// f32 bit pattern through __uint_as_float (C++ has no literal for infinity
/// or NaN, and the pattern needs no header under NVRTC).
std::string floatLiteral(float value);

/// The argument number of `value`, or failure with a diagnostic at `user`
/// saying that `reader` reads the `role` straight from a function argument.
mlir::FailureOr<unsigned> functionArgument(mlir::Value value,
                                           mlir::Operation *user,
                                           llvm::StringRef reader,
                                           llvm::StringRef role);

/// "const attn_cuda_tensor *<name>, " for each argument of `function` in
/// order, named by `nameOf` (argN where it gives "").
std::string
argumentParameters(mlir::func::FuncOp function,
                   llvm::function_ref<llvm::StringRef(unsigned)> nameOf);

/// A device function `name(d, a, b, accumulate)` issuing one wgmma
/// m64nNk16 with f32 accumulators `d`: A from shared memory (a descriptor)
/// or from registers (4 packed pairs), B from shared memory, N-major
/// (transposed) if `transB`.
std::string wgmmaFunction(llvm::StringRef name, int n, llvm::StringRef ptxType,
                          bool aInRegisters, bool transB);

/// DeepSeek sparse attention's token selection, the indices of an
/// attn.block_mask of block 1: select_tokens(masks(index_score(iq, ik, iw)))
/// with the indexer's inputs straight from the function's arguments.
struct TokenSelection {
  AttentionOp attention;
  IndexScoreOp indexScore;
  llvm::SmallVector<MaskOp> masks; ///< the indexer's, innermost first
  unsigned query, key, weights;    ///< argument numbers
  int64_t top, heads, dim;
};

/// The returned attn.attention with q, k, v (and the masks' key lengths)
/// taken straight from the function's arguments: what the softmax kernels
/// compute. A token selection (DSA) may keep only some keys.
struct SoftmaxAttention {
  mlir::func::FuncOp function;
  AttentionOp op;
  unsigned query, key, value;      ///< argument numbers
  std::optional<unsigned> lengths; ///< argument number of [B] key lengths
  /// With keys and values in pages (attn.paged_cache): the page table's
  /// argument number; key and value then number the page pools.
  std::optional<unsigned> pageTable;
  /// A second query-key pair, MLA's decoupled RoPE part: its arguments and
  /// sizes (ropeDim 0 without one).
  std::optional<unsigned> ropeQuery, ropeKey;
  int64_t ropeDim = 0, ropeKvHeads = 0;
  std::optional<TokenSelection> selection;
  int64_t heads, kvHeads, headDim, valueDim;
  mlir::Type element; ///< bf16 or f16
  double scale;
};

/// Reads the returned attn.attention and where its operands come from, or
/// reports why the CUDA backend cannot compile the function.
mlir::FailureOr<SoftmaxAttention> matchSoftmaxAttention(mlir::func::FuncOp);

/// The score chain and the device functions on m16n8-layout score and
/// output fragments that every softmax kernel builds on (Softmax.cpp).
mlir::LogicalResult emitSoftmaxFragments(const SoftmaxAttention &attention,
                                         llvm::raw_ostream &os);

/// The launcher's checks, after the shape checks that define B and T: [B]
/// contiguous lengths (if `lengths`), a [B, M] page table with a contiguous
/// last dim (if `pageTable`), `inputs` (C names) laid out for 16-byte
/// copies (`what` names them in the message), `out` for 2-element stores;
/// then it returns 0 when B or T is 0.
std::string launcherLayoutChecks(llvm::ArrayRef<llvm::StringRef> inputs,
                                 llvm::StringRef what, bool lengths,
                                 bool pageTable);

/// Device functions for the indexer's masks of a token selection:
///   void attnIndexKeyRange(t, T, L, &begin, &end): the keys query t may see;
///   bool attnIndexVisible(t, s, T, L): whether it sees key s < L.
void emitSelectionMasks(const TokenSelection &selection, llvm::raw_ostream &os);

/// DSA's indexer and top-k kernels (TokenSelection.cpp): their sizes, the
/// kernels ${NAME}_index and ${NAME}_topk, and the host function
/// attnSelectTokens, which leaves each query's selected keys (ascending,
/// then -1) and their count in scratch memory; templates over $NAME, $ELEM
/// and $LENGTH_TYPE.
struct SelectionParts {
  std::string constants, device, launcher;
};
SelectionParts emitTokenSelection(
    const SoftmaxAttention &attention,
    llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> names);

/// C type of the elements of an i32 or i64 argument such as the key
/// lengths or the page table ("int" or "long long"; "int" without one).
std::string indexType(const SoftmaxAttention &attention,
                      std::optional<unsigned> argument);

struct KernelParts;

/// A clone of a function (in its own module) whose f32 data tensors have a
/// 16-bit compute type (Storage.cpp says which).
struct NarrowedFunction {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp function;
  llvm::SmallVector<unsigned> arguments; ///< narrowed argument numbers
  llvm::SmallVector<unsigned> results;   ///< narrowed result numbers
};

/// `function` with its f32 data tensors in `compute` (bf16 or f16), or
/// nullopt when it has none.
mlir::FailureOr<std::optional<NarrowedFunction>>
narrowStorage(mlir::func::FuncOp function, mlir::Type compute);

/// Makes `parts` (emitted for `narrowed` under the name `inner`) the kernels
/// of `function` under `name`: conversion kernels, and a launcher with
/// `function`'s f32 C ABI that converts the narrowed tensors around a call
/// of the inner launcher.
void addStorageConversion(KernelParts &parts, mlir::func::FuncOp function,
                          const NarrowedFunction &narrowed,
                          llvm::StringRef name, llvm::StringRef inner,
                          mlir::Type compute);

/// C type of an element type in generated code (__nv_bfloat16, __half).
llvm::StringRef elementTypeName(mlir::Type type);

/// What a kernel emitter produces; CudaBackend.cpp assembles the file.
struct KernelParts {
  /// constexpr sizes, valid in host and device code.
  std::string constants;
  /// Device functions and the kernels, extern "C" __global__ functions
  /// named after the launcher (<name>_kernel, ...).
  std::string device;
  /// The extern "C" host launcher. It launches each kernel through
  /// attn_rt::launch with the handle that `attnKernel(<kernel name>)` gives
  /// (the nvcc-compiled function, or with ATTN_CUDA_NVRTC the kernel of the
  /// library that NVRTC compiles from the source on first use), kept in a
  /// static, with attn_rt::withSharedBytes for more than 48 KB of dynamic
  /// shared memory.
  std::string launcher;
  /// The launcher's C parameters, before the stream, and its header comment.
  std::string parameters, doc;
  /// The tile primitives the device code includes (attn/Runtime/cuda/...).
  std::string runtimeHeader;
};

/// The kernel and launcher of a softmax attention function for sm_90a.
mlir::FailureOr<KernelParts> emitSoftmaxSm90(const SoftmaxAttention &attention,
                                             llvm::StringRef name);

/// The kernel and launcher of a softmax attention function for sm_80
/// (mma.sync, ldmatrix, cp.async).
mlir::FailureOr<KernelParts> emitSoftmaxSm80(const SoftmaxAttention &attention,
                                             llvm::StringRef name);

/// The kernels and launcher of MLA's attention over a latent cache
/// (LatentAttention.cpp): two query-key pairs whose first keys are also the
/// values, one KV head; sm_90a.
mlir::FailureOr<KernelParts>
emitLatentAttention(const SoftmaxAttention &attention, llvm::StringRef name,
                    Arch arch);

/// The decode kernels (SoftmaxDecode.cpp) that every softmax kernel's file
/// also holds: their sizes (host-visible), the kernels, and their host
/// function `attnDecode`, as templates over the
/// softmax names ($NAME, $ELEM, $LENGTH_TYPE) and constants.
llvm::StringRef softmaxDecodeConstants();
llvm::StringRef softmaxDecodeKernel();
llvm::StringRef softmaxDecodeLauncher();
/// The decode templates' names for how they read the caches: plain, or
/// through the page table (extra kernel and launcher parameters).
std::vector<std::pair<llvm::StringRef, std::string>>
softmaxDecodeNames(const SoftmaxAttention &attention);

/// The merge of partial rows from key splits (SoftmaxDecode.cpp), shared by
/// the kernels that split keys across blocks: sizes (kCombineThreads,
/// kMaxSplits), the kernel ${NAME}_combine, and the host functions
/// attnPartials (scratch for the partial rows) and attnCombine (merges them
/// into out and lse); templates over $NAME and $ELEM with kHeads and kDV.
llvm::StringRef splitCombineConstants();
llvm::StringRef splitCombineKernel();
llvm::StringRef splitCombineLauncher();

/// A softmax kernel's text templates (see KernelParts); they may use the
/// placeholders $D, $DV, $H, $HKV, $NAME, $ELEM, $LENGTH_TYPE, $LENGTHS,
/// $PARAMS and, in the launcher, $CHECKS (emitSoftmaxChecks).
struct SoftmaxTemplates {
  llvm::StringRef constants;
  std::string instructions; ///< device functions placed before the kernel
  llvm::StringRef kernel, launcher, runtimeHeader;
};

/// A softmax kernel's parts: the score chain and fragment steps, then the
/// templates filled with the function's sizes, names and types plus
/// `kernelNames` (the kernel's own tile choices).
mlir::FailureOr<KernelParts> assembleSoftmaxKernel(
    const SoftmaxAttention &attention, llvm::StringRef name,
    llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> kernelNames,
    const SoftmaxTemplates &templates);

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

/// Whether the wgmma chunk kernel (ChunkedLinearSm90.cpp) computes `linear`
/// for `arch`: sm_90a, scalar or no decay, value dims a multiple of 128.
bool useWgmmaLinear(const ChunkedLinear &linear, Arch arch);

/// A chunk kernel of the linear attention launcher (the mma.sync one of
/// ChunkedLinear.cpp or the wgmma one of ChunkedLinearSm90.cpp): its sizes,
/// valid in host code; the device functions it calls; its two passes
/// (chunkPasses).
struct ChunkKernel {
  std::string sizes, functions, passes;
};

/// A chunk kernel's text, a template over $PASS and $OUT besides `names`,
/// as two extern "C" kernels: ${NAME}_main (kOut = true: outputs from each
/// segment's entering state) and ${NAME}_segments (kOut = false: each
/// segment's own state contribution). Two copies rather than a templated
/// body under two C entry points: inlined there, it compiled to different
/// code.
std::string
chunkPasses(llvm::StringRef kernel,
            llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> names);

/// The wgmma chunk kernel; `names` binds the template names that
/// ChunkedLinear.cpp's common part defines ($NAME, ...).
ChunkKernel chunkedLinearWgmmaKernel(
    const ChunkedLinear &linear,
    llvm::ArrayRef<std::pair<llvm::StringRef, std::string>> names);

/// The kernels (mma.sync, for sm_80 and sm_90a) and launcher of a chunked
/// linear attention function.
mlir::FailureOr<KernelParts> emitChunkedLinear(const ChunkedLinear &linear,
                                               llvm::StringRef name, Arch arch);

/// attn.nsa returned with its operands straight from the function's
/// arguments: the form the NSA kernels compute.
struct NsaAttention {
  mlir::func::FuncOp function;
  NsaOp op;
  unsigned query, key, value, gates; ///< argument numbers
  /// MLP pooling's (position encoding, W1, W2) argument numbers for keys
  /// and values; empty for mean pooling.
  llvm::SmallVector<unsigned, 3> keyWeights, valueWeights;
  int64_t heads, kvHeads, headDim, valueDim;
  int64_t hidden = 0;     ///< the pooling MLP's width
  mlir::Type element;     ///< bf16 or f16
  mlir::Type gateElement; ///< f32 or the element type
};

/// Recognizes a function returning attn.nsa (failure without a diagnostic
/// if it does not), or reports why the CUDA backend cannot compile it.
mlir::FailureOr<NsaAttention> matchNsa(mlir::func::FuncOp function);

/// The kernels (Nsa.cpp) and launcher of an attn.nsa function.
mlir::FailureOr<KernelParts> emitNsa(const NsaAttention &nsa,
                                     llvm::StringRef name, Arch arch);

} // namespace attn::cuda

#endif // ATTN_LIB_TARGET_CUDA_EMITTER_H
