//===- attention-opt.cpp - the attention compiler driver -----------------===//
//
// Parses, verifies and transforms attn programs with MLIR's opt driver:
// `attention-opt variant.mlir --canonicalize`.
//
//===----------------------------------------------------------------------===//

#include "Attn/AttnOps.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<attn::AttnDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect>();
  mlir::registerTransformsPasses();
  attn::registerAttnTransforms();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "attention-opt: verify and transform attention programs written in the "
      "attn dialect\n\n"
      "  attention-opt examples/gqa.mlir             parse, verify, print\n"
      "  attention-opt examples/gqa.mlir --canonicalize\n"
      "  attention-opt in.mlir -split-input-file -verify-diagnostics\n\n"
      "Run a program (before or after passes) with attention-run.\n",
      registry));
}
