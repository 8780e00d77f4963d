//===- CpuBackend.h - attn programs on the CPU through Halide ---*- C++ -*-===//
//
// Lowers an attn function to a Halide pipeline (online-softmax tiling for
// softmax attention, the chunked form for linear attention, one Func per op
// elsewhere), scheduled for the host: vectorized, parallel over batch, heads
// and query tiles. It runs in process (JIT, compiled pipelines cached per
// program text) or is written out ahead of time as a static library with a C
// header.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_CPU_CPUBACKEND_H
#define ATTN_TARGET_CPU_CPUBACKEND_H

#include "attn/Support/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace attn::cpu {

/// Compiles `function` for the host (once per process for the same program
/// text) and runs it on `arguments`, converted to the storage types of its
/// signature (f32, bf16, f16 or i32). Shape errors are reported at the op
/// whose operands disagree.
mlir::FailureOr<std::vector<Tensor>> run(mlir::func::FuncOp function,
                                         llvm::ArrayRef<Tensor> arguments);

/// The Halide target string the backend compiles for (see HostTarget.h), or
/// why ATTN_CPU_TARGET cannot be used.
llvm::Expected<std::string> compileTargetName();

/// The targets this machine can run, the host's first (see HostTarget.h).
std::vector<std::string> runnableTargetNames();

/// How many pipelines this process has compiled (the cache's misses).
unsigned compiledPipelineCount();

/// Writes `<directory>/<name>.a` (the kernel with the Halide runtime),
/// `<directory>/<name>.h` (its C ABI, which includes `<name>_halide.h`) and
/// `<directory>/<name>_halide.stmt` (the lowered loops, for reading) for
/// `function`; `name` defaults to the function's name. `target` is a Halide
/// target string ("host" for this machine).
mlir::LogicalResult emitLibrary(mlir::func::FuncOp function,
                                llvm::StringRef directory,
                                llvm::StringRef name = "",
                                llvm::StringRef target = "host");

} // namespace attn::cpu

#endif // ATTN_TARGET_CPU_CPUBACKEND_H
