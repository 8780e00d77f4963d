//===- Softmax.cpp - softmax attention: form, score chain, checks --------===//
//
// What every architecture's softmax kernel shares: recognizing the fused
// form in a function, the score chain (score mods and masks) as device
// functions, the key range and tile visibility that masks imply (so kernels
// skip hidden key tiles and mask only the tiles on a boundary), and the
// launcher's argument checks.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

std::string cuda::substitute(
    StringRef text, ArrayRef<std::pair<StringRef, std::string>> values) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    // $NAME, or ${NAME} when letters follow.
    bool braced = i + 1 < text.size() && text[i + 1] == '{';
    size_t begin = i + 1 + braced, end = begin;
    while (end < text.size() && (isalnum(text[end]) || text[end] == '_'))
      ++end;
    StringRef key = text.slice(begin, end);
    end += braced;
    auto it = llvm::find_if(values, [&](auto &kv) { return kv.first == key; });
    if (it == values.end())
      llvm::report_fatal_error("unbound $" + key + " in a CUDA template");
    out += it->second;
    i = end;
  }
  return out;
}

StringRef cuda::elementTypeName(Type type) {
  return type.isBF16() ? "__nv_bfloat16" : "__half";
}

/// The function argument `value` is, or failure with a diagnostic at `user`.
static FailureOr<unsigned> argumentNumber(Value value, Operation *user,
                                          StringRef role) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return arg.getArgNumber();
  return user->emitError() << "the CUDA backend reads the " << role
                           << " straight from a function argument; here it "
                              "is computed by another op";
}

FailureOr<SoftmaxAttention> cuda::matchSoftmaxAttention(func::FuncOp function) {
  SoftmaxAttention a;
  a.function = function;
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1)
    return ret.emitError("the CUDA backend compiles functions with one result");
  a.aggregate = ret.getOperand(0).getDefiningOp<AggregateOp>();
  if (!a.aggregate)
    return ret.emitError(
        "the CUDA backend compiles softmax attention (a returned "
        "attn.aggregate of an attn.softmax) or chunked linear attention");
  auto softmax = a.aggregate.getWeights().getDefiningOp<SoftmaxOp>();
  if (!softmax)
    return a.aggregate.emitError(
        "the CUDA backend needs this aggregate's weights to be an "
        "attn.softmax");
  Value scores = softmax.getScores();
  while (Operation *def = scores.getDefiningOp()) {
    if ((a.score = dyn_cast<ScoreOp>(def)))
      break;
    if (!isa<MaskOp, ScoreModOp>(def))
      return def->emitError("the CUDA backend's softmax kernel takes masks "
                            "and score mods between the score and the "
                            "softmax, not this op");
    a.chain.insert(a.chain.begin(), def);
    scores = def->getOperand(0);
  }
  if (!a.score)
    return softmax.emitError("the softmax's scores do not come from a score");
  if (a.score.getQueries().size() != 1 || a.score.getGate())
    return a.score.emitError("the CUDA backend's softmax kernel takes one "
                             "query-key pair without decay");
  for (Operation *op : a.chain) {
    auto mask = dyn_cast<MaskOp>(op);
    if (!mask || !mask.getLengths())
      continue;
    FailureOr<unsigned> arg = argumentNumber(mask.getLengths(), mask, "lengths");
    if (failed(arg))
      return failure();
    Type lengthElement =
        cast<RankedTensorType>(mask.getLengths().getType()).getElementType();
    if (!lengthElement.isInteger(32) && !lengthElement.isInteger(64))
      return mask.emitError("the CUDA backend takes i32 or i64 lengths");
    if (a.lengths && *a.lengths != *arg)
      return mask.emitError("the CUDA backend takes one lengths argument for "
                            "all masks");
    a.lengths = *arg;
  }
  FailureOr<unsigned> q = argumentNumber(a.score.getQueries()[0], a.score,
                                         "queries");
  FailureOr<unsigned> k = argumentNumber(a.score.getKeys()[0], a.score, "keys");
  FailureOr<unsigned> v =
      argumentNumber(a.aggregate.getValues(), a.aggregate, "values");
  if (failed(q) || failed(k) || failed(v))
    return failure();
  a.query = *q, a.key = *k, a.value = *v;

  Value qv = a.score.getQueries()[0], kv = a.score.getKeys()[0],
        vv = a.aggregate.getValues();
  a.element = cast<RankedTensorType>(qv.getType()).getElementType();
  for (Value t : {qv, kv, vv, Value(a.aggregate.getOutput())})
    if (cast<RankedTensorType>(t.getType()).getElementType() != a.element ||
        !(a.element.isBF16() || a.element.isF16()))
      return a.score.emitError("the CUDA backend's softmax kernel takes "
                               "queries, keys, values and output all of bf16 "
                               "or all of f16 (accumulating in f32)");
  a.heads = dimSize(qv, 1);
  a.kvHeads = dimSize(kv, 1);
  a.headDim = dimSize(qv, 3);
  a.valueDim = dimSize(vv, 3);
  for (int64_t size : {a.heads, a.kvHeads, a.headDim, a.valueDim})
    if (ShapedType::isDynamic(size))
      return a.score.emitError("the CUDA backend needs static head counts "
                               "and head dims (dims 1 and 3)");
  if (dimSize(vv, 1) != a.kvHeads)
    return a.aggregate.emitError(
        "the CUDA backend needs keys and values with the same head count");
  for (int64_t dim : {a.headDim, a.valueDim})
    if (dim != 64 && dim != 128 && dim != 256)
      return a.score.emitError()
             << "the CUDA backend's softmax kernel takes head dims 64, 128 "
                "and 256, not "
             << dim;
  a.scale = a.score.getEffectiveScale();
  return a;
}

namespace {
/// Prints the scalar ops of a score mod's body as CUDA statements.
class ScalarPrinter {
public:
  explicit ScalarPrinter(raw_ostream &os) : os(os) {}

  void bind(Value value, std::string name) { names[value] = std::move(name); }

  LogicalResult print(Operation &op) {
    if (isa<YieldOp>(op))
      return success();
    if (op.getNumResults() != 1)
      return unsupported(op);
    std::string result = "v" + std::to_string(counter++);
    Type type = op.getResult(0).getType();
    FailureOr<std::string> expr = expression(op);
    if (failed(expr))
      return failure();
    os << "  const " << typeName(type) << " " << result << " = " << *expr
       << ";\n";
    bind(op.getResult(0), result);
    return success();
  }

  std::string name(Value value) { return names.lookup(value); }

private:
  static StringRef typeName(Type type) {
    if (isa<FloatType>(type))
      return "float"; // the chain runs in f32 whatever the scores' type
    if (type.isInteger(1))
      return "bool";
    return "long long"; // index and wider integers
  }

  LogicalResult unsupported(Operation &op) {
    return op.emitError("the CUDA backend does not support this op in a "
                        "score mod");
  }

  std::string binary(Operation &op, StringRef symbol) {
    return (llvm::Twine("(") + name(op.getOperand(0)) + " " + symbol + " " +
            name(op.getOperand(1)) + ")")
        .str();
  }
  std::string call(Operation &op, StringRef function) {
    std::string text = (function + "(").str();
    for (auto [i, operand] : llvm::enumerate(op.getOperands()))
      text += (i ? ", " : "") + name(operand);
    return text + ")";
  }

  FailureOr<std::string> expression(Operation &op) {
    using P = arith::CmpFPredicate;
    return llvm::TypeSwitch<Operation *, FailureOr<std::string>>(&op)
        .Case([&](arith::ConstantOp c) -> FailureOr<std::string> {
          if (auto f = dyn_cast<FloatAttr>(c.getValue()))
            return llvm::formatv("{0:e9}f", f.getValueAsDouble()).str();
          if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
            return std::to_string(i.getValue().getSExtValue()) + "ll";
          return unsupported(op);
        })
        .Case<arith::AddFOp, arith::AddIOp>(
            [&](Operation *) { return binary(op, "+"); })
        .Case<arith::SubFOp, arith::SubIOp>(
            [&](Operation *) { return binary(op, "-"); })
        .Case<arith::MulFOp, arith::MulIOp>(
            [&](Operation *) { return binary(op, "*"); })
        .Case([&](arith::DivFOp) { return binary(op, "/"); })
        .Case([&](arith::NegFOp) {
          return "(-" + name(op.getOperand(0)) + ")";
        })
        .Case([&](arith::MaximumFOp) { return call(op, "fmaxf"); })
        .Case([&](arith::MinimumFOp) { return call(op, "fminf"); })
        .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp>(
            [&](Operation *) {
              return "(long long)" + name(op.getOperand(0));
            })
        .Case<arith::SIToFPOp, arith::UIToFPOp, arith::ExtFOp,
              arith::TruncFOp>([&](Operation *) {
          return "(float)" + name(op.getOperand(0));
        })
        .Case([&](arith::SelectOp) {
          return "(" + name(op.getOperand(0)) + " ? " +
                 name(op.getOperand(1)) + " : " + name(op.getOperand(2)) +
                 ")";
        })
        .Case([&](arith::CmpFOp cmp) -> FailureOr<std::string> {
          switch (cmp.getPredicate()) {
          case P::OLT:
          case P::ULT:
            return binary(op, "<");
          case P::OLE:
          case P::ULE:
            return binary(op, "<=");
          case P::OGT:
          case P::UGT:
            return binary(op, ">");
          case P::OGE:
          case P::UGE:
            return binary(op, ">=");
          case P::OEQ:
          case P::UEQ:
            return binary(op, "==");
          case P::ONE:
          case P::UNE:
            return binary(op, "!=");
          default:
            return unsupported(op);
          }
        })
        .Case([&](math::TanhOp) { return call(op, "tanhf"); })
        .Case([&](math::ExpOp) { return call(op, "expf"); })
        .Case([&](math::LogOp) { return call(op, "logf"); })
        .Case([&](math::SqrtOp) { return call(op, "sqrtf"); })
        .Case([&](math::AbsFOp) { return call(op, "fabsf"); })
        .Default([&](Operation *) { return unsupported(op); });
  }

  raw_ostream &os;
  llvm::DenseMap<Value, std::string> names;
  unsigned counter = 0;
};

/// C expressions of one mask over a query position p and key s, and over
/// tiles: the last key a query at position pLast may see, the first key one
/// at pFirst may see, and whether all pairs of a tile are visible.
struct MaskText {
  std::string visible;      // pair (p, s), given s < L
  std::string keyEnd;       // one past the last key seen from pLast
  std::string keyBegin;     // first key seen from pFirst
  std::string tileVisible;  // every pair of [pFirst, pLast] x [sFirst, sLast]
};

MaskText maskText(MaskOp mask) {
  std::string n = std::to_string(mask.getSize().value_or(1));
  std::string d = std::to_string(mask.getStride().value_or(1));
  switch (mask.getKind()) {
  case MaskKind::none:
    return {"true", "L", "0", "true"};
  case MaskKind::causal:
    return {"s <= p", "pLast + 1", "0", "sLast <= pFirst"};
  case MaskKind::sliding_window:
    return {"p - " + n + " < s && s <= p", "pLast + 1", "pFirst - " + n + " + 1",
            "sLast <= pFirst && sFirst > pLast - " + n};
  case MaskKind::block_causal:
    return {"p >= 0 && s / " + n + " <= p / " + n,
            "(pLast < 0 ? 0 : (pLast / " + n + " + 1) * " + n + ")", "0",
            "pFirst >= 0 && sLast / " + n + " <= pFirst / " + n};
  case MaskKind::compressed:
    // s * d + l - 1 <= p, i.e. s <= floor((p - l + 1) / d).
    return {"s * " + d + " + " + n + " - 1 <= p",
            "(pLast - " + n + " + 1 < 0 ? 0 : (pLast - " + n + " + 1) / " + d +
                " + 1)",
            "0", "sLast * " + d + " + " + n + " - 1 <= pFirst"};
  }
  llvm_unreachable("mask kind");
}
} // namespace

LogicalResult cuda::emitScoreChain(const SoftmaxAttention &a, raw_ostream &os) {
  // The chain on one score. Score mods keep masked scores masked, so
  // applying every mod first and every mask after is the chain's meaning.
  os << "template <bool kMasked>\n"
        "__device__ __forceinline__ float attnScoreChain(float x, int b, int h, "
        "int t, int s, int T, int L) {\n"
        "  const int p = L - T + t;\n"
        "  (void)b, (void)h, (void)p;\n";
  for (Operation *op : a.chain) {
    auto mod = dyn_cast<ScoreModOp>(op);
    if (!mod)
      continue;
    os << "  {\n";
    ScalarPrinter printer(os);
    Block &body = mod.getBody().front();
    const char *args[] = {"x", "(long long)b", "(long long)h", "(long long)t",
                          "(long long)s"};
    for (auto [arg, name] : llvm::zip(body.getArguments(), args))
      printer.bind(arg, name);
    for (Operation &inner : body)
      if (failed(printer.print(inner)))
        return failure();
    os << "  x = " << printer.name(body.getTerminator()->getOperand(0))
       << ";\n  }\n";
  }
  os << "  if (kMasked && !(s < L";
  for (Operation *op : a.chain)
    if (auto mask = dyn_cast<MaskOp>(op))
      os << " && (" << maskText(mask).visible << ")";
  os << "))\n    x = -INFINITY;\n  return x;\n}\n\n";

  os << "__device__ __forceinline__ void attnKeyRange(int tFirst, int tLast, "
        "int T, int L, int &begin, int &end) {\n"
        "  const int pFirst = L - T + tFirst, pLast = L - T + tLast;\n"
        "  (void)pFirst, (void)pLast;\n"
        "  begin = 0;\n  end = L;\n";
  for (Operation *op : a.chain)
    if (auto mask = dyn_cast<MaskOp>(op)) {
      MaskText text = maskText(mask);
      os << "  begin = max(begin, " << text.keyBegin << ");\n"
         << "  end = min(end, " << text.keyEnd << ");\n";
    }
  os << "}\n\n";

  os << "__device__ __forceinline__ bool attnTileVisible(int tFirst, int "
        "tLast, int sFirst, int sLast, int T, int L) {\n"
        "  const int pFirst = L - T + tFirst, pLast = L - T + tLast;\n"
        "  (void)pFirst, (void)pLast, (void)sFirst;\n"
        "  return sLast < L";
  for (Operation *op : a.chain)
    if (auto mask = dyn_cast<MaskOp>(op))
      os << " && (" << maskText(mask).tileVisible << ")";
  os << ";\n}\n\n";
  return success();
}

void cuda::emitSoftmaxChecks(const SoftmaxAttention &a, raw_ostream &os) {
  os << substitute(R"cu(  const int64_t B = q->shape[0], T = q->shape[2], S = k->shape[2];
  if (q->shape[1] != $H || q->shape[3] != $D)
    return attnFail(1, "queries are [%lld, %lld, %lld, %lld]; expected [B, $H, T, $D]", ATTN_SHAPE(q));
  if (k->shape[0] != B || k->shape[1] != $HKV || k->shape[3] != $D)
    return attnFail(1, "keys are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, S, $D]", ATTN_SHAPE(k), (long long)B);
  if (v->shape[0] != B || v->shape[1] != $HKV || v->shape[2] != S || v->shape[3] != $DV)
    return attnFail(1, "values are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, %lld, $DV]", ATTN_SHAPE(v), (long long)B, (long long)S);
  if (out->shape[0] != B || out->shape[1] != $H || out->shape[2] != T || out->shape[3] != $DV)
    return attnFail(1, "the output is [%lld, %lld, %lld, %lld]; expected [%lld, $H, %lld, $DV]", ATTN_SHAPE(out), (long long)B, (long long)T);
  if (T > INT32_MAX / 2 || S > INT32_MAX / 2 || B > 65535)
    return attnFail(1, "sizes past the kernel's 32-bit indexing (B <= 65535, T and S < 2^30)");
)cu",
                   {{"H", std::to_string(a.heads)},
                    {"HKV", std::to_string(a.kvHeads)},
                    {"D", std::to_string(a.headDim)},
                    {"DV", std::to_string(a.valueDim)}});
  if (a.lengths)
    os << "  if (lengths->shape[0] != B)\n"
          "    return attnFail(1, \"lengths has %lld entries; expected B = "
          "%lld\", (long long)lengths->shape[0], (long long)B);\n"
          "  if (B > 1 && lengths->strides[0] != 1)\n"
          "    return attnFail(2, \"lengths must be contiguous\");\n";
}

std::string cuda::softmaxParameters(const SoftmaxAttention &a) {
  func::FuncOp function = a.function;
  std::string params;
  for (unsigned i = 0, e = function.getNumArguments(); i < e; ++i) {
    std::string name = i == a.query     ? "q"
                       : i == a.key     ? "k"
                       : i == a.value   ? "v"
                       : i == a.lengths ? "lengths"
                                        : "arg" + std::to_string(i);
    params += "const attn_cuda_tensor *" + name + ", ";
  }
  return params + "attn_cuda_tensor *out";
}

std::string cuda::lengthType(const SoftmaxAttention &a) {
  if (!a.lengths)
    return "int";
  func::FuncOp function = a.function;
  auto type =
      cast<RankedTensorType>(function.getArgument(*a.lengths).getType());
  return type.getElementType().isInteger(64) ? "long long" : "int";
}
