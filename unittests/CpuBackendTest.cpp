//===- CpuBackendTest.cpp - the CPU backend's pipeline cache --------------===//
//
// Numerics are covered by the lit tests against the interpreter; this checks
// what they cannot see: one compilation per program text and target,
// whatever the shapes, the context or the copy of the program.
//
//===----------------------------------------------------------------------===//

#include "attn/Target/Cpu/CpuBackend.h"
#include "attn/Interpreter/Interpreter.h"

#include "Attn/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;
using namespace attn;

namespace {
constexpr const char *kProgram = R"mlir(
func.func @f(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>,
             %v: tensor<?x2x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
)mlir";

std::vector<Tensor> randomInputs(int64_t B, int64_t T, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(-1, 1);
  std::vector<Tensor> inputs = {Tensor({B, 4, T, 16}), Tensor({B, 2, T, 16}),
                                Tensor({B, 2, T, 16})};
  for (Tensor &t : inputs)
    for (double &x : t.data)
      x = uniform(rng);
  return inputs;
}

double maxRelativeError(const Tensor &expected, const Tensor &actual) {
  double diff = 0, scale = 0;
  for (auto [e, a] : llvm::zip(expected.data, actual.data)) {
    diff = std::max(diff, std::fabs(e - a));
    scale = std::max(scale, std::fabs(e));
  }
  return diff / scale;
}

class CpuBackendTest : public ::testing::Test {
protected:
  func::FuncOp parse(MLIRContext &context) {
    context.loadDialect<AttnDialect, func::FuncDialect, arith::ArithDialect,
                        math::MathDialect, tensor::TensorDialect>();
    modules.push_back(parseSourceString<ModuleOp>(kProgram, &context));
    return (*modules.back()).lookupSymbol<func::FuncOp>("f");
  }
  // Declared before the modules, which must go first.
  MLIRContext context, other;
  std::vector<OwningOpRef<ModuleOp>> modules;
};

TEST_F(CpuBackendTest, CompilesOncePerProgram) {
  func::FuncOp f = parse(context);
  unsigned before = cpu::compiledPipelineCount();
  for (auto [B, T] : {std::pair{1, 5}, {2, 77}, {1, 1}}) {
    std::vector<Tensor> inputs = randomInputs(B, T, T);
    FailureOr<std::vector<Tensor>> actual = cpu::run(f, inputs);
    FailureOr<std::vector<Tensor>> expected = interpret(f, inputs);
    ASSERT_TRUE(succeeded(actual) && succeeded(expected));
    EXPECT_LT(maxRelativeError((*expected)[0], (*actual)[0]), 1e-5);
  }
  // The same text parsed into another context reuses the pipeline.
  func::FuncOp copy = parse(other);
  ASSERT_TRUE(succeeded(cpu::run(copy, randomInputs(1, 9, 1))));
  EXPECT_EQ(cpu::compiledPipelineCount(), before + 1);
}

TEST_F(CpuBackendTest, ShapeErrorsAreReportedAtTheOp) {
  func::FuncOp f = parse(context);
  std::string error;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    error += diag.str();
    return success();
  });
  std::vector<Tensor> inputs = randomInputs(1, 8, 0);
  inputs[2] = Tensor({1, 2, 7, 16}); // one value short
  EXPECT_TRUE(failed(cpu::run(f, inputs)));
  EXPECT_EQ(error, "the values do not hold one position per key");
}
} // namespace
