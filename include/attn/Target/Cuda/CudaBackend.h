//===- CudaBackend.h - attn programs as CUDA C++ ----------------*- C++ -*-===//
//
// Emits CUDA C++ for an attn function: tensor-core kernels for sm_90a (wgmma
// on TMA-staged tiles, warp-specialized producer and consumers) or sm_80
// (mma.sync on cp.async-staged tiles), and a host launcher with a C ABI.
// The source builds with nvcc ahead of time; its kernel part also compiles
// with NVRTC at run time (host code is guarded by __CUDACC_RTC__).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_CUDA_CUDABACKEND_H
#define ATTN_TARGET_CUDA_CUDABACKEND_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace attn::cuda {

enum class Arch { sm90a, sm80 };

/// Parses "sm_90a" or "sm_80".
std::optional<Arch> parseArch(llvm::StringRef name);

/// The tensor-core input type that f32 data tensors are converted to.
enum class ComputeType { bf16, f16 };

/// Parses "bf16" or "f16".
std::optional<ComputeType> parseComputeType(llvm::StringRef name);

struct EmittedSource {
  std::string kernel; ///< <name>.cu: kernels, then the host launcher
  std::string header; ///< <name>.h: the launcher's C declaration
};

/// Generates the CUDA source for `function` under the C name `name`. Ops the
/// backend cannot compile are reported at their location. f32 queries, keys,
/// values and outputs keep their f32 C ABI and are converted to and from
/// `compute` around the kernels.
mlir::FailureOr<EmittedSource>
emitSource(mlir::func::FuncOp function, llvm::StringRef name, Arch arch,
           ComputeType compute = ComputeType::bf16);

/// Writes `<directory>/<name>.cu` and `<directory>/<name>.h`; `name`
/// defaults to the function's name.
mlir::LogicalResult emitFiles(mlir::func::FuncOp function,
                              llvm::StringRef directory, Arch arch,
                              llvm::StringRef name = "",
                              ComputeType compute = ComputeType::bf16);

} // namespace attn::cuda

#endif // ATTN_TARGET_CUDA_CUDABACKEND_H
