//===- AttnDialect.cpp - attn dialect registration and types -------------===//

#include "Attn/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;

#include "Attn/AttnDialect.cpp.inc"
#include "Attn/AttnEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "Attn/AttnTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Attn/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Attn/AttnOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "Attn/AttnTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Attn/AttnAttrs.cpp.inc"
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

// `attn.dims = "B,Hq,T,Dk"` names each dimension of a tensor argument, so the
// tools can size dynamic ones by name; a wrong count is an error at the
// argument.
LogicalResult AttnDialect::verifyRegionArgAttribute(Operation *op,
                                                    unsigned regionIndex,
                                                    unsigned argIndex,
                                                    NamedAttribute attribute) {
  Region &region = op->getRegion(regionIndex);
  // The entry block may hold fewer arguments than the function type (a
  // generic-form function whose body disagrees with its signature, which
  // the function's own verifier reports): then the error points at the op.
  BlockArgument argument;
  if (!region.empty() && argIndex < region.getNumArguments())
    argument = region.getArgument(argIndex);
  Location loc = argument ? argument.getLoc() : op->getLoc();
  if (attribute.getName() != "attn.dims")
    return emitError(loc) << "unknown argument attribute '"
                          << attribute.getName().getValue()
                          << "'; attn takes attn.dims";
  auto names = dyn_cast<StringAttr>(attribute.getValue());
  if (!names)
    return emitError(loc) << "attn.dims must be a string such as "
                             "\"B,Hq,T,Dk\"";
  Type type;
  if (auto function = dyn_cast<FunctionOpInterface>(op);
      function && regionIndex == 0 && argIndex < function.getNumArguments())
    type = function.getArgumentTypes()[argIndex];
  else if (argument)
    type = argument.getType();
  auto shaped = dyn_cast_or_null<RankedTensorType>(type);
  SmallVector<StringRef> parts;
  llvm::SplitString(names.getValue(), parts, ", ");
  if (!shaped)
    return emitError(loc) << "attn.dims names the dimensions of a ranked "
                             "tensor, not of "
                          << type;
  if (parts.size() != size_t(shaped.getRank()))
    return emitError(loc) << "attn.dims \"" << names.getValue() << "\" names "
                          << parts.size() << " dimensions of a rank-"
                          << shaped.getRank() << " tensor";
  return success();
}
