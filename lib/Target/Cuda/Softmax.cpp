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

#include "attn/Support/Comparisons.h"
#include "attn/Support/Masks.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

std::string
cuda::substitute(StringRef text,
                 ArrayRef<std::pair<StringRef, std::string>> values) {
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

std::string cuda::floatLiteral(float value) {
  if (std::isfinite(value))
    return llvm::formatv("{0:e9}f", value).str();
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return llvm::formatv("__uint_as_float(0x{0:X-8}u)", bits).str();
}

StringRef cuda::elementTypeName(Type type) {
  return type.isBF16() ? "__nv_bfloat16" : "__half";
}

/// The argument number of `value`, or a diagnostic at `user`.
static FailureOr<unsigned> argumentNumber(Value value, Operation *user,
                                          StringRef role) {
  return functionArgument(value, user, "the CUDA backend", role);
}

/// DSA's selection behind `op`'s selected blocks: the top tokens of the
/// masked indexer scores of arguments.
static FailureOr<TokenSelection> matchTokenSelection(AttentionOp op) {
  auto select = op.getIndices().getDefiningOp<SelectTokensOp>();
  if (*op.getBlock() != 1 || !select)
    return op.emitError(
        "the CUDA backend's softmax kernels take selected blocks only of "
        "block 1 over the tokens that attn.select_tokens picks (DeepSeek "
        "sparse attention); NSA's blocks compile as attn.nsa");
  TokenSelection sel;
  sel.attention = op;
  sel.top = select.getTop();
  Value scores = select.getScores();
  while (auto mask = scores.getDefiningOp<MaskOp>()) {
    if (mask.getKind() == MaskKind::compressed)
      return mask.emitError("the CUDA backend's indexer takes masks over "
                            "tokens, not a compressed mask");
    sel.masks.insert(sel.masks.begin(), mask);
    scores = mask.getScores();
  }
  sel.indexScore = scores.getDefiningOp<IndexScoreOp>();
  if (!sel.indexScore)
    return select.emitError("the CUDA backend selects tokens by indexer "
                            "scores (attn.index_score), masked or not");
  IndexScoreOp index = sel.indexScore;
  FailureOr<unsigned> q = argumentNumber(index.getQuery(), index,
                                         "indexer queries"),
                      k = argumentNumber(index.getKey(), index, "indexer keys"),
                      w = argumentNumber(index.getWeights(), index,
                                         "indexer weights");
  if (failed(q) || failed(k) || failed(w))
    return failure();
  sel.query = *q, sel.key = *k, sel.weights = *w;
  sel.heads = dimSize(index.getQuery(), 1);
  sel.dim = dimSize(index.getQuery(), 3);
  if (ShapedType::isDynamic(sel.heads) || ShapedType::isDynamic(sel.dim))
    return index.emitError("the CUDA backend needs a static indexer head "
                           "count and head dim (dims 1 and 3)");
  return sel;
}

FailureOr<SoftmaxAttention> cuda::matchSoftmaxAttention(func::FuncOp function) {
  SoftmaxAttention a;
  a.function = function;
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  if (ret.getNumOperands() < 1)
    return ret.emitError("the CUDA backend compiles functions with a result");
  a.op = ret.getOperand(0).getDefiningOp<AttentionOp>();
  // The log-sum-exp may be the second result: the launcher's `lse`.
  if (ret.getNumOperands() > 2 ||
      (a.op && ret.getOperand(0) != a.op.getOutput()) ||
      (ret.getNumOperands() == 2 &&
       (!a.op || ret.getOperand(1) != a.op.getLse())))
    return ret.emitError("the CUDA backend compiles functions with one "
                         "result, or an attn.attention's output and "
                         "log-sum-exp");
  if (auto aggregate = ret.getOperand(0).getDefiningOp<AggregateOp>())
    if (std::optional<std::string> why = whyNotFused(aggregate))
      return aggregate.emitError(
                 "the CUDA backend compiles softmax attention as "
                 "attn.attention, which attn-fuse-attention does not form "
                 "here: ")
             << *why;
  if (!a.op)
    return ret.emitError(
        "the CUDA backend compiles softmax attention (attn.attention, which "
        "attn-fuse-attention forms), NSA (attn.nsa) or chunked linear "
        "attention (attn.chunked_scan)");
  AttentionOp op = a.op;
  if (op.getQueries().size() > 2)
    return op.emitError("the CUDA backend's softmax kernels take one "
                        "query-key pair, or two (MLA's latent and RoPE "
                        "parts)");
  if (op.getIndices()) {
    FailureOr<TokenSelection> selection = matchTokenSelection(op);
    if (failed(selection))
      return failure();
    a.selection = *selection;
  }
  // Compressed keys count blocks while the queries' positions count tokens:
  // the kernels take such a mask alone, over a self-attention.
  for (KeyMaskAttr mask : op.getKeyMasks())
    if (mask.getKind() == MaskKind::compressed &&
        (op.getLengths() || op.getMasks().size() > 1))
      return op.emitError("the CUDA backend's softmax kernel takes a "
                          "compressed mask only as the one mask, without "
                          "lengths");
  if (Value lengths = op.getLengths()) {
    FailureOr<unsigned> arg = argumentNumber(lengths, op, "lengths");
    if (failed(arg))
      return failure();
    Type lengthElement =
        cast<RankedTensorType>(lengths.getType()).getElementType();
    if (!lengthElement.isInteger(32) && !lengthElement.isInteger(64))
      return op.emitError("the CUDA backend takes i32 or i64 lengths");
    a.lengths = *arg;
  }
  FailureOr<unsigned> q = argumentNumber(op.getQueries()[0], op, "queries");
  // Keys and values straight from arguments, or both read through one page
  // table from pools of pages that are arguments.
  auto pagedKeys = op.getKeys()[0].getDefiningOp<PagedCacheOp>();
  auto pagedValues = op.getValues().getDefiningOp<PagedCacheOp>();
  if (bool(pagedKeys) != bool(pagedValues))
    return op.emitError("the CUDA backend takes keys and values both in "
                        "pages or both plain");
  Value keys = pagedKeys ? pagedKeys.getPages() : op.getKeys()[0];
  Value values = pagedValues ? pagedValues.getPages() : op.getValues();
  FailureOr<unsigned> k = argumentNumber(
      keys, pagedKeys ? pagedKeys.getOperation() : op.getOperation(), "keys");
  FailureOr<unsigned> v = argumentNumber(
      values, pagedValues ? pagedValues.getOperation() : op.getOperation(),
      "values");
  if (failed(q) || failed(k) || failed(v))
    return failure();
  a.query = *q, a.key = *k, a.value = *v;
  if (pagedKeys) {
    FailureOr<unsigned> table =
        argumentNumber(pagedKeys.getTable(), pagedKeys, "page table");
    if (failed(table))
      return failure();
    if (pagedValues.getTable() != pagedKeys.getTable())
      return pagedValues.emitError(
          "the CUDA backend reads keys and values through one page table");
    Type entry = pagedKeys.getTable().getType().getElementType();
    if (!entry.isInteger(32) && !entry.isInteger(64))
      return pagedKeys.emitError("the CUDA backend takes an i32 or i64 page "
                                 "table");
    a.pageTable = *table;
  }
  if (op.getQueries().size() == 2) {
    // MLA's RoPE keys: paged like the latent cache, through its table.
    Value ropeKeys = op.getKeys()[1];
    auto pagedRope = ropeKeys.getDefiningOp<PagedCacheOp>();
    if (bool(pagedRope) != bool(pagedKeys))
      return op.emitError("the CUDA backend takes the latent cache and "
                          "the RoPE keys both in pages or both plain");
    if (pagedRope && pagedRope.getTable() != pagedKeys.getTable())
      return pagedRope.emitError(
          "the CUDA backend reads the latent cache and the RoPE keys through "
          "one page table");
    FailureOr<unsigned> qr =
        argumentNumber(op.getQueries()[1], op, "RoPE queries");
    FailureOr<unsigned> kr = argumentNumber(
        pagedRope ? pagedRope.getPages() : ropeKeys,
        pagedRope ? pagedRope.getOperation() : op.getOperation(), "RoPE keys");
    if (failed(qr) || failed(kr))
      return failure();
    a.ropeQuery = *qr, a.ropeKey = *kr;
  }

  Value qv = op.getQueries()[0], kv = op.getKeys()[0], vv = op.getValues();
  a.element = cast<RankedTensorType>(qv.getType()).getElementType();
  SmallVector<Value> tensors = {qv, kv, vv, op.getOutput()};
  llvm::append_range(tensors, op.getQueries().drop_front());
  llvm::append_range(tensors, op.getKeys().drop_front());
  for (Value t : tensors)
    if (cast<RankedTensorType>(t.getType()).getElementType() != a.element ||
        !(a.element.isBF16() || a.element.isF16()))
      return op.emitError("the CUDA backend's softmax kernel takes "
                          "queries, keys, values and output all of bf16 "
                          "or all of f16 (accumulating in f32)");
  a.heads = dimSize(qv, 1);
  a.kvHeads = dimSize(kv, 1);
  a.headDim = dimSize(qv, 3);
  a.valueDim = dimSize(vv, 3);
  if (a.ropeQuery) {
    a.ropeDim = dimSize(op.getQueries()[1], 3);
    a.ropeKvHeads = dimSize(op.getKeys()[1], 1);
  }
  for (int64_t size :
       {a.heads, a.kvHeads, a.headDim, a.valueDim, a.ropeDim, a.ropeKvHeads})
    if (ShapedType::isDynamic(size))
      return op.emitError("the CUDA backend needs static head counts "
                          "and head dims (dims 1 and 3)");
  if (dimSize(vv, 1) != a.kvHeads)
    return op.emitError(
        "the CUDA backend needs keys and values with the same head count");
  a.scale = op.getScale().convertToDouble();
  // The kernels count every mask's positions from one key length.
  if (a.selection)
    for (MaskOp mask : a.selection->masks)
      if (mask.getLengths() && mask.getLengths() != op.getLengths())
        return mask.emitError("the CUDA backend takes one lengths argument "
                              "for all masks");
  if (a.selection && bool(op.getLengths()) !=
                         llvm::any_of(a.selection->masks, [](MaskOp mask) {
                           return bool(mask.getLengths());
                         }))
    return op.emitError(
        "the CUDA backend takes key lengths on both the indexer's masks and "
        "the attention's, or on neither");
  if (a.selection && !a.ropeQuery)
    return op.emitError(
        "the CUDA backend compiles DeepSeek sparse attention over MLA's "
        "latent cache (two query-key pairs) only");
  // MLA's latent form has a kernel of its own, with its own limits.
  if (a.ropeQuery)
    return a;
  for (int64_t dim : {a.headDim, a.valueDim})
    if (dim != 64 && dim != 128 && dim != 256)
      return op.emitError()
             << "the CUDA backend's softmax kernel takes head dims 64, 128 "
                "and 256, not "
             << dim;
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
    return llvm::TypeSwitch<Operation *, FailureOr<std::string>>(&op)
        .Case([&](arith::ConstantOp c) -> FailureOr<std::string> {
          if (auto f = dyn_cast<FloatAttr>(c.getValue()))
            return floatLiteral(f.getType().isF32()
                                    ? f.getValue().convertToFloat()
                                    : float(f.getValueAsDouble()));
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
        .Case(
            [&](arith::NegFOp) { return "(-" + name(op.getOperand(0)) + ")"; })
        // fmaxf and fminf drop a NaN operand; arith's maximumf and minimumf
        // return it.
        .Case<arith::MaximumFOp, arith::MinimumFOp>([&](Operation *) {
          std::string x = name(op.getOperand(0)), y = name(op.getOperand(1));
          return "(" + x + " != " + x + " || " + y + " != " + y + " ? " + x +
                 " + " + y + " : " +
                 call(op, isa<arith::MaximumFOp>(op) ? "fmaxf" : "fminf") + ")";
        })
        .Case<arith::IndexCastOp, arith::IndexCastUIOp>(
            [&](Operation *) { return "(long long)" + name(op.getOperand(0)); })
        .Case<arith::SIToFPOp, arith::UIToFPOp, arith::ExtFOp, arith::TruncFOp>(
            [&](Operation *) { return "(float)" + name(op.getOperand(0)); })
        .Case([&](arith::SelectOp) {
          return "(" + name(op.getOperand(0)) + " ? " + name(op.getOperand(1)) +
                 " : " + name(op.getOperand(2)) + ")";
        })
        // C's <, == and > are false on NaN, so they give the ordered
        // predicates; unordered ones add a NaN test. Integers are long long
        // here: unsigned predicates compare the bits at the operands' width.
        .Case<arith::CmpFOp, arith::CmpIOp>(
            [&](Operation *) -> FailureOr<std::string> {
              std::string x = name(op.getOperand(0)),
                          y = name(op.getOperand(1));
              Relations accepts;
              std::vector<std::string> terms;
              if (auto fcmp = dyn_cast<arith::CmpFOp>(op)) {
                FloatComparison form = floatComparison(fcmp.getPredicate());
                accepts = form.accepts;
                if (form.unordered)
                  terms = {x + " != " + x, y + " != " + y};
              } else {
                auto cmp = cast<arith::CmpIOp>(op);
                accepts = integerRelations(cmp.getPredicate());
                unsigned width = comparedWidth(cmp.getLhs().getType());
                if (isUnsigned(cmp.getPredicate())) {
                  std::string mask =
                      width >= 64
                          ? ""
                          : " & " + std::to_string((1ull << width) - 1) + "ull";
                  x = "((unsigned long long)" + x + mask + ")";
                  y = "((unsigned long long)" + y + mask + ")";
                }
              }
              if (accepts.less)
                terms.push_back(x + " < " + y);
              if (accepts.equal)
                terms.push_back(x + " == " + y);
              if (accepts.greater)
                terms.push_back(x + " > " + y);
              return terms.empty() ? std::string("false")
                                   : "(" + llvm::join(terms, " || ") + ")";
            })
        .Case([&](math::TanhOp) { return call(op, "tanhf"); })
        .Case([&](math::ExpOp) { return call(op, "expf"); })
        .Case([&](math::Exp2Op) { return call(op, "exp2f"); })
        .Case([&](math::LogOp) { return call(op, "logf"); })
        .Case([&](math::Log2Op) { return call(op, "log2f"); })
        .Case([&](math::SqrtOp) { return call(op, "sqrtf"); })
        .Case([&](math::RsqrtOp) { return call(op, "rsqrtf"); })
        .Case([&](math::AbsFOp) { return call(op, "fabsf"); })
        .Case([&](math::PowFOp) { return call(op, "powf"); })
        .Case([&](math::SinOp) { return call(op, "sinf"); })
        .Case([&](math::CosOp) { return call(op, "cosf"); })
        .Default([&](Operation *) { return unsupported(op); });
  }

  raw_ostream &os;
  llvm::DenseMap<Value, std::string> names;
  unsigned counter = 0;
};

/// C source of an int or bool expression, parenthesized as it is built:
/// the masks' meaning (attn/Support/Masks.h) as emitted code.
struct CExpr {
  std::string text;
};
CExpr binary(const CExpr &a, StringRef op, const CExpr &b) {
  return {"(" + a.text + " " + op.str() + " " + b.text + ")"};
}
CExpr operator+(const CExpr &a, const CExpr &b) { return binary(a, "+", b); }
CExpr operator-(const CExpr &a, const CExpr &b) { return binary(a, "-", b); }
CExpr operator*(const CExpr &a, const CExpr &b) { return binary(a, "*", b); }
CExpr operator/(const CExpr &a, const CExpr &b) { return binary(a, "/", b); }
CExpr operator<(const CExpr &a, const CExpr &b) { return binary(a, "<", b); }
CExpr operator<=(const CExpr &a, const CExpr &b) { return binary(a, "<=", b); }
CExpr operator>=(const CExpr &a, const CExpr &b) { return binary(a, ">=", b); }
CExpr operator&&(const CExpr &a, const CExpr &b) { return binary(a, "&&", b); }

struct CMaskOps {
  using Int = CExpr;
  using Bool = CExpr;
  static Int integer(int64_t v) { return {std::to_string(v)}; }
  static Bool truth(bool v) { return {v ? "true" : "false"}; }
  static Int select(Bool c, Int a, Int b) {
    return {"(" + c.text + " ? " + a.text + " : " + b.text + ")"};
  }
};

/// C expressions of one mask over a query position p and key s, and over
/// tiles: the last key a query at position pLast may see, the first key one
/// at pFirst may see, and whether all pairs of a tile are visible.
struct MaskText {
  std::string visible;     // pair (p, s), given s < L
  std::string keyEnd;      // one past the last key seen from pLast
  std::string keyBegin;    // first key seen from pFirst
  std::string tileVisible; // every pair of [pFirst, pLast] x [sFirst, sLast]
};

MaskText maskText(MaskKind kind, int64_t size, int64_t stride) {
  masks::Mask m{kind, size, stride};
  return {masks::keeps<CMaskOps>(m, {"s"}, {"p"}).text,
          masks::keyEnd<CMaskOps>(m, {"pLast"}, {"L"}).text,
          masks::keyBegin<CMaskOps>(m, {"pFirst"}).text,
          masks::tileVisible<CMaskOps>(m, {"pFirst"}, {"pLast"}, {"sFirst"},
                                       {"sLast"})
              .text};
}
} // namespace

/// The token length that query positions count back from: the key length L,
/// except under a compressed mask, whose keys are blocks of a
/// self-attention's T tokens (query t sits at token t).
static StringRef positionLength(const SoftmaxAttention &a) {
  for (KeyMaskAttr mask : AttentionOp(a.op).getKeyMasks())
    if (mask.getKind() == MaskKind::compressed)
      return "T";
  return "L";
}

static MaskText maskText(KeyMaskAttr mask) {
  return maskText(mask.getKind(), mask.getSize(), mask.getStride());
}
static MaskText maskText(MaskOp mask) {
  return maskText(mask.getKind(), mask.getSize().value_or(0),
                  mask.getStride().value_or(0));
}

/// Device functions for the score chain, shared by every architecture:
///   float attnScoreChain<bool kMasked>(float x, b, h, t, s, T, L)
///     the chain on a scaled score; with kMasked, masked pairs give -inf;
///   void attnKeyRange(tFirst, tLast, T, L, &begin, &end)
///     the keys that queries [tFirst, tLast] may see;
///   bool attnTileVisible(tFirst, tLast, sFirst, sLast, T, L)
///     whether every pair of the tiles is visible (no mask needed);
/// where L is the sequence's key length (S or lengths[b]).
static LogicalResult emitScoreChain(const SoftmaxAttention &a,
                                    raw_ostream &os) {
  // The chain on one score. Score mods keep masked scores masked, so
  // applying every mod first and every mask after is the chain's meaning.
  os << "template <bool kMasked>\n"
        "__device__ __forceinline__ float attnScoreChain(float x, int b, int "
        "h, "
        "int t, int s, int T, int L) {\n"
        "  const int p = "
     << positionLength(a)
     << " - T + t;\n"
        "  (void)b, (void)h, (void)p;\n";
  if (Block *body = AttentionOp(a.op).getScoreModBody()) {
    os << "  {\n";
    ScalarPrinter printer(os);
    const char *args[] = {"x", "(long long)b", "(long long)h", "(long long)t",
                          "(long long)s"};
    for (auto [arg, name] : llvm::zip(body->getArguments(), args))
      printer.bind(arg, name);
    for (Operation &inner : *body)
      if (failed(printer.print(inner)))
        return failure();
    os << "  x = " << printer.name(body->getTerminator()->getOperand(0))
       << ";\n  }\n";
  }
  os << "  if (kMasked && !(s < L";
  for (KeyMaskAttr mask : AttentionOp(a.op).getKeyMasks())
    os << " && " << maskText(mask).visible;
  os << "))\n    x = -INFINITY;\n  return x;\n}\n\n";

  const std::string positions =
      (llvm::Twine("  const int pFirst = ") + positionLength(a) +
       " - T + tFirst, pLast = " + positionLength(a) + " - T + tLast;\n")
          .str();
  os << "__device__ __forceinline__ void attnKeyRange(int tFirst, int tLast, "
        "int T, int L, int &begin, int &end) {\n"
     << positions
     << "  (void)pFirst, (void)pLast;\n"
        "  begin = 0;\n  end = L;\n";
  for (KeyMaskAttr mask : AttentionOp(a.op).getKeyMasks()) {
    MaskText text = maskText(mask);
    os << "  begin = max(begin, " << text.keyBegin << ");\n"
       << "  end = min(end, " << text.keyEnd << ");\n";
  }
  os << "}\n\n";

  os << R"cu(/// The key tiles of kBN keys that queries [tFirst, tLast] may see: tiles
/// [first, first + count).
template <int kBN>
__device__ __forceinline__ void attnKeyTiles(int tFirst, int tLast, int T, int L, int &first,
                                             int &count) {
  int begin, end;
  attnKeyRange(tFirst, tLast, T, L, begin, end);
  begin = max(begin, 0);
  end = min(end, L);
  first = begin / kBN;
  count = end > begin ? (end + kBN - 1) / kBN - first : 0;
}

/// The key length of sequence b: lengths[b] clamped to [0, S], or S.
template <typename Length>
__device__ __forceinline__ int attnKeyLength(const Length *lengths, int b, int S) {
  return lengths ? (int)min(max((long long)lengths[b], 0ll), (long long)S) : S;
}

)cu";

  os << "__device__ __forceinline__ bool attnTileVisible(int tFirst, int "
        "tLast, int sFirst, int sLast, int T, int L) {\n"
     << positions
     << "  (void)pFirst, (void)pLast, (void)sFirst;\n"
        "  return sLast < L";
  for (KeyMaskAttr mask : AttentionOp(a.op).getKeyMasks())
    os << " && " << maskText(mask).tileVisible;
  os << ";\n}\n\n";
  return success();
}

void cuda::emitSelectionMasks(const TokenSelection &selection,
                              raw_ostream &os) {
  os << "__device__ __forceinline__ void attnIndexKeyRange(int t, int T, int "
        "L, int &begin, int &end) {\n"
        "  const int pFirst = L - T + t, pLast = pFirst;\n"
        "  (void)pFirst, (void)pLast;\n"
        "  begin = 0;\n  end = L;\n";
  for (MaskOp mask : selection.masks) {
    MaskText text = maskText(mask);
    os << "  begin = max(begin, " << text.keyBegin << ");\n"
       << "  end = min(end, " << text.keyEnd << ");\n";
  }
  os << "}\n\n"
        "__device__ __forceinline__ bool attnIndexVisible(int t, int s, int "
        "T, int L) {\n"
        "  const int p = L - T + t;\n"
        "  (void)p;\n"
        "  return s < L";
  for (MaskOp mask : selection.masks)
    os << " && " << maskText(mask).visible;
  os << ";\n}\n\n";
}

namespace {
constexpr const char *kFragmentFunctions = R"cu(
/// The score chain on one warp's 16 x kN score fragment in the m16n8
/// accumulator layout (mma.sync tiles; each warp's part of a wgmma tile):
/// s[4n + 2i + j] is head hs[i]'s query ts[i], key s0 + 8n + 2 (lane % 4) + j,
/// or with `keys` (gathered tiles), key keys[8n + 2 (lane % 4) + j].
/// Leaves scores in log2 units and folds the rows' maxima into tileMax.
template <bool kMasked, int kN>
__device__ __forceinline__ void attnScoreTile(float (&s)[kN / 2], int b, const int (&hs)[2],
                                              const int (&ts)[2], int s0, int T, int L,
                                              float (&tileMax)[2], const int *keys = nullptr) {
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int k = 0; k < kN / 8; ++k)
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        float &x = s[k * 4 + i * 2 + j];
        const int column = k * 8 + 2 * (lane % 4) + j;
        const int h = hs[i], t = ts[i], key = keys ? keys[column] : s0 + column;
        x = $CHAIN;
        tileMax[i] = fmaxf(tileMax[i], x);
      }
}

/// One online-softmax step on a scored fragment: moves the row maxima to
/// tileMax, turns the scores into P = 2^(s - max) in place, updates the
/// running sums and gives the factors that rescale earlier output.
template <int kN>
__device__ __forceinline__ void attnSoftmaxStep(float (&s)[kN / 2], const float (&tileMax)[2],
                                                float (&rowMax)[2], float (&rowSum)[2],
                                                float (&rescale)[2]) {
  using namespace attn_rt;
  float base[2], tileSum[2] = {0.f, 0.f};
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float m = quadMax(tileMax[r]);
    base[r] = m == -INFINITY ? 0.f : m; // a row masked so far stays 0
    rescale[r] = exp2Approx(rowMax[r] - base[r]);
    rowMax[r] = m;
  }
#pragma unroll
  for (int k = 0; k < kN / 8; ++k)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      s[k * 4 + e] = exp2Approx(s[k * 4 + e] - base[e / 2]);
      tileSum[e / 2] += s[k * 4 + e];
    }
#pragma unroll
  for (int r = 0; r < 2; ++r)
    rowSum[r] = rowSum[r] * rescale[r] + tileSum[r];
}

template <int kNV>
__device__ __forceinline__ void attnRescale(float (&o)[kNV / 2], const float (&rescale)[2]) {
#pragma unroll
  for (int k = 0; k < kNV / 8; ++k)
#pragma unroll
    for (int e = 0; e < 4; ++e)
      o[k * 4 + e] *= rescale[e / 2];
}

/// P as the A fragments of the P V product: the accumulator layout of 16
/// keys is the A fragment's (p[k] covers keys 16k to 16k + 15).
template <typename Elem, int kN>
__device__ __forceinline__ void attnPackProbabilities(const float (&s)[kN / 2],
                                                      unsigned (&p)[kN / 16][4]) {
#pragma unroll
  for (int k = 0; k < kN / 8; ++k)
#pragma unroll
    for (int r = 0; r < 2; ++r)
      p[k / 2][(k % 2) * 2 + r] = attn_rt::pack2<Elem>(s[k * 4 + r * 2], s[k * 4 + r * 2 + 1]);
}

/// The three steps in sequence, for kernels that rescale the output right away.
template <typename Elem, int kN, int kNV>
__device__ __forceinline__ void attnOnlineSoftmax(float (&s)[kN / 2], const float (&tileMax)[2],
                                                  float (&rowMax)[2], float (&rowSum)[2],
                                                  float (&o)[kNV / 2], unsigned (&p)[kN / 16][4]) {
  float rescale[2];
  attnSoftmaxStep<kN>(s, tileMax, rowMax, rowSum, rescale);
  attnRescale<kNV>(o, rescale);
  attnPackProbabilities<Elem, kN>(s, p);
}

/// Writes rows t0 and t0 + 8 (those below T) of a warp's output fragment to
/// out, normalized (fully masked rows give 0), and their natural-log
/// log-sum-exp to lse ([B, heads, T]) if given.
template <typename Elem, int kNV>
__device__ __forceinline__ void attnStoreRows(const float (&o)[kNV / 2], const float (&rowMax)[2],
                                              const float (&rowSum)[2], Elem *__restrict__ out,
                                              long long osB, long long osH, long long osT,
                                              float *__restrict__ lse, int heads, int b, int h,
                                              int t0, int T) {
  using namespace attn_rt;
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float sum = quadSum(rowSum[r]);
    const float inverse = sum > 0.f ? 1.f / sum : 0.f;
    const int t = t0 + r * 8;
    if (t >= T)
      continue;
    Elem *row = out + b * osB + h * osH + t * osT;
#pragma unroll
    for (int k = 0; k < kNV / 8; ++k)
      *reinterpret_cast<unsigned *>(row + k * 8 + 2 * (lane % 4)) =
          pack2<Elem>(o[k * 4 + r * 2] * inverse, o[k * 4 + r * 2 + 1] * inverse);
    if (lse && lane % 4 == 0)
      lse[((long long)b * heads + h) * T + t] =
          sum > 0.f ? (rowMax[r] + log2f(sum)) * 0.69314718056f : -INFINITY;
  }
}

/// For kernels whose kWarps warps each hold a 16-row part over other keys:
/// writes this warp's unnormalized rows, log2 maxima and sums to `merge`
/// (kWarps x 16 rows: kNV outputs, then the maxima, then the sums).
template <int kWarps, int kNV>
__device__ __forceinline__ void attnStashWarpRows(float *merge, const float (&o)[kNV / 2],
                                                  const float (&rowMax)[2], const float (&rowSum)[2]) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float *mergeM = merge + kWarps * 16 * kNV, *mergeL = mergeM + kWarps * 16;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = warp * 16 + lane / 4 + 8 * r;
    const float sum = attn_rt::quadSum(rowSum[r]);
    if (lane % 4 == 0)
      mergeM[row] = rowMax[r], mergeL[row] = sum;
#pragma unroll
    for (int n = 0; n < kNV / 8; ++n)
#pragma unroll
      for (int j = 0; j < 2; ++j)
        merge[row * kNV + 8 * n + 2 * (lane % 4) + j] = o[4 * n + 2 * r + j];
  }
}

/// Row `row`, output `d` merged over the warps' stashed parts: the
/// unnormalized output `acc`, its sum and log2 maximum.
template <int kWarps, int kNV>
__device__ __forceinline__ void attnMergedRow(const float *merge, int row, int d, float &acc,
                                              float &sum, float &max) {
  const float *mergeM = merge + kWarps * 16 * kNV, *mergeL = mergeM + kWarps * 16;
  max = -INFINITY;
#pragma unroll
  for (int w = 0; w < kWarps; ++w)
    max = fmaxf(max, mergeM[w * 16 + row]);
  const float base = max == -INFINITY ? 0.f : max;
  sum = 0.f, acc = 0.f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    const float f = exp2f(mergeM[w * 16 + row] - base);
    sum += mergeL[w * 16 + row] * f;
    acc += merge[(w * 16 + row) * kNV + d] * f;
  }
}
)cu";

} // namespace

/// The score chain (emitScoreChain), then device functions on one warp's
/// score and output fragments in the m16n8 accumulator layout, which both
/// mma.sync tiles and each warp's part of a wgmma tile have:
///   attnScoreTile<kMasked, kN>: the chain on a 16 x kN score fragment;
///   attnOnlineSoftmax<Elem, kN, kNV>: the online softmax step, giving P as
///     MMA A fragments and rescaling the output fragment;
///   attnStoreRows<Elem, kNV>: the normalized output rows and log-sum-exp;
///   attnStashWarpRows, attnMergedRow: rows split over warps, merged.
LogicalResult cuda::emitSoftmaxFragments(const SoftmaxAttention &a,
                                         raw_ostream &os) {
  if (failed(emitScoreChain(a, os)))
    return failure();
  // Without score mods the scale and log2(e) fold into one multiply.
  bool hasMods = AttentionOp(a.op).getScoreModBody() != nullptr;
  std::string scale = floatLiteral(hasMods ? a.scale : a.scale * M_LOG2E);
  std::string chain = "attnScoreChain<kMasked>(x * " + scale +
                      ", b, h, t, key, T, L)" +
                      (hasMods ? " * 1.44269504089f" : "");
  os << substitute(kFragmentFunctions, {{"CHAIN", chain}});
  return success();
}

std::string cuda::launcherLayoutChecks(ArrayRef<StringRef> inputs,
                                       StringRef what, bool lengths,
                                       bool pageTable) {
  std::string names;
  for (StringRef input : inputs)
    names += (names.empty() ? "" : ", ") + input.str();
  std::string text;
  if (lengths)
    text += R"cu(  if (lengths->shape[0] != B)
    return attnFail(1, "lengths has %lld entries; expected B = %lld", (long long)lengths->shape[0], (long long)B);
  if (B > 1 && lengths->strides[0] != 1)
    return attnFail(2, "lengths must be contiguous");
)cu";
  if (pageTable)
    text += R"cu(  if (table->shape[0] != B)
    return attnFail(1, "the page table has %lld rows; expected B = %lld", (long long)table->shape[0], (long long)B);
  if (table->shape[1] > 1 && table->strides[1] != 1)
    return attnFail(2, "the page table needs a contiguous last dim");
)cu";
  // The kernels copy the inputs in 16-byte pieces (TMA, cp.async) and store
  // the output 2 elements at a time.
  text += substitute(
      R"cu(  const attn_cuda_tensor *inputs[$COUNT] = {$INPUTS};
  for (const attn_cuda_tensor *t : inputs)
    if (t->strides[3] != 1 || t->strides[2] % 8 || t->strides[1] % 8 || t->strides[0] % 8 ||
        (uintptr_t)t->data % 16)
      return attnFail(2, "$WHAT need a contiguous last dim, other strides "
                         "of multiples of 8 elements and 16-byte aligned data");
  if (out->strides[3] != 1 || out->strides[2] % 2 || (uintptr_t)out->data % 4)
    return attnFail(2, "the output needs a contiguous last dim, an even row stride and "
                       "4-byte aligned data");
  if (B == 0 || T == 0)
    return 0;
)cu",
      {{"COUNT", std::to_string(inputs.size())},
       {"INPUTS", names},
       {"WHAT", what.str()}});
  return text;
}

/// The launcher's shape, stride and alignment checks against the program's
/// static sizes, as statements of a function returning an error code; they
/// return 0 early when there is nothing to compute (B or T is 0).
static void emitSoftmaxChecks(const SoftmaxAttention &a, raw_ostream &os) {
  // Caches [B, Hkv, S, D], or pools of pages [N, P, Hkv, D] read through a
  // table [B, M] (S = M P).
  StringRef caches =
      a.pageTable
          ? R"cu(  const int64_t B = q->shape[0], T = q->shape[2], P = k->shape[1], S = table->shape[1] * P;
  if (k->shape[2] != $HKV || k->shape[3] != $D)
    return attnFail(1, "key pages are [%lld, %lld, %lld, %lld]; expected [N, P, $HKV, $D]", ATTN_SHAPE(k));
  if (v->shape[0] != k->shape[0] || v->shape[1] != P || v->shape[2] != $HKV || v->shape[3] != $DV)
    return attnFail(1, "value pages are [%lld, %lld, %lld, %lld]; expected [%lld, %lld, $HKV, $DV]", ATTN_SHAPE(v),
                    (long long)k->shape[0], (long long)P);
  if (P > INT32_MAX / 2)
    return attnFail(1, "pages past the kernel's 32-bit indexing (P < 2^30)");
)cu"
          : R"cu(  const int64_t B = q->shape[0], T = q->shape[2], S = k->shape[2];
  if (k->shape[0] != B || k->shape[1] != $HKV || k->shape[3] != $D)
    return attnFail(1, "keys are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, S, $D]", ATTN_SHAPE(k), (long long)B);
  if (v->shape[0] != B || v->shape[1] != $HKV || v->shape[2] != S || v->shape[3] != $DV)
    return attnFail(1, "values are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, %lld, $DV]", ATTN_SHAPE(v), (long long)B, (long long)S);
)cu";
  os << substitute(caches.str() +
                       R"cu(  if (q->shape[1] != $H || q->shape[3] != $D)
    return attnFail(1, "queries are [%lld, %lld, %lld, %lld]; expected [B, $H, T, $D]", ATTN_SHAPE(q));
  if (out->shape[0] != B || out->shape[1] != $H || out->shape[2] != T || out->shape[3] != $DV)
    return attnFail(1, "the output is [%lld, %lld, %lld, %lld]; expected [%lld, $H, %lld, $DV]", ATTN_SHAPE(out), (long long)B, (long long)T);
  if (T > INT32_MAX / 2 || S > INT32_MAX / 2 || B > 65535)
    return attnFail(1, "sizes past the kernel's 32-bit indexing (B <= 65535, T and S < 2^30)");
)cu",
                   {{"H", std::to_string(a.heads)},
                    {"HKV", std::to_string(a.kvHeads)},
                    {"D", std::to_string(a.headDim)},
                    {"DV", std::to_string(a.valueDim)}});
  os << launcherLayoutChecks({"q", "k", "v"}, "queries, keys and values",
                             a.lengths.has_value(), a.pageTable.has_value());
  // A group's queries fit one row tile: the split-key decode kernels, the
  // only ones that read pages.
  int64_t group = a.heads / a.kvHeads;
  os << "  if (T * " << group
     << " <= 16)\n    return attnDecode(q, k, v, out, lse, "
     << (a.lengths ? "lengths->data" : "nullptr") << ", B, T, S, stream"
     << (a.pageTable ? ", table, P" : "") << ");\n";
  if (a.pageTable)
    os << "  return attnFail(1, \"a paged cache is read by the decode kernel "
          "only: T x "
       << group
       << " = %lld query rows per KV head, at most 16\", (long long)(T * "
       << group << "));\n";
}

/// The launcher's tensor parameters: the function's arguments in order
/// (q, k, v, lengths by role), then the output.
static std::string softmaxParameters(const SoftmaxAttention &a) {
  return argumentParameters(a.function,
                            [&](unsigned i) -> StringRef {
                              return i == a.query       ? "q"
                                     : i == a.key       ? "k"
                                     : i == a.value     ? "v"
                                     : i == a.lengths   ? "lengths"
                                     : i == a.pageTable ? "table"
                                                        : "";
                            }) +
         "attn_cuda_tensor *out";
}

std::string cuda::indexType(const SoftmaxAttention &a,
                            std::optional<unsigned> argument) {
  if (!argument)
    return "int";
  func::FuncOp function = a.function;
  auto type = cast<RankedTensorType>(function.getArgument(*argument).getType());
  return type.getElementType().isInteger(64) ? "long long" : "int";
}

FailureOr<KernelParts> cuda::assembleSoftmaxKernel(
    const SoftmaxAttention &a, StringRef name,
    ArrayRef<std::pair<StringRef, std::string>> kernelNames,
    const SoftmaxTemplates &templates) {
  std::vector<std::pair<StringRef, std::string>> names(kernelNames.begin(),
                                                       kernelNames.end());
  names.insert(names.end(),
               {{"D", std::to_string(a.headDim)},
                {"DV", std::to_string(a.valueDim)},
                {"H", std::to_string(a.heads)},
                {"HKV", std::to_string(a.kvHeads)},
                {"NAME", name.str()},
                {"ELEM", elementTypeName(a.element).str()},
                {"LENGTH_TYPE", indexType(a, a.lengths)},
                {"LENGTHS", a.lengths ? "lengths->data" : "nullptr"},
                {"PARAMS", softmaxParameters(a)}});
  llvm::append_range(names, softmaxDecodeNames(a));
  // Pages are read by the decode kernel only: its sizes and launcher are
  // all there is.
  StringRef pagedConstants = R"cu(
constexpr int kD = $D, kDV = $DV, kHeads = $H, kKvHeads = $HKV;
)cu";
  StringRef pagedLauncher = R"cu(
extern "C" int $NAME($PARAMS, float *lse, void *stream) {
$CHECKS}
)cu";
  KernelParts parts;
  parts.constants =
      substitute(a.pageTable ? pagedConstants : templates.constants, names) +
      substitute(softmaxDecodeConstants(), names) +
      substitute(splitCombineConstants(), names);
  llvm::raw_string_ostream device(parts.device);
  if (failed(emitSoftmaxFragments(a, device)))
    return failure();
  if (!a.pageTable)
    device << templates.instructions << substitute(templates.kernel, names);
  device << substitute(softmaxDecodeKernel(), names)
         << substitute(splitCombineKernel(), names);
  std::string checks;
  llvm::raw_string_ostream checkStream(checks);
  emitSoftmaxChecks(a, checkStream);
  names.push_back({"CHECKS", checks});
  parts.launcher =
      substitute(splitCombineLauncher(), names) +
      substitute(softmaxDecodeLauncher(), names) +
      substitute(a.pageTable ? pagedLauncher : templates.launcher, names);
  parts.parameters = softmaxParameters(a) + ", float *lse";
  parts.doc =
      "// Softmax attention. lse, if not NULL, receives the log-sum-exp of "
      "each\n// query's scores, [B, H, T] contiguous f32 (-inf for fully "
      "masked rows).\n// Needs: q, k, v with a contiguous last dim, other "
      "strides multiples of\n// 8 elements, 16-byte aligned data; out with "
      "a contiguous last dim.";
  if (a.lengths)
    parts.doc += "\n// Keys past lengths[b], up to the end of that key tile, "
                 "may be read: they\n// must be finite (they get no weight, "
                 "but 0 * NaN is NaN).";
  parts.runtimeHeader = templates.runtimeHeader.str();
  return parts;
}
