//===- Interpreter.h - reference semantics of attn programs -----*- C++ -*-===//
//
// Executes any valid attn program, before or after any pass, in f64 and in
// the most direct way. It is the semantic source of truth every pass and
// backend is compared against.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_INTERPRETER_INTERPRETER_H
#define ATTN_INTERPRETER_INTERPRETER_H

#include "attn/Support/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

namespace attn {

/// The largest tensor, in elements, the interpreter will allocate: larger
/// ones are refused with an error instead of exhausting memory.
constexpr int64_t kMaxInterpretedElements = int64_t(1) << 28;

/// Checks that `arguments` fit `function`'s signature (count, ranks, static
/// extents), with an error at the function otherwise. Every backend runs it.
mlir::LogicalResult checkArguments(mlir::func::FuncOp function,
                                   llvm::ArrayRef<Tensor> arguments);

/// Runs `function` on `arguments` (one per function argument, in order).
/// Errors (shapes that do not fit the program, sizes past the limit) are
/// reported at the offending op through the context's diagnostics.
mlir::FailureOr<std::vector<Tensor>>
interpret(mlir::func::FuncOp function, llvm::ArrayRef<Tensor> arguments);

} // namespace attn

#endif // ATTN_INTERPRETER_INTERPRETER_H
