//===- AttnDialect.cpp - attn dialect registration and types -------------===//

#include "Attn/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;

#include "Attn/AttnDialect.cpp.inc"
#include "Attn/AttnEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "Attn/AttnTypes.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Attn/AttnOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "Attn/AttnTypes.cpp.inc"
      >();
}

// `!attn.state<64x64xf32>` reads like a shaped type, so it is parsed as one.
Type StateType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> dims;
  Type elementType;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false) ||
      parser.parseType(elementType) || parser.parseGreater())
    return {};
  if (dims.size() != 2) {
    parser.emitError(loc, "state must be a Dk x Dv matrix, got ")
        << dims.size() << " dimensions";
    return {};
  }
  return parser.getChecked<StateType>(loc, parser.getContext(), dims[0],
                                      dims[1], elementType);
}

void StateType::print(AsmPrinter &printer) const {
  printer << '<' << getKeyDim() << 'x' << getValueDim() << 'x'
          << getElementType() << '>';
}

LogicalResult StateType::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t keyDim, int64_t valueDim,
                                Type elementType) {
  if (keyDim <= 0 || valueDim <= 0)
    return emitError() << "state dimensions must be positive, got " << keyDim
                       << "x" << valueDim;
  if (!isa<FloatType>(elementType))
    return emitError() << "state element type must be a float, got "
                       << elementType;
  return success();
}
