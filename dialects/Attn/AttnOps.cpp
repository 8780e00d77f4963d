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
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

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
  Operation *op = getOperation();
  if (getQueries().empty() || getQueries().size() != getKeys().size())
    return emitOpError("needs as many keys as queries, and at least one pair");
  // [B, Hq, T, S] as known so far: from the result, then from each pair, so
  // that a dynamic result does not hide two pairs that disagree.
  Type result = getScores().getType();
  int64_t batch = dimSize(result, 0), heads = dimSize(result, 1),
          length = dimSize(result, 2), keyLength = dimSize(result, 3);
  int64_t depth = 0;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getQueries(), getKeys()))) {
    auto [q, k] = pair;
    std::string part = "pair " + std::to_string(i);
    if (failed(shapeIs(op, q.getType(), {batch, heads, length},
                       part + " query")) ||
        failed(sameSize(op, dimSize(k, 0), mergeDimSizes(batch, dimSize(q, 0)),
                        part + " key batch")) ||
        failed(sameSize(op, dimSize(k, 2), keyLength, part + " key length")) ||
        failed(
            sameSize(op, dimSize(k, 3), dimSize(q, 3), part + " head dim")) ||
        failed(divisibleHeads(op, mergeDimSizes(heads, dimSize(q, 1)),
                              dimSize(k, 1), part + " query", part + " key")))
      return failure();
    batch = mergeDimSizes(mergeDimSizes(batch, dimSize(q, 0)), dimSize(k, 0));
    heads = mergeDimSizes(heads, dimSize(q, 1));
    length = mergeDimSizes(length, dimSize(q, 2));
    keyLength = mergeDimSizes(keyLength, dimSize(k, 2));
    int64_t d = mergeDimSizes(dimSize(q, 3), dimSize(k, 3));
    if (!getScale() && !known(d))
      return emitOpError("needs a static head dim or an explicit scale");
    depth += known(d) ? d : 0;
  }
  // The default scale 1/sqrt(Dk) would be infinite.
  if (!getScale() && depth == 0)
    return emitOpError("needs a non-zero head dim or an explicit scale");
  if (auto scale = getScale())
    if (!std::isfinite(scale->convertToDouble()) ||
        scale->convertToDouble() <= 0)
      return emitOpError("scale must be finite and positive");
  if (Value gate = getGate()) {
    if (getQueries().size() != 1)
      return emitOpError("per-key decay needs a single query-key pair");
    Value q = getQueries()[0], k = getKeys()[0];
    if (failed(shapeIs(
            op, gate.getType(),
            {batch, heads, length, mergeDimSizes(dimSize(q, 3), dimSize(k, 3))},
            "decay gate vs query")) ||
        failed(sameSize(op, length, keyLength,
                        "decayed scores are causal: query vs key length")))
      return failure();
  }
  return success();
}

ParseResult ScoreOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand> written;
  do {
    OpAsmParser::UnresolvedOperand q, k;
    if (parser.parseOperand(q) || parser.parseComma() || parser.parseOperand(k))
      return failure();
    written.append({q, k});
  } while (succeeded(parser.parseOptionalPlus()));
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

  SMLoc attrLoc = parser.getCurrentLocation();
  if (parser.parseOptionalAttrDict(result.attributes))
    return failure();
  // As the generated parsers do: an inherent attribute of the wrong kind in
  // the dictionary (`{scale = 2 : i32}`) would otherwise be dropped silently.
  if (failed(verifyInherentAttrs(result.name, result.attributes,
                                 [&]() { return parser.emitError(attrLoc); })))
    return failure();
  FunctionType type;
  SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseColon() || parser.parseType(type))
    return failure();
  if (type.getNumInputs() != written.size() || type.getNumResults() != 1)
    return parser.emitError(typeLoc, "expected ")
           << written.size() << " operand types and one result type";
  // Types are written in operand order (q0, k0, q1, k1, ..., gate); operands
  // are stored as all queries, then all keys, then the gate.
  for (int32_t i = 0; i < numPairs; ++i)
    if (parser.resolveOperand(written[2 * i], type.getInput(2 * i),
                              result.operands))
      return failure();
  for (int32_t i = 0; i < numPairs; ++i)
    if (parser.resolveOperand(written[2 * i + 1], type.getInput(2 * i + 1),
                              result.operands))
      return failure();
  if (hasGate && parser.resolveOperand(written.back(), type.getInputs().back(),
                                       result.operands))
    return failure();
  result.addTypes(type.getResults());
  return success();
}

void ScoreOp::print(OpAsmPrinter &p) {
  SmallVector<Type> types;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getQueries(), getKeys()))) {
    auto [q, k] = pair;
    p << (i ? " + " : " ") << q << ", " << k;
    types.append({q.getType(), k.getType()});
  }
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

LogicalResult MaskOp::verify() {
  bool wantsSize = getKind() == MaskKind::sliding_window ||
                   getKind() == MaskKind::block_causal ||
                   getKind() == MaskKind::compressed;
  bool wantsStride = getKind() == MaskKind::compressed;
  StringRef kind = stringifyMaskKind(getKind());
  if (wantsSize != getSize().has_value())
    return emitOpError() << "mask '" << kind << "' "
                         << (wantsSize ? "needs a" : "takes no") << " size";
  if (wantsStride != getStride().has_value())
    return emitOpError() << "mask '" << kind << "' "
                         << (wantsStride ? "needs a" : "takes no") << " stride";
  // attn.compress makes no such blocks, so such keys cannot exist.
  if (getKind() == MaskKind::compressed && *getStride() > *getSize())
    return emitOpError() << "compressed stride " << *getStride()
                         << " exceeds block " << *getSize()
                         << ": tokens between blocks would be dropped";
  return lengthsMatchBatch(*this, getLengths(), getScores());
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

LogicalResult ScoreModOp::verifyRegions() {
  Block &body = getBody().front();
  Type element = getScores().getType().getElementType();
  auto index = IndexType::get(getContext());
  SmallVector<Type> expected = {element, index, index, index, index};
  if (body.getArgumentTypes() != ArrayRef<Type>(expected)) {
    auto diag = emitOpError("body must take (");
    llvm::interleaveComma(expected, diag);
    return diag << "): the score and its batch, head, query and key indices";
  }
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != element)
    return emitOpError() << "body must yield one " << element;
  // The body is a scalar function. An unregistered op has no dialect; a
  // tensor could never be turned back into the scalar that is yielded.
  auto scalar = [](Type t) { return t.isIntOrIndexOrFloat(); };
  for (Operation &inner : body.without_terminator())
    if (!isa_and_present<arith::ArithDialect, math::MathDialect>(
            inner.getDialect()) ||
        !llvm::all_of(inner.getOperandTypes(), scalar) ||
        !llvm::all_of(inner.getResultTypes(), scalar))
      return inner.emitOpError("is not allowed in a score_mod body: only "
                               "arith and math ops on scalars are");
  return success();
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
  if (stride > block)
    return emitOpError() << "stride " << stride << " exceeds block " << block
                         << ": tokens between blocks would be dropped";
  int64_t d = dimSize(x, 3);
  int64_t blocks = known(dimSize(x, 2))
                       ? getNumBlocks(dimSize(x, 2), block, stride)
                       : ShapedType::kDynamic;
  if (failed(shapeIs(*this, getResult().getType(),
                     {dimSize(x, 0), dimSize(x, 1), blocks, d}, "result")))
    return failure();
  auto weights = getWeights();
  if (getPooling() == PoolingKind::mean) {
    if (!weights.empty())
      return emitOpError("mean pooling takes no weights");
    return success();
  }
  if (weights.size() != 3)
    return emitOpError("mlp pooling needs three weights: the position "
                       "encoding [block, D], W1 [block*D, hidden] and W2 "
                       "[hidden, D]");
  int64_t hidden = dimSize(weights[1], 1);
  int64_t flat = ShapedType::kDynamic;
  if (known(d) && llvm::MulOverflow(block, d, flat))
    return emitOpError("block * head dim overflows");
  if (failed(shapeIs(*this, weights[0].getType(), {block, d},
                     "position encoding")) ||
      failed(shapeIs(*this, weights[1].getType(), {flat, hidden}, "W1")) ||
      failed(shapeIs(*this, weights[2].getType(), {hidden, d}, "W2")))
    return failure();
  return success();
}

LogicalResult SelectBlocksOp::verify() {
  Value p = getProbs();
  Type idx = getIndices().getType();
  // As in attn.compress and attn.mask: such compressed blocks cannot exist.
  if (getCompressStride() > getCompressBlock())
    return emitOpError() << "compressed stride " << getCompressStride()
                         << " exceeds block " << getCompressBlock()
                         << ": tokens between blocks would be dropped";
  if (getInitial() + getLocal() > getTop())
    return emitOpError() << "keeps " << getInitial() << " initial and "
                         << getLocal() << " local blocks, more than top "
                         << getTop();
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

#define GET_OP_CLASSES
#include "Attn/AttnOps.cpp.inc"
