//===- InterpreterTest.cpp - interpreter semantics by hand ----------------===//
//
// Small cases checked against values worked out by hand; the numpy reference
// in test/reference covers the example programs on random inputs.
//
//===----------------------------------------------------------------------===//

#include "attn/Interpreter/Interpreter.h"

#include "Attn/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace attn;

namespace {
class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    context.loadDialect<AttnDialect, func::FuncDialect, arith::ArithDialect,
                        math::MathDialect, tensor::TensorDialect>();
  }

  /// Runs @f of `source`; collects any error message in `error`.
  FailureOr<std::vector<Tensor>> run(StringRef source, ArrayRef<Tensor> args) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      error += diag.str();
      return success();
    });
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return failure();
    return interpret(module->lookupSymbol<func::FuncOp>("f"), args);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string error;
};

Tensor make(llvm::ArrayRef<int64_t> shape, std::vector<double> data) {
  Tensor t = Tensor::filled(shape);
  t.data = std::move(data);
  return t;
}

// One head, two queries after three keys: with keys at positions 0..2 and
// queries at 1..2 (bottom-right aligned), query 0 sees keys 0 and 1.
constexpr const char *kCausal = R"mlir(
func.func @f(%q: tensor<1x1x2x1xf64>, %k: tensor<1x1x3x1xf64>,
             %v: tensor<1x1x3x1xf64>) -> tensor<1x1x2x1xf64> {
  %s = attn.score %q, %k scale 1.0
      : (tensor<1x1x2x1xf64>, tensor<1x1x3x1xf64>) -> tensor<1x1x2x3xf64>
  %m = attn.mask %s, causal : tensor<1x1x2x3xf64>
  %p = attn.softmax %m : tensor<1x1x2x3xf64>
  %o = attn.aggregate %p, %v
      : tensor<1x1x2x3xf64>, tensor<1x1x3x1xf64> -> tensor<1x1x2x1xf64>
  return %o : tensor<1x1x2x1xf64>
})mlir";

TEST_F(InterpreterTest, CausalSoftmaxByHand) {
  auto out =
      run(kCausal, {make({1, 1, 2, 1}, {1, 0}), make({1, 1, 3, 1}, {0, 1, 5}),
                    make({1, 1, 3, 1}, {10, 20, 30})});
  ASSERT_TRUE(succeeded(out)) << error;
  double e = std::exp(1.0);
  EXPECT_NEAR((*out)[0].data[0], (10 + 20 * e) / (1 + e), 1e-12);
  EXPECT_NEAR((*out)[0].data[1], 20.0, 1e-12); // all scores 0: the mean
}

TEST_F(InterpreterTest, FullyMaskedRowsGiveZero) {
  // Three queries after one key: queries 0 and 1 sit before the sequence.
  constexpr const char *source = R"mlir(
func.func @f(%q: tensor<1x1x3x1xf64>, %k: tensor<1x1x1x1xf64>,
             %v: tensor<1x1x1x1xf64>) -> tensor<1x1x3x1xf64> {
  %s = attn.score %q, %k
      : (tensor<1x1x3x1xf64>, tensor<1x1x1x1xf64>) -> tensor<1x1x3x1xf64>
  %m = attn.mask %s, causal : tensor<1x1x3x1xf64>
  %p = attn.softmax %m : tensor<1x1x3x1xf64>
  %o = attn.aggregate %p, %v
      : tensor<1x1x3x1xf64>, tensor<1x1x1x1xf64> -> tensor<1x1x3x1xf64>
  return %o : tensor<1x1x3x1xf64>
})mlir";
  auto out = run(source, {make({1, 1, 3, 1}, {1, 2, 3}),
                          make({1, 1, 1, 1}, {1}), make({1, 1, 1, 1}, {7})});
  ASSERT_TRUE(succeeded(out)) << error;
  EXPECT_EQ((*out)[0].data, (std::vector<double>{0, 0, 7}));
}

TEST_F(InterpreterTest, ScanIsTheGatedRecurrence) {
  constexpr const char *source = R"mlir(
func.func @f(%q: tensor<1x1x2x1xf64>, %k: tensor<1x1x2x1xf64>,
             %v: tensor<1x1x2x1xf64>, %g: tensor<1x1x2xf64>,
             %s0: tensor<1x1x1x1xf64>)
    -> (tensor<1x1x2x1xf64>, tensor<1x1x1x1xf64>) {
  %o, %st = attn.scan %q, %k, %v gates %g init %s0
      : (tensor<1x1x2x1xf64>, tensor<1x1x2x1xf64>, tensor<1x1x2x1xf64>,
         tensor<1x1x2xf64>, tensor<1x1x1x1xf64>)
      -> (tensor<1x1x2x1xf64>, tensor<1x1x1x1xf64>) {
  ^bb0(%S: !attn.state<1x1xf64>, %qt: tensor<1xf64>, %kt: tensor<1xf64>,
       %vt: tensor<1xf64>, %gt: f64):
    %d = attn.state.decay %S, %gt : !attn.state<1x1xf64>, f64
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<1x1xf64>, tensor<1xf64>, tensor<1xf64>
    %r = attn.state.read %u, %qt
        : !attn.state<1x1xf64>, tensor<1xf64> -> tensor<1xf64>
    attn.yield %u, %r : !attn.state<1x1xf64>, tensor<1xf64>
  }
  return %o, %st : tensor<1x1x2x1xf64>, tensor<1x1x1x1xf64>
})mlir";
  double a = std::log(0.5);
  auto out =
      run(source, {make({1, 1, 2, 1}, {1, 2}), make({1, 1, 2, 1}, {3, 4}),
                   make({1, 1, 2, 1}, {5, 6}), make({1, 1, 2}, {a, a}),
                   make({1, 1, 1, 1}, {8})});
  ASSERT_TRUE(succeeded(out)) << error;
  // S1 = 0.5*8 + 3*5 = 19, o1 = 19; S2 = 0.5*19 + 4*6 = 33.5, o2 = 67.
  EXPECT_NEAR((*out)[0].data[0], 19, 1e-12);
  EXPECT_NEAR((*out)[0].data[1], 67, 1e-12);
  EXPECT_NEAR((*out)[1].data[0], 33.5, 1e-12);
}

TEST_F(InterpreterTest, RejectsShapesThatDoNotFit) {
  auto out = run(kCausal, {make({1, 1, 2, 2}, {1, 0, 0, 0}),
                           make({1, 1, 3, 1}, {0, 1, 5}),
                           make({1, 1, 3, 1}, {10, 20, 30})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(error.find("cannot take an input of shape [1, 1, 2, 2]"),
            std::string::npos)
      << error;
}

TEST_F(InterpreterTest, RejectsDynamicMismatchAtTheOp) {
  constexpr const char *source = R"mlir(
func.func @f(%q: tensor<1x1x?x1xf64>, %k: tensor<1x1x?x1xf64>,
             %g: tensor<1x1x?xf64>) -> tensor<1x1x?x?xf64> {
  %s = attn.score %q, %k
      : (tensor<1x1x?x1xf64>, tensor<1x1x?x1xf64>) -> tensor<1x1x?x?xf64>
  %d = attn.decay %s, %g : tensor<1x1x?x?xf64>, tensor<1x1x?xf64>
  return %d : tensor<1x1x?x?xf64>
})mlir";
  auto out =
      run(source, {make({1, 1, 2, 1}, {1, 2}), make({1, 1, 3, 1}, {1, 2, 3}),
                   make({1, 1, 2}, {0, 0})});
  EXPECT_TRUE(failed(out));
  EXPECT_NE(error.find("decay needs as many keys (3) as queries (2)"),
            std::string::npos)
      << error;
}
} // namespace
