//===- AttnOps.cpp - attn op verifiers, folders and assembly -------------===//
//
// The verifiers hold the shape invariants of the [B, H, T, D] convention, so
// passes, the interpreter and the backends can rely on them. Dynamic sizes
// are checked where both sides are static; the interpreter checks the rest
// against the actual inputs.
//
//===----------------------------------------------------------------------===//

#include "Attn/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace attn;

int64_t attn::dimSize(Value value, unsigned i) {
  return dimSize(value.getType(), i);
}
int64_t attn::dimSize(Type type, unsigned i) {
  return cast<ShapedType>(type).getDimSize(i);
}
int64_t attn::mergeDimSizes(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

namespace {
// Names of the axes of the [B, H, T, D] convention, for diagnostics.
constexpr const char *kAxis[] = {"batch", "head", "sequence", "feature"};

bool known(int64_t d) { return !ShapedType::isDynamic(d); }

/// Fails when two sizes are static and differ.
LogicalResult sameSize(Operation *op, int64_t a, int64_t b, const Twine &what) {
  if (known(a) && known(b) && a != b)
    return op->emitOpError() << what << " mismatch: " << a << " vs " << b;
  return success();
}

/// Fails when the `outer` heads of `outerName` cannot be split into groups
/// over the `inner` heads of `innerName` (GQA / MQA sharing).
LogicalResult divisibleHeads(Operation *op, int64_t outer, int64_t inner,
                             const Twine &outerName, const Twine &innerName) {
  if (known(inner) && inner == 0)
    return op->emitOpError() << innerName << " has zero heads";
  if (known(outer) && known(inner) && outer % inner != 0)
    return op->emitOpError()
           << outerName << " heads (" << outer << ") are not a multiple of "
           << innerName << " heads (" << inner << ")";
  return success();
}

/// Checks that `t` has the sizes `expected` (kDynamic entries are free).
/// Axes are named by `names`, else by the [B, H, T, D] convention for tensors
/// of rank 3 and 4 (which all start with it), else by number.
LogicalResult shapeIs(Operation *op, Type t, ArrayRef<int64_t> expected,
                      const Twine &what, ArrayRef<const char *> names = {}) {
  auto shaped = cast<ShapedType>(t);
  if (names.empty() && shaped.getRank() >= 3)
    names = kAxis;
  for (auto [i, e] : llvm::enumerate(expected)) {
    std::string axis = i < names.size() ? names[i] : "dim " + std::to_string(i);
    if (failed(
            sameSize(op, shaped.getDimSize(i), e, what + " " + axis + " size")))
      return failure();
  }
  return success();
}

// Axis names of a [B, H, Dk, Dv] state tensor and of [H] gates.
constexpr const char *kStateAxis[] = {"batch", "head", "key dim", "value dim"};
constexpr const char *kHeadAxis[] = {"head"};
constexpr const char *kChunkStateAxis[] = {"batch", "head", "chunk", "key dim",
                                           "value dim"};

LogicalResult lengthsMatchBatch(Operation *op, Value lengths, Value tensor) {
  if (!lengths)
    return success();
  return sameSize(op, dimSize(lengths, 0), dimSize(tensor, 0),
                  "lengths vs batch");
}

/// The weights of `pooling` over blocks of `block` tokens of head dim `d`:
/// attn.compress's, or those of attn.nsa's keys or values (`what`).
LogicalResult verifyPoolingWeights(Operation *op, PoolingKind pooling,
                                   ValueRange weights, int64_t block, int64_t d,
                                   StringRef what) {
  std::string prefix = what.empty() ? "" : (what + " ").str();
  if (pooling == PoolingKind::mean) {
    if (!weights.empty())
      return op->emitOpError()
             << "mean pooling takes no " << prefix << "weights";
    return success();
  }
  if (weights.size() != 3)
    return op->emitOpError()
           << "mlp pooling needs three " << prefix
           << "weights: the position encoding [block, D], W1 [block*D, "
              "hidden] and W2 [hidden, D]";
  int64_t hidden = dimSize(weights[1], 1);
  int64_t flat = ShapedType::kDynamic;
  if (known(d) && llvm::MulOverflow(block, d, flat))
    return op->emitOpError("block * head dim overflows");
  if (failed(shapeIs(op, weights[0].getType(), {block, d},
                     prefix + "position encoding")) ||
      failed(
          shapeIs(op, weights[1].getType(), {flat, hidden}, prefix + "W1")) ||
      failed(shapeIs(op, weights[2].getType(), {hidden, d}, prefix + "W2")))
    return failure();
  return success();
}

/// The blocks a selection always keeps must fit in its `top` slots.
LogicalResult forcedBlocksFit(Operation *op, uint64_t initial, uint64_t local,
                              uint64_t top) {
  if (initial + local > top)
    return op->emitOpError() << "keeps " << initial << " initial and " << local
                             << " local blocks, more than top " << top;
  return success();
}

/// Compressed blocks of `stride` > `block` would skip tokens: attn.compress
/// makes no such blocks, so masks and selections over them cannot exist.
LogicalResult compressionCoversTokens(Operation *op, int64_t block,
                                      int64_t stride, StringRef what) {
  if (stride > block)
    return op->emitOpError()
           << what << "stride " << stride << " exceeds block " << block
           << ": tokens between blocks would be dropped";
  return success();
}
/// A score scale: finite, positive, and a normal f32, since the backends
/// scale in f32 (a scale f32 cannot hold would silently become infinite or 0
/// there).
LogicalResult verifyScale(Operation *op, APFloat scale) {
  double value = scale.convertToDouble();
  if (!std::isfinite(value) || value <= 0)
    return op->emitOpError("scale must be finite and positive");
  if (value > std::numeric_limits<float>::max() ||
      value < std::numeric_limits<float>::min())
    return op->emitOpError() << "scale " << value
                             << " is outside f32's normal range [1.18e-38, "
                                "3.4e38], in which the backends compute";
  return success();
}
/// [B, Hq, T, S] as known so far.
struct ScoreSizes {
  int64_t batch, heads, length, keyLength;
};

/// The `q, k` pairs of attn.score and attn.attention: each pair against the
/// sizes known so far, merged into them pair by pair, so that a dynamic
/// extent does not hide two pairs that disagree.
LogicalResult verifyScorePairs(Operation *op, ValueRange queries,
                               ValueRange keys, ScoreSizes &sizes) {
  if (queries.empty() || queries.size() != keys.size())
    return op->emitOpError(
        "needs as many keys as queries, and at least one pair");
  for (auto [i, pair] : llvm::enumerate(llvm::zip(queries, keys))) {
    auto [q, k] = pair;
    std::string part = "pair " + std::to_string(i);
    if (failed(shapeIs(op, q.getType(),
                       {sizes.batch, sizes.heads, sizes.length},
                       part + " query")) ||
        failed(sameSize(op, dimSize(k, 0),
                        mergeDimSizes(sizes.batch, dimSize(q, 0)),
                        part + " key batch")) ||
        failed(sameSize(op, dimSize(k, 2), sizes.keyLength,
                        part + " key length")) ||
        failed(
            sameSize(op, dimSize(k, 3), dimSize(q, 3), part + " head dim")) ||
        failed(divisibleHeads(op, mergeDimSizes(sizes.heads, dimSize(q, 1)),
                              dimSize(k, 1), part + " query", part + " key")))
      return failure();
    sizes.batch =
        mergeDimSizes(mergeDimSizes(sizes.batch, dimSize(q, 0)), dimSize(k, 0));
    sizes.heads = mergeDimSizes(sizes.heads, dimSize(q, 1));
    sizes.length = mergeDimSizes(sizes.length, dimSize(q, 2));
    sizes.keyLength = mergeDimSizes(sizes.keyLength, dimSize(k, 2));
  }
  return success();
}

/// `%q0, %k0 + %q1, %k1 ...`: the pairs as written (q0, k0, q1, k1, ...).
ParseResult
parseScorePairs(OpAsmParser &parser,
                SmallVectorImpl<OpAsmParser::UnresolvedOperand> &written) {
  do {
    OpAsmParser::UnresolvedOperand q, k;
    if (parser.parseOperand(q) || parser.parseComma() || parser.parseOperand(k))
      return failure();
    written.append({q, k});
  } while (succeeded(parser.parseOptionalPlus()));
  return success();
}

/// Resolves the first 2 x `numPairs` written operands, typed in written
/// order, into all queries then all keys (the operands' stored order).
ParseResult resolveScorePairs(OpAsmParser &parser,
                              ArrayRef<OpAsmParser::UnresolvedOperand> written,
                              int32_t numPairs, ArrayRef<Type> types,
                              SmallVectorImpl<Value> &operands) {
  for (int32_t side = 0; side < 2; ++side)
    for (int32_t i = 0; i < numPairs; ++i)
      if (parser.resolveOperand(written[2 * i + side], types[2 * i + side],
                                operands))
        return failure();
  return success();
}

/// The tail of attn.score's and attn.attention's assembly: the attribute
/// dictionary and `: (operand types) -> results`, with `written` operands
/// and `numResults` results (`results` says which, for the error).
FailureOr<FunctionType> parseTail(OpAsmParser &parser, OperationState &result,
                                  size_t written, unsigned numResults,
                                  StringRef results) {
  SMLoc attrLoc = parser.getCurrentLocation();
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();
  // As the generated parsers do: an inherent attribute of the wrong kind in
  // the dictionary (`{scale = 2 : i32}`) would otherwise be dropped silently.
  if (failed(result.name.verifyInherentAttrs(
          result.attributes, [&]() { return parser.emitError(attrLoc); })))
    return failure();
  FunctionType type;
  SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseColon() || parser.parseType(type))
    return failure();
  if (type.getNumInputs() != written || type.getNumResults() != numResults)
    return parser.emitError(typeLoc, "expected ")
           << written << " operand types and " << results;
  return type;
}

void printScorePairs(OpAsmPrinter &p, ValueRange queries, ValueRange keys,
                     SmallVectorImpl<Type> &types) {
  for (auto [i, pair] : llvm::enumerate(llvm::zip(queries, keys))) {
    auto [q, k] = pair;
    p << (i ? " + " : " ") << q << ", " << k;
    types.append({q.getType(), k.getType()});
  }
}
} // namespace

//===----------------------------------------------------------------------===//
// ScoreOp
//===----------------------------------------------------------------------===//

double ScoreOp::getEffectiveScale() {
  if (auto scale = getScaleAttr())
    return scale.getValueAsDouble();
  // The verifier ensures each pair has a static head dim on one side.
  int64_t depth = 0;
  for (auto [q, k] : llvm::zip(getQueries(), getKeys()))
    depth += mergeDimSizes(dimSize(q, 3), dimSize(k, 3));
  return 1.0 / std::sqrt(static_cast<double>(depth));
}

LogicalResult ScoreOp::verify() {
  Type result = getScores().getType();
  ScoreSizes sizes{dimSize(result, 0), dimSize(result, 1), dimSize(result, 2),
                   dimSize(result, 3)};
  if (failed(verifyScorePairs(*this, getQueries(), getKeys(), sizes)))
    return failure();
  int64_t depth = 0;
  for (auto [q, k] : llvm::zip(getQueries(), getKeys())) {
    int64_t d = mergeDimSizes(dimSize(q, 3), dimSize(k, 3));
    if (!getScale() && !known(d))
      return emitOpError("needs a static head dim or an explicit scale");
    depth += known(d) ? d : 0;
  }
  // The default scale 1/sqrt(Dk) would be infinite.
  if (!getScale() && depth == 0)
    return emitOpError("needs a non-zero head dim or an explicit scale");
  if (auto scale = getScale(); scale && failed(verifyScale(*this, *scale)))
    return failure();
  if (Value gate = getGate()) {
    if (getQueries().size() != 1)
      return emitOpError("per-key decay needs a single query-key pair");
    Value q = getQueries()[0], k = getKeys()[0];
    if (failed(shapeIs(*this, gate.getType(),
                       {sizes.batch, sizes.heads, sizes.length,
                        mergeDimSizes(dimSize(q, 3), dimSize(k, 3))},
                       "decay gate vs query")) ||
        failed(sameSize(*this, sizes.length, sizes.keyLength,
                        "decayed scores are causal: query vs key length")))
      return failure();
  }
  return success();
}

ParseResult ScoreOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand> written;
  if (parseScorePairs(parser, written))
    return failure();
  int32_t numPairs = written.size() / 2;
  bool hasGate = succeeded(parser.parseOptionalKeyword("decay"));
  if (hasGate) {
    OpAsmParser::UnresolvedOperand gate;
    if (parser.parseOperand(gate))
      return failure();
    written.push_back(gate);
  }
  Properties &props = result.getOrAddProperties<Properties>();
  if (succeeded(parser.parseOptionalKeyword("scale"))) {
    double scale;
    if (parser.parseFloat(scale))
      return failure();
    props.scale = parser.getBuilder().getF64FloatAttr(scale);
  }
  props.operandSegmentSizes = {numPairs, numPairs, hasGate ? 1 : 0};
  FailureOr<FunctionType> type =
      parseTail(parser, result, written.size(), 1, "one result type");
  if (failed(type))
    return failure();
  // Types are written in operand order (q0, k0, q1, k1, ..., gate); operands
  // are stored as all queries, then all keys, then the gate.
  if (resolveScorePairs(parser, written, numPairs, type->getInputs(),
                        result.operands))
    return failure();
  if (hasGate && parser.resolveOperand(written.back(), type->getInputs().back(),
                                       result.operands))
    return failure();
  result.addTypes(type->getResults());
  return success();
}

void ScoreOp::print(OpAsmPrinter &p) {
  SmallVector<Type> types;
  printScorePairs(p, getQueries(), getKeys(), types);
  if (Value gate = getGate()) {
    p << " decay " << gate;
    types.push_back(gate.getType());
  }
  if (auto scale = getScaleAttr()) {
    p << " scale ";
    p.printFloat(scale.getValue());
  }
  p.printOptionalAttrDict(
      (*this)->getAttrs(),
      {getScaleAttrName(), getOperandSegmentSizesAttrName()});
  p << " : ";
  p.printFunctionalType(types, getOperation()->getResultTypes());
}

//===----------------------------------------------------------------------===//
// Masks and score rewrites
//===----------------------------------------------------------------------===//

bool attn::maskTakesSize(MaskKind kind) {
  return kind == MaskKind::sliding_window || kind == MaskKind::block_causal ||
         kind == MaskKind::compressed;
}
bool attn::maskTakesStride(MaskKind kind) {
  return kind == MaskKind::compressed;
}

LogicalResult MaskOp::verify() {
  bool wantsSize = maskTakesSize(getKind());
  bool wantsStride = maskTakesStride(getKind());
  StringRef kind = stringifyMaskKind(getKind());
  if (wantsSize != getSize().has_value())
    return emitOpError() << "mask '" << kind << "' "
                         << (wantsSize ? "needs a" : "takes no") << " size";
  if (wantsStride != getStride().has_value())
    return emitOpError() << "mask '" << kind << "' "
                         << (wantsStride ? "needs a" : "takes no") << " stride";
  if (getKind() == MaskKind::compressed &&
      failed(compressionCoversTokens(*this, *getSize(), *getStride(),
                                     "compressed ")))
    return failure();
  return lengthsMatchBatch(*this, getLengths(), getScores());
}

LogicalResult KeyMaskAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  MaskKind kind, int64_t size, int64_t stride) {
  StringRef name = stringifyMaskKind(kind);
  if (maskTakesSize(kind) != (size != 0))
    return emitError() << "mask '" << name << "' "
                       << (maskTakesSize(kind) ? "needs a" : "takes no")
                       << " size";
  if (maskTakesStride(kind) != (stride != 0))
    return emitError() << "mask '" << name << "' "
                       << (maskTakesStride(kind) ? "needs a" : "takes no")
                       << " stride";
  if (size < 0 || stride < 0)
    return emitError() << "mask '" << name << "' needs a positive size";
  if (stride > size)
    return emitError() << "compressed stride " << stride << " exceeds block "
                       << size << ": tokens between blocks would be dropped";
  return success();
}

LogicalResult BlockMaskOp::verify() {
  Value s = getScores(), idx = getIndices();
  if (failed(
          sameSize(*this, dimSize(idx, 0), dimSize(s, 0), "indices batch")) ||
      failed(sameSize(*this, dimSize(idx, 2), dimSize(s, 2),
                      "indices query length")))
    return failure();
  return divisibleHeads(*this, dimSize(s, 1), dimSize(idx, 1), "score",
                        "indices");
}

/// The body of a score mod (attn.score_mod's, attn.attention's): a scalar
/// function of the score of type `element` and its (batch, head, query, key)
/// indices, made of the ops every backend implements.
static LogicalResult verifyScoreModBody(Operation *op, Block &body,
                                        Type element) {
  auto index = IndexType::get(op->getContext());
  SmallVector<Type> expected = {element, index, index, index, index};
  if (body.getArgumentTypes() != ArrayRef<Type>(expected)) {
    auto diag = op->emitOpError("body must take (");
    llvm::interleaveComma(expected, diag);
    return diag << "): the score and its batch, head, query and key indices";
  }
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != element)
    return op->emitOpError() << "body must yield one " << element;
  // A tensor could never be turned back into the scalar that is yielded.
  auto scalar = [](Type t) { return t.isIntOrIndexOrFloat(); };
  for (Operation &inner : body.without_terminator())
    if (!ScoreModOps::contains(&inner) ||
        !llvm::all_of(inner.getOperandTypes(), scalar) ||
        !llvm::all_of(inner.getResultTypes(), scalar))
      return inner.emitOpError(
          "is not allowed in a score_mod body: it takes these ops on "
          "scalars: arith.constant, addf, subf, mulf, divf, negf, maximumf, "
          "minimumf, addi, subi, muli, index_cast, index_castui, sitofp, "
          "uitofp, extf, truncf, select, cmpf, cmpi; math.tanh, exp, exp2, "
          "log, log2, sqrt, rsqrt, absf, powf, sin, cos");
  return success();
}

LogicalResult ScoreModOp::verifyRegions() {
  return verifyScoreModBody(*this, getBody().front(),
                            getScores().getType().getElementType());
}

OpFoldResult FeatureMapOp::fold(FoldAdaptor) {
  if (getKind() == FeatureMapKind::identity)
    return getInput();
  return {};
}

LogicalResult DecayOp::verify() {
  Value s = getScores();
  auto gates = cast<RankedTensorType>(getGates().getType());
  LogicalResult shapeOk =
      gates.getRank() == 1
          ? shapeIs(*this, gates, {dimSize(s, 1)}, "gates vs scores", kHeadAxis)
          : shapeIs(*this, gates, {dimSize(s, 0), dimSize(s, 1), dimSize(s, 2)},
                    "gates vs scores");
  if (failed(shapeOk))
    return failure();
  return sameSize(*this, dimSize(s, 2), dimSize(s, 3),
                  "decayed scores are causal: query vs key length");
}

LogicalResult AggregateOp::verify() {
  Value w = getWeights(), v = getValues(), o = getOutput();
  if (failed(
          shapeIs(*this, o.getType(),
                  {dimSize(w, 0), dimSize(w, 1), dimSize(w, 2), dimSize(v, 3)},
                  "output")) ||
      failed(sameSize(*this, dimSize(v, 0),
                      mergeDimSizes(dimSize(w, 0), dimSize(o, 0)),
                      "values batch")) ||
      failed(sameSize(*this, dimSize(v, 2), dimSize(w, 3),
                      "values length vs keys")) ||
      failed(divisibleHeads(*this, mergeDimSizes(dimSize(w, 1), dimSize(o, 1)),
                            dimSize(v, 1), "weights", "values")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// The state form
//===----------------------------------------------------------------------===//

namespace {
/// Sizes of a recurrent computation (scan or chunked scan), merged from all
/// operands and results so that one dynamic size cannot hide a mismatch.
struct RecurrentShape {
  int64_t batch, heads, length, dk, dv;
};

FailureOr<RecurrentShape> verifyRecurrent(Operation *op, Value q, Value k,
                                          Value v, Value gates, Value init,
                                          Value output, Value finalState) {
  int64_t dk = dimSize(q, 3), dv = dimSize(v, 3);
  if (!known(dk) || !known(dv) || dk == 0 || dv == 0)
    return op->emitOpError("needs static, non-zero key and value head dims: "
                           "the state is Dk x Dv");
  int64_t batch = mergeDimSizes(dimSize(q, 0), dimSize(k, 0));
  int64_t length = mergeDimSizes(dimSize(q, 2), dimSize(k, 2));
  if (failed(sameSize(op, dimSize(k, 0), dimSize(q, 0), "key batch")) ||
      failed(sameSize(op, dimSize(v, 0), batch, "value batch")) ||
      failed(sameSize(op, dimSize(k, 2), dimSize(q, 2), "key length")) ||
      failed(sameSize(op, dimSize(v, 2), length, "value length")) ||
      failed(sameSize(op, dimSize(k, 3), dk, "key head dim")) ||
      failed(sameSize(op, dimSize(v, 1), dimSize(k, 1), "value heads")))
    return failure();
  if (failed(shapeIs(op, output.getType(), {batch, dimSize(q, 1), length, dv},
                     "output")))
    return failure();
  batch = mergeDimSizes(batch, dimSize(output, 0));
  int64_t heads = mergeDimSizes(dimSize(q, 1), dimSize(output, 1));
  length = mergeDimSizes(length, dimSize(output, 2));
  if (failed(divisibleHeads(op, heads,
                            mergeDimSizes(dimSize(k, 1), dimSize(v, 1)),
                            "query", "key")))
    return failure();
  SmallVector<int64_t> stateShape = {batch, heads, dk, dv};
  if (failed(shapeIs(op, finalState.getType(), stateShape, "final state",
                     kStateAxis)))
    return failure();
  if (init && failed(shapeIs(op, init.getType(), stateShape, "initial state",
                             kStateAxis)))
    return failure();
  if (gates) {
    auto gateType = cast<RankedTensorType>(gates.getType());
    SmallVector<int64_t> gateShape = {batch, heads, length, dk};
    gateShape.resize(gateType.getRank());
    LogicalResult shapeOk =
        gateType.getRank() == 1
            ? shapeIs(op, gateType, {heads}, "gates", kHeadAxis)
            : shapeIs(op, gateType, gateShape, "gates");
    if (failed(shapeOk))
      return failure();
  }
  return RecurrentShape{batch, heads, length, dk, dv};
}
} // namespace

LogicalResult ScanOp::verifyRegions() {
  Value q = getQuery(), k = getKey(), v = getValue();
  FailureOr<RecurrentShape> shape = verifyRecurrent(
      *this, q, k, v, getGates(), getInit(), getOutput(), getFinalState());
  if (failed(shape))
    return failure();
  int64_t dk = shape->dk, dv = shape->dv;
  Type finalState = getFinalState().getType();

  // The body carries the state in the final state's element type: the final
  // state is the last state it yields.
  Block &body = getBody().front();
  auto stateType =
      StateType::get(getContext(), dk, dv, getElementTypeOrSelf(finalState));
  if (body.getNumArguments() == 0 || body.getArgument(0).getType() != stateType)
    return emitOpError() << "body's first argument must be " << stateType
                         << ": the state, in the final state's element type";
  auto vec = [](int64_t n, Value of) -> Type {
    return RankedTensorType::get({n}, getElementTypeOrSelf(of.getType()));
  };
  SmallVector<Type> expected = {stateType, vec(dk, q), vec(dk, k), vec(dv, v)};
  if (Value gates = getGates()) {
    auto gateType = cast<RankedTensorType>(gates.getType());
    expected.push_back(gateType.getRank() == 4 ? vec(dk, gates)
                                               : gateType.getElementType());
  }
  if (body.getArgumentTypes() != ArrayRef<Type>(expected)) {
    auto diag = emitOpError("body must take (");
    llvm::interleaveComma(expected, diag);
    return diag << "): the state, q_t, k_t, v_t and the gate if any";
  }
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  Type outVec = vec(dv, getOutput());
  if (!yield || yield.getValues().size() != 2 ||
      yield.getValues()[0].getType() != stateType ||
      yield.getValues()[1].getType() != outVec)
    return emitOpError() << "body must yield (" << stateType << ", " << outVec
                         << "): the next state and o_t";
  return success();
}

LogicalResult ChunkedScanOp::verify() {
  FailureOr<RecurrentShape> shape =
      verifyRecurrent(*this, getQuery(), getKey(), getValue(), getGates(),
                      getInit(), getOutput(), getFinalState());
  if (failed(shape))
    return failure();
  if (!std::isfinite(getScale().convertToDouble()))
    return emitOpError("scale must be finite");
  if (getChunk() > kMaxChunk)
    return emitOpError() << "chunk must lie in [1, " << kMaxChunk
                         << "]: each chunk is a dense chunk x chunk block";
  Value states = getChunkStates();
  if (getMaterialized() != static_cast<bool>(states))
    return emitOpError("returns the per-chunk states exactly when "
                       "materialized");
  if (!states)
    return success();
  int64_t chunks = known(shape->length)
                       ? llvm::divideCeil(shape->length, getChunk())
                       : ShapedType::kDynamic;
  return shapeIs(*this, states.getType(),
                 {shape->batch, shape->heads, chunks, shape->dk, shape->dv},
                 "chunk states", kChunkStateAxis);
}

LogicalResult StateDecayOp::verify() {
  auto state = cast<StateType>(getState().getType());
  if (auto vec = dyn_cast<RankedTensorType>(getGate().getType()))
    return sameSize(*this, vec.getDimSize(0), state.getKeyDim(),
                    "per-key gate vs state key dim");
  return success();
}

LogicalResult StateUpdateOp::verify() {
  auto state = cast<StateType>(getState().getType());
  if (failed(sameSize(*this, dimSize(getKey(), 0), state.getKeyDim(),
                      "key vs state key dim")))
    return failure();
  return sameSize(*this, dimSize(getValue(), 0), state.getValueDim(),
                  "value vs state value dim");
}

LogicalResult StateReadOp::verify() {
  auto state = cast<StateType>(getState().getType());
  if (failed(sameSize(*this, dimSize(getQuery(), 0), state.getKeyDim(),
                      "query vs state key dim")))
    return failure();
  if (auto scale = getScale())
    if (!scale->isFinite())
      return emitOpError("scale must be finite");
  return sameSize(*this, dimSize(getOutput(), 0), state.getValueDim(),
                  "output vs state value dim");
}

//===----------------------------------------------------------------------===//
// NSA
//===----------------------------------------------------------------------===//

int64_t CompressOp::getNumBlocks(int64_t length, int64_t block,
                                 int64_t stride) {
  return length < block ? 0 : (length - block) / stride + 1;
}

LogicalResult CompressOp::verify() {
  int64_t block = getBlock(), stride = getStride();
  Value x = getInput();
  if (failed(compressionCoversTokens(*this, block, stride, "")))
    return failure();
  int64_t d = dimSize(x, 3);
  int64_t blocks = known(dimSize(x, 2))
                       ? getNumBlocks(dimSize(x, 2), block, stride)
                       : ShapedType::kDynamic;
  if (failed(shapeIs(*this, getResult().getType(),
                     {dimSize(x, 0), dimSize(x, 1), blocks, d}, "result")))
    return failure();
  return verifyPoolingWeights(*this, getPooling(), getWeights(), block, d, "");
}

LogicalResult SelectBlocksOp::verify() {
  Value p = getProbs();
  Type idx = getIndices().getType();
  if (failed(compressionCoversTokens(*this, getCompressBlock(),
                                     getCompressStride(), "compressed ")) ||
      failed(forcedBlocksFit(*this, getInitial(), getLocal(), getTop())))
    return failure();
  // The groups cannot be inferred from the probabilities' heads.
  if (!known(dimSize(idx, 1)))
    return emitOpError("result needs a static number of head groups");
  // A dynamic size is free, as everywhere: the interpreter checks it.
  if (known(dimSize(idx, 3)) &&
      dimSize(idx, 3) != static_cast<int64_t>(getTop()))
    return emitOpError() << "result must hold top = " << getTop()
                         << " indices per query";
  if (failed(
          sameSize(*this, dimSize(idx, 0), dimSize(p, 0), "indices batch")) ||
      failed(sameSize(*this, dimSize(idx, 2), dimSize(p, 2),
                      "indices query length")))
    return failure();
  return divisibleHeads(*this, dimSize(p, 1), dimSize(idx, 1), "probs",
                        "indices");
}

LogicalResult GateCombineOp::verify() {
  auto branches = getBranches();
  if (branches.empty())
    return emitOpError("needs at least one branch");
  for (Value b : branches)
    if (b.getType() != getOutput().getType())
      return emitOpError() << "branch type " << b.getType()
                           << " differs from the output type";
  Value o = getOutput();
  return shapeIs(*this, getGates().getType(),
                 {dimSize(o, 0), dimSize(o, 1), dimSize(o, 2),
                  static_cast<int64_t>(branches.size())},
                 "gates (one per branch)");
}

namespace {
// attn.nsa's branches by their NsaOp::Branch number.
constexpr llvm::StringLiteral kNsaBranches[] = {"compressed", "selected",
                                                "window"};
} // namespace

/// `(compressed, selected, window)`: the branch names in the gates' column
/// order, stored as each branch's column.
static ParseResult parseGateColumns(OpAsmParser &parser,
                                    DenseI64ArrayAttr &columns) {
  SmallVector<int64_t> column(std::size(kNsaBranches), -1);
  int64_t next = 0;
  auto parseBranch = [&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    StringRef name;
    if (parser.parseKeyword(&name))
      return failure();
    const auto *found = llvm::find(kNsaBranches, name);
    if (found == std::end(kNsaBranches))
      return parser.emitError(loc) << "unknown NSA branch '" << name
                                   << "': expected compressed, selected or "
                                      "window";
    int64_t &slot = column[found - std::begin(kNsaBranches)];
    if (slot >= 0)
      return parser.emitError(loc)
             << "NSA branch '" << name << "' has two gate columns";
    slot = next++;
    return success();
  };
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Paren, parseBranch,
                                     "in the gate columns"))
    return failure();
  if (llvm::is_contained(column, -1))
    return parser.emitError(loc, "the gate columns must name all three NSA "
                                 "branches");
  columns = parser.getBuilder().getDenseI64ArrayAttr(column);
  return success();
}

static void printGateColumns(OpAsmPrinter &p, Operation *,
                             DenseI64ArrayAttr columns) {
  // An op that failed to verify is printed too (in diagnostics): a column no
  // branch claims prints as `?`.
  SmallVector<StringRef> names(columns.size(), "?");
  for (auto [branch, column] : llvm::enumerate(columns.asArrayRef()))
    if (branch < std::size(kNsaBranches) && column >= 0 &&
        column < static_cast<int64_t>(names.size()))
      names[column] = kNsaBranches[branch];
  p << "(";
  llvm::interleaveComma(names, p);
  p << ")";
}

LogicalResult NsaOp::verify() {
  Value q = getQuery(), k = getKey(), v = getValue(), o = getOutput();
  // Each operand against what the ones before it fix, so that one dynamic
  // size cannot hide two static sizes that differ.
  int64_t batch = dimSize(q, 0), heads = dimSize(q, 1), length = dimSize(q, 2);
  if (failed(sameSize(*this, dimSize(k, 0), batch, "key batch")) ||
      failed(sameSize(*this, dimSize(k, 2), length,
                      "self-attention: key length vs query length")) ||
      failed(sameSize(*this, dimSize(k, 3), dimSize(q, 3),
                      "key head dim vs query head dim")))
    return failure();
  batch = mergeDimSizes(batch, dimSize(k, 0));
  length = mergeDimSizes(length, dimSize(k, 2));
  if (failed(shapeIs(*this, v.getType(), {batch, dimSize(k, 1), length},
                     "value vs key")))
    return failure();
  batch = mergeDimSizes(batch, dimSize(v, 0));
  length = mergeDimSizes(length, dimSize(v, 2));
  int64_t kvHeads = mergeDimSizes(dimSize(k, 1), dimSize(v, 1));
  if (failed(shapeIs(*this, o.getType(), {batch, heads, length, dimSize(v, 3)},
                     "output")))
    return failure();
  batch = mergeDimSizes(batch, dimSize(o, 0));
  heads = mergeDimSizes(heads, dimSize(o, 1));
  length = mergeDimSizes(length, dimSize(o, 2));
  Value gates = getGates();
  if (failed(shapeIs(
          *this, gates.getType(),
          {batch, heads, length, static_cast<int64_t>(std::size(kNsaBranches))},
          "gates (one per branch)")) ||
      failed(divisibleHeads(*this, mergeDimSizes(heads, dimSize(gates, 1)),
                            kvHeads, "query", "key")))
    return failure();

  ArrayRef<int64_t> columns = getGateColumns();
  SmallVector<int64_t> sorted(columns);
  llvm::sort(sorted);
  if (sorted != ArrayRef<int64_t>{0, 1, 2}) {
    auto diag = emitOpError("gate columns [");
    llvm::interleaveComma(columns, diag);
    return diag << "] must give each of the three branches its own column";
  }

  int64_t block = getCompressBlock(), stride = getCompressStride();
  if (failed(compressionCoversTokens(*this, block, stride, "compressed ")) ||
      failed(forcedBlocksFit(*this, getInitial(), getLocal(), getTop())))
    return failure();
  // Selection blocks then start on compressed-block starts: each one's score
  // sums the same run of compressed blocks, which a kernel can slide.
  if (getSelectBlock() % stride != 0)
    return emitOpError() << "selection block " << getSelectBlock()
                         << " is not a multiple of the compression stride "
                         << stride;
  double scale = getScale().convertToDouble();
  if (!std::isfinite(scale) || scale <= 0)
    return emitOpError("scale must be finite and positive");
  if (failed(verifyPoolingWeights(*this, getPooling(), getKeyWeights(), block,
                                  dimSize(k, 3), "key")))
    return failure();
  return verifyPoolingWeights(*this, getPooling(), getValueWeights(), block,
                              dimSize(v, 3), "value");
}

//===----------------------------------------------------------------------===//
// MLA and DSA
//===----------------------------------------------------------------------===//

LogicalResult ProjectOp::verify() {
  Value x = getInput(), w = getWeight();
  int64_t din = dimSize(w, getTransposed() ? 2 : 1);
  int64_t dout = dimSize(w, getTransposed() ? 1 : 2);
  if (failed(sameSize(*this, din, dimSize(x, 3), "weight input dim")) ||
      failed(divisibleHeads(
          *this, mergeDimSizes(dimSize(w, 0), dimSize(getResult(), 1)),
          dimSize(x, 1), "weight", "input")))
    return failure();
  return shapeIs(*this, getResult().getType(),
                 {dimSize(x, 0), dimSize(w, 0), dimSize(x, 2), dout}, "result");
}

LogicalResult RopeOp::verify() {
  int64_t d = dimSize(getInput(), 3);
  if (!known(d) || d % 2 != 0)
    return emitOpError("needs a static, even head dim to rotate in pairs");
  // Also rejects NaN, which compares false with everything.
  double theta = getTheta().convertToDouble();
  if (!std::isfinite(theta) || theta <= 0)
    return emitOpError("theta must be finite and positive");
  return lengthsMatchBatch(*this, getLengths(), getInput());
}

LogicalResult IndexScoreOp::verify() {
  Value q = getQuery(), k = getKey(), w = getWeights();
  // The one key head is part of the op's form, so it must be static.
  if (dimSize(k, 1) != 1)
    return emitOpError("indexer keys must have one head");
  int64_t batch =
      mergeDimSizes(mergeDimSizes(dimSize(q, 0), dimSize(k, 0)), dimSize(w, 0));
  int64_t length = mergeDimSizes(dimSize(q, 2), dimSize(w, 2));
  if (failed(sameSize(*this, dimSize(k, 0), dimSize(q, 0), "key batch")) ||
      failed(
          sameSize(*this, dimSize(k, 3), dimSize(q, 3), "indexer head dim")) ||
      failed(shapeIs(*this, w.getType(), {batch, dimSize(q, 1), dimSize(q, 2)},
                     "weights vs query")))
    return failure();
  return shapeIs(*this, getScores().getType(),
                 {batch, 1, length, dimSize(k, 2)}, "scores");
}

LogicalResult SelectTokensOp::verify() {
  Value s = getScores();
  // A dynamic size is free, as everywhere: the interpreter checks it.
  int64_t n = dimSize(getIndices(), 3);
  if (known(n) && n != static_cast<int64_t>(getTop()))
    return emitOpError() << "result must hold top = " << getTop()
                         << " indices per query";
  return shapeIs(*this, getIndices().getType(),
                 {dimSize(s, 0), dimSize(s, 1), dimSize(s, 2)}, "indices");
}

LogicalResult PagedCacheOp::verify() {
  Value pages = getPages(), table = getTable();
  if (getElementTypeOrSelf(pages.getType()) !=
      getElementTypeOrSelf(getCache().getType()))
    return emitOpError("cache elements must be the pages' elements");
  int64_t m = dimSize(table, 1), p = dimSize(pages, 1);
  int64_t slots = known(m) && known(p) ? m * p : ShapedType::kDynamic;
  return shapeIs(
      *this, getCache().getType(),
      {dimSize(table, 0), dimSize(pages, 2), slots, dimSize(pages, 3)},
      "cache");
}

//===----------------------------------------------------------------------===//
// Fused softmax attention
//===----------------------------------------------------------------------===//

LogicalResult LogSumExpOp::verify() {
  Value s = getScores();
  return shapeIs(*this, getResult().getType(),
                 {dimSize(s, 0), dimSize(s, 1), dimSize(s, 2)}, "result");
}

/// `masks(causal, sliding_window(512))`: each mask as attn.mask writes it.
static ParseResult parseKeyMasks(OpAsmParser &parser, ArrayAttr &masks) {
  SmallVector<Attribute> parsed;
  auto parseOne = [&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return failure();
    std::optional<MaskKind> kind = symbolizeMaskKind(keyword);
    if (!kind)
      return parser.emitError(loc, "unknown mask '") << keyword << "'";
    int64_t size = 0, stride = 0;
    if (succeeded(parser.parseOptionalLParen())) {
      if (parser.parseInteger(size) ||
          (succeeded(parser.parseOptionalComma()) &&
           parser.parseInteger(stride)) ||
          parser.parseRParen())
        return failure();
    }
    auto mask =
        KeyMaskAttr::getChecked([&] { return parser.emitError(loc); },
                                parser.getContext(), *kind, size, stride);
    if (!mask)
      return failure();
    parsed.push_back(mask);
    return success();
  };
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Paren, parseOne))
    return failure();
  masks = parser.getBuilder().getArrayAttr(parsed);
  return success();
}

ParseResult AttentionOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand> written;
  if (parseScorePairs(parser, written))
    return failure();
  int32_t numPairs = written.size() / 2;
  OpAsmParser::UnresolvedOperand value;
  if (parser.parseComma() || parser.parseOperand(value))
    return failure();
  written.push_back(value);
  Properties &props = result.getOrAddProperties<Properties>();
  Builder &builder = parser.getBuilder();
  double scale;
  if (parser.parseKeyword("scale") || parser.parseFloat(scale))
    return failure();
  props.scale = builder.getF64FloatAttr(scale);
  props.masks = builder.getArrayAttr({});
  if (succeeded(parser.parseOptionalKeyword("masks")) &&
      parseKeyMasks(parser, props.masks))
    return failure();
  bool hasLengths = succeeded(parser.parseOptionalKeyword("lengths"));
  if (hasLengths) {
    OpAsmParser::UnresolvedOperand lengths;
    if (parser.parseOperand(lengths))
      return failure();
    written.push_back(lengths);
  }
  bool hasIndices = succeeded(parser.parseOptionalKeyword("select"));
  if (hasIndices) {
    OpAsmParser::UnresolvedOperand indices;
    int64_t block;
    if (parser.parseOperand(indices) || parser.parseKeyword("block") ||
        parser.parseInteger(block))
      return failure();
    written.push_back(indices);
    props.block = builder.getI64IntegerAttr(block);
  }
  props.operandSegmentSizes = {numPairs, numPairs, 1, hasLengths ? 1 : 0,
                               hasIndices ? 1 : 0};
  Region *body = result.addRegion();
  if (succeeded(parser.parseOptionalKeyword("score_mod")) &&
      parser.parseRegion(*body, /*arguments=*/{}))
    return failure();
  FailureOr<FunctionType> type =
      parseTail(parser, result, written.size(), 2,
                "two result types (output, log-sum-exp)");
  if (failed(type))
    return failure();
  // Types are written in operand order (q0, k0, q1, k1, ..., v, ...);
  // operands are stored as all queries, then all keys, then the rest.
  if (resolveScorePairs(parser, written, numPairs, type->getInputs(),
                        result.operands))
    return failure();
  for (size_t i = 2 * numPairs; i < written.size(); ++i)
    if (parser.resolveOperand(written[i], type->getInput(i), result.operands))
      return failure();
  result.addTypes(type->getResults());
  return success();
}

void AttentionOp::print(OpAsmPrinter &p) {
  SmallVector<Type> types;
  printScorePairs(p, getQueries(), getKeys(), types);
  p << ", " << getValues() << " scale ";
  types.push_back(getValues().getType());
  p.printFloat(getScaleAttr().getValue());
  if (!getMasks().empty()) {
    p << " masks(";
    llvm::interleaveComma(getKeyMasks(), p, [&](KeyMaskAttr mask) {
      p << stringifyMaskKind(mask.getKind());
      if (maskTakesSize(mask.getKind())) {
        p << "(" << mask.getSize();
        if (maskTakesStride(mask.getKind()))
          p << ", " << mask.getStride();
        p << ")";
      }
    });
    p << ")";
  }
  if (Value lengths = getLengths()) {
    p << " lengths " << lengths;
    types.push_back(lengths.getType());
  }
  if (Value indices = getIndices()) {
    p << " select " << indices << " block " << getBlock().value_or(0);
    types.push_back(indices.getType());
  }
  if (!getScoreMod().empty()) {
    p << " score_mod ";
    p.printRegion(getScoreMod(), /*printEntryBlockArgs=*/true);
  }
  p.printOptionalAttrDict((*this)->getAttrs(),
                          {getScaleAttrName(), getMasksAttrName(),
                           getBlockAttrName(),
                           getOperandSegmentSizesAttrName()});
  p << " : ";
  p.printFunctionalType(types, getOperation()->getResultTypes());
}

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  Value out = getOutput(), v = getValues();
  ScoreSizes sizes{dimSize(out, 0), dimSize(out, 1), dimSize(out, 2),
                   dimSize(v, 2)};
  if (failed(verifyScorePairs(op, getQueries(), getKeys(), sizes)))
    return failure();
  int64_t batch = sizes.batch, heads = sizes.heads, length = sizes.length;
  if (failed(sameSize(op, dimSize(v, 0), batch, "values batch")) ||
      failed(sameSize(op, dimSize(out, 3), dimSize(v, 3), "output head dim")) ||
      failed(divisibleHeads(op, heads, dimSize(v, 1), "query", "value")) ||
      failed(shapeIs(op, getLse().getType(), {batch, heads, length},
                     "log-sum-exp")) ||
      failed(verifyScale(op, getScaleAttr().getValue())))
    return failure();
  if (Value lengths = getLengths();
      lengths &&
      failed(sameSize(op, dimSize(lengths, 0), batch, "lengths vs batch")))
    return failure();
  if (bool(getIndices()) != getBlock().has_value())
    return emitOpError("takes a block size exactly with selected blocks");
  if (Value idx = getIndices())
    if (failed(sameSize(op, dimSize(idx, 0), batch, "indices batch")) ||
        failed(sameSize(op, dimSize(idx, 2), length, "indices query length")) ||
        failed(divisibleHeads(op, heads, dimSize(idx, 1), "query", "indices")))
      return failure();
  return success();
}

LogicalResult AttentionOp::verifyRegions() {
  Block *body = getScoreModBody();
  if (!body)
    return success();
  auto element = dyn_cast<FloatType>(
      body->getNumArguments() ? body->getArgument(0).getType() : Type());
  if (!element)
    return emitOpError("score_mod body must take a float score first");
  return verifyScoreModBody(*this, *body, element);
}

SmallVector<Value, 2> AttentionOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  auto out = cast<RankedTensorType>(getOutput().getType());
  int64_t keyLength = dimSize(getValues(), 2);
  for (Value k : getKeys())
    keyLength = mergeDimSizes(keyLength, dimSize(k, 2));
  Block *body = getScoreModBody();
  // The scores carry the score mod's type; without one, f32 as the kernels.
  Type element = body ? body->getArgument(0).getType() : builder.getF32Type();
  auto scoreType = RankedTensorType::get(
      {out.getDimSize(0), out.getDimSize(1), out.getDimSize(2), keyLength},
      element);
  Value scores =
      ScoreOp::create(builder, loc, scoreType, getQueries(), getKeys(),
                      /*gate=*/Value(), getScaleAttr());
  for (KeyMaskAttr mask : getKeyMasks()) {
    auto optional = [&](bool present, int64_t value) {
      return present ? builder.getI64IntegerAttr(value) : IntegerAttr();
    };
    scores = MaskOp::create(
        builder, loc, scoreType, scores,
        MaskKindAttr::get(getContext(), mask.getKind()),
        optional(maskTakesSize(mask.getKind()), mask.getSize()),
        optional(maskTakesStride(mask.getKind()), mask.getStride()),
        getLengths());
  }
  if (Value indices = getIndices())
    scores = BlockMaskOp::create(builder, loc, scoreType, scores, indices,
                                 builder.getI64IntegerAttr(*getBlock()));
  if (body) {
    auto mod = ScoreModOp::create(builder, loc, scoreType, scores);
    IRMapping mapping;
    getScoreMod().cloneInto(&mod.getBody(), mapping);
    scores = mod;
  }
  Value weights = SoftmaxOp::create(builder, loc, scores);
  Value output = AggregateOp::create(builder, loc, out, weights, getValues());
  Value lse = LogSumExpOp::create(builder, loc, getLse().getType(), scores);
  return {output, lse};
}

#define GET_OP_CLASSES
#include "Attn/AttnOps.cpp.inc"
