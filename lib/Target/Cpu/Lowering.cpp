//===- Lowering.cpp - attn functions to Halide pipelines ------------------===//
//
// The driver: function arguments become ImageParams (with their static
// extents enforced), ops are lowered in order by the family that knows them,
// and returned values become the pipeline's outputs.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "attn/Support/Comparisons.h"
#include "attn/Target/Cpu/HostTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;

Expr HTensor::operator()(std::vector<Expr> index) const {
  std::reverse(index.begin(), index.end());
  return func(index);
}

IndexVars::IndexVars(int rank) {
  for (int i = 0; i < rank; ++i)
    vars.emplace_back("i" + std::to_string(i));
  halide.assign(vars.rbegin(), vars.rend());
}

Halide::Func LoweringContext::newFunc(Operation *op, StringRef suffix) {
  std::string name = op->getName().stripDialect().str();
  std::replace(name.begin(), name.end(), '.', '_');
  return Halide::Func(name + suffix.str() + "_" +
                      std::to_string(funcCounter++));
}

int cpu::vectorLanes() {
  // A refused ATTN_CPU_TARGET has been reported before any lowering.
  llvm::Expected<Halide::Target> target = compileTarget();
  if (!target) {
    llvm::consumeError(target.takeError());
    return Halide::get_host_target().natural_vector_size<float>();
  }
  return target->natural_vector_size<float>();
}

std::string cpu::locationText(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    os << file.getFilename().getValue() << ":" << file.getLine() << ":"
       << file.getColumn();
  else
    loc.print(os);
  return text;
}

Halide::Type cpu::computeType(Type elementType) {
  if (isa<FloatType>(elementType))
    return Halide::Float(32);
  return Halide::Int(32);
}

std::optional<Halide::Type> cpu::storageType(Type element) {
  if (element.isBF16())
    return Halide::BFloat(16);
  if (element.isF16())
    return Halide::Float(16);
  if (element.isF32())
    return Halide::Float(32);
  if (element.isInteger(32) || element.isInteger(64))
    return Halide::Int(element.getIntOrFloatBitWidth());
  return std::nullopt;
}

std::vector<Expr> cpu::shapeOf(ShapedType type,
                               const std::vector<Expr> &fallback) {
  std::vector<Expr> shape;
  for (int64_t d = 0; d < type.getRank(); ++d)
    shape.push_back(type.isDynamicDim(d) ? fallback[d]
                                         : Expr(int(type.getDimSize(d))));
  return shape;
}

std::vector<Expr> cpu::resultShape(LoweringContext &ctx, Operation *op,
                                   ShapedType type,
                                   const std::vector<Expr> &computed) {
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d))
      ctx.require(op, computed[d] == int(type.getDimSize(d)),
                  "the inputs do not fit the result type's extent " +
                      Twine(type.getDimSize(d)) + " in dimension " + Twine(d));
  return shapeOf(type, computed);
}

void cpu::scheduleRoot(Halide::Func f, Expr innerExtent) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  if (args.empty())
    return;
  // Vectorizing a short innermost dimension would mostly compute padding.
  std::optional<int64_t> inner =
      innerExtent.defined() ? compat::constInt(innerExtent) : std::nullopt;
  int lanes = vectorLanes();
  bool vectorize = !inner || *inner >= lanes;
  for (int stage = -1; stage < f.num_update_definitions(); ++stage) {
    Halide::Stage s =
        stage < 0 ? static_cast<Halide::Stage>(f) : f.update(stage);
    bool innerPure = true;
    if (stage >= 0) {
      const auto *var =
          f.update_args(stage)[0].as<Halide::Internal::Variable>();
      innerPure = var && var->name == args.front().name();
    }
    if (vectorize && innerPure)
      s.vectorize(args.front(), lanes, Halide::TailStrategy::GuardWithIf);
    if (args.size() >= 2)
      s.parallel(args.back());
  }
}

FailureOr<Expr> cpu::lowerScalarOp(Operation *op, ArrayRef<Expr> x) {
  auto unsupported = [&]() -> FailureOr<Expr> {
    return op->emitError("the CPU backend does not support this op");
  };
  auto asFloat = [](Expr e) { return Halide::cast<float>(e); };
  return llvm::TypeSwitch<Operation *, FailureOr<Expr>>(op)
      .Case([&](arith::ConstantOp c) -> FailureOr<Expr> {
        if (auto f = dyn_cast<FloatAttr>(c.getValue()))
          return Expr(float(f.getValueAsDouble()));
        if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
          return Expr(int(i.getValue().getSExtValue()));
        return unsupported();
      })
      .Case<arith::AddFOp, arith::AddIOp>(
          [&](Operation *) -> FailureOr<Expr> { return x[0] + x[1]; })
      .Case<arith::SubFOp, arith::SubIOp>(
          [&](Operation *) -> FailureOr<Expr> { return x[0] - x[1]; })
      .Case<arith::MulFOp, arith::MulIOp>(
          [&](Operation *) -> FailureOr<Expr> { return x[0] * x[1]; })
      // A quotient of constants is folded here, in IEEE arithmetic: Halide 21
      // refuses a division by a constant zero (0 / 0 is how a body may spell
      // NaN).
      .Case([&](arith::DivFOp) -> FailureOr<Expr> {
        std::optional<double> a = compat::constFloat(x[0]),
                              b = compat::constFloat(x[1]);
        if (a && b)
          return Expr(float(*a) / float(*b));
        return x[0] / x[1];
      })
      .Case([&](arith::NegFOp) -> FailureOr<Expr> { return -x[0]; })
      // arith's maximumf and minimumf return a NaN operand; the test is
      // strict, as for comparisons below.
      .Case<arith::MaximumFOp, arith::MinimumFOp>(
          [&](Operation *) -> FailureOr<Expr> {
            Expr nan = Halide::is_nan(x[0]) || Halide::is_nan(x[1]);
            Expr extreme = isa<arith::MaximumFOp>(op) ? Halide::max(x[0], x[1])
                                                      : Halide::min(x[0], x[1]);
            return Halide::strict_float(
                Halide::select(nan, x[0] + x[1], extreme));
          })
      .Case<arith::IndexCastOp, arith::IndexCastUIOp>(
          [&](Operation *) -> FailureOr<Expr> {
            return Halide::cast<int>(x[0]);
          })
      .Case<arith::SIToFPOp, arith::UIToFPOp, arith::ExtFOp, arith::TruncFOp>(
          [&](Operation *) -> FailureOr<Expr> { return asFloat(x[0]); })
      .Case([&](arith::SelectOp) -> FailureOr<Expr> {
        return Halide::select(x[0] != 0, x[1], x[2]);
      })
      // Comparisons with MLIR's semantics, as the interpreter has them.
      // Halide assumes floats are never NaN unless they are strict, so the
      // NaN test of a float comparison is strict (which makes the pipeline's
      // floats strict); unsigned predicates compare at the operands' width.
      .Case<arith::CmpFOp, arith::CmpIOp>([&](Operation *) -> FailureOr<Expr> {
        Expr a = x[0], b = x[1];
        auto related = [&](Relations accepts) {
          Expr result = Halide::Internal::const_false();
          if (accepts.less)
            result = result || a < b;
          if (accepts.equal)
            result = result || a == b;
          if (accepts.greater)
            result = result || a > b;
          return result;
        };
        if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
          FloatComparison form = floatComparison(cmp.getPredicate());
          Expr nan = Halide::is_nan(a) || Halide::is_nan(b);
          Expr result = form.unordered ? (nan || related(form.accepts))
                                       : (!nan && related(form.accepts));
          return Halide::cast<int>(Halide::strict_float(result));
        }
        auto cmp = cast<arith::CmpIOp>(op);
        if (isUnsigned(cmp.getPredicate())) {
          Halide::Type type =
              Halide::UInt(comparedWidth(cmp.getLhs().getType()));
          a = Halide::cast(type, a);
          b = Halide::cast(type, b);
        }
        return Halide::cast<int>(related(integerRelations(cmp.getPredicate())));
      })
      .Case([&](math::TanhOp) -> FailureOr<Expr> {
        return Halide::tanh(asFloat(x[0]));
      })
      .Case([&](math::ExpOp) -> FailureOr<Expr> {
        return Halide::exp(asFloat(x[0]));
      })
      .Case([&](math::Exp2Op) -> FailureOr<Expr> {
        return Halide::pow(2.0f, asFloat(x[0]));
      })
      .Case([&](math::LogOp) -> FailureOr<Expr> {
        return Halide::log(asFloat(x[0]));
      })
      .Case([&](math::Log2Op) -> FailureOr<Expr> {
        return Halide::log(asFloat(x[0])) * float(1.0 / std::log(2.0));
      })
      .Case([&](math::SqrtOp) -> FailureOr<Expr> {
        return Halide::sqrt(asFloat(x[0]));
      })
      .Case([&](math::RsqrtOp) -> FailureOr<Expr> {
        return 1.0f / Halide::sqrt(asFloat(x[0]));
      })
      .Case([&](math::AbsFOp) -> FailureOr<Expr> {
        return Halide::abs(asFloat(x[0]));
      })
      .Case([&](math::PowFOp) -> FailureOr<Expr> {
        return Halide::pow(asFloat(x[0]), asFloat(x[1]));
      })
      .Case([&](math::SinOp) -> FailureOr<Expr> {
        return Halide::sin(asFloat(x[0]));
      })
      .Case([&](math::CosOp) -> FailureOr<Expr> {
        return Halide::cos(asFloat(x[0]));
      })
      .Default([&](Operation *) { return unsupported(); });
}

namespace {
/// Ops every family may produce or consume: constants, casts, scalar math.
std::optional<LogicalResult> lowerBuiltinOp(Operation *op,
                                            LoweringContext &ctx) {
  if (auto cast = dyn_cast<tensor::CastOp>(op)) {
    HTensor source = ctx.get(cast.getSource());
    source.shape = shapeOf(cast.getType(), source.shape);
    for (auto [d, extent] : llvm::enumerate(source.shape))
      ctx.require(op, extent == ctx.get(cast.getSource()).shape[d],
                  "the input does not fit the cast's result type");
    ctx.set(cast.getResult(), source);
    return success();
  }
  // Scalar constants are scalar ops, below.
  auto constant = dyn_cast<arith::ConstantOp>(op);
  if (auto shaped =
          constant ? dyn_cast<ShapedType>(constant.getType()) : nullptr) {
    auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
    if (!dense || shaped.getRank() > 4)
      return op->emitError("the CPU backend takes dense constants of rank "
                           "at most 4");
    // Small dense constants become a Halide buffer captured by the pipeline.
    std::vector<int> extents(shaped.getShape().rbegin(),
                             shaped.getShape().rend());
    Halide::Buffer<float> buffer(extents);
    std::vector<float> values;
    if (isa<FloatType>(shaped.getElementType()))
      for (const APFloat &f : dense.getValues<APFloat>())
        values.push_back(f.convertToDouble());
    else
      for (const APInt &v : dense.getValues<APInt>())
        values.push_back(float(v.getSExtValue()));
    std::copy(values.begin(), values.end(), buffer.data());
    HTensor tensor{ctx.newFunc(op), {}, computeType(shaped.getElementType())};
    for (int64_t extent : shaped.getShape())
      tensor.shape.push_back(int(extent));
    IndexVars idx(shaped.getRank());
    tensor.func(idx.halide) = Halide::cast(
        tensor.type,
        buffer(std::vector<Expr>(idx.halide.begin(), idx.halide.end())));
    ctx.set(constant.getResult(), tensor);
    return success();
  }
  if (op->getNumResults() == 1 &&
      isa<arith::ArithDialect, math::MathDialect>(op->getDialect())) {
    std::vector<Expr> operands;
    for (Value v : op->getOperands()) {
      const HTensor &t = ctx.get(v);
      if (t.rank() != 0)
        return op->emitError("the CPU backend runs this op on scalars only");
      operands.push_back(t({}));
    }
    FailureOr<Expr> value = lowerScalarOp(op, operands);
    if (failed(value))
      return failure();
    HTensor scalar{ctx.newFunc(op), {}, value->type()};
    scalar.func() = *value;
    ctx.set(op->getResult(0), scalar);
    return success();
  }
  return std::nullopt;
}
} // namespace

LogicalResult cpu::lowerFunction(LoweringContext &ctx) {
  func::FuncOp function = ctx.function;
  if (function.isExternal())
    return function.emitError("has no body to compile");
  for (auto [i, type] : llvm::enumerate(function.getArgumentTypes())) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    std::optional<Halide::Type> storage =
        ranked ? storageType(ranked.getElementType()) : std::nullopt;
    if (!storage)
      return function.emitError()
             << "argument " << i << " has type " << type
             << "; the CPU backend takes ranked tensors of f32, bf16, f16, "
                "i32 or i64";
    Type element = ranked.getElementType();
    int rank = ranked.getRank();
    Halide::ImageParam param(*storage, rank, "arg" + std::to_string(i));
    HTensor tensor{ctx.newFunc(function, "_arg" + std::to_string(i)),
                   {},
                   computeType(element)};
    for (int d = 0; d < rank; ++d) {
      Halide::Internal::Dimension dim = param.dim(rank - 1 - d);
      dim.set_min(0);
      if (!ranked.isDynamicDim(d))
        dim.set_extent(int(ranked.getDimSize(d)));
      tensor.shape.push_back(dim.extent());
    }
    IndexVars idx(rank);
    tensor.func(idx.halide) = Halide::cast(
        tensor.type,
        param(std::vector<Expr>(idx.halide.begin(), idx.halide.end())));
    ctx.inputs.push_back(param);
    ctx.set(function.getArgument(i), tensor);
  }

  for (Operation &op : function.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        ctx.outputs.push_back(ctx.get(v));
      break;
    }
    std::optional<LogicalResult> lowered = lowerBuiltinOp(&op, ctx);
    if (!lowered)
      lowered = lowerSoftmaxAttentionOp(&op, ctx);
    if (!lowered)
      lowered = lowerLinearAttentionOp(&op, ctx);
    if (!lowered)
      lowered = lowerSparseAttentionOp(&op, ctx);
    if (!lowered)
      return op.emitError("the CPU backend does not support this op");
    if (failed(*lowered))
      return failure();
  }
  if (ctx.outputs.empty())
    return function.emitError("returns nothing to compute");
  return success();
}
