//===- AttnOps.h - attn dialect ---------------------------------*- C++ -*-===//

#ifndef ATTN_ATTNOPS_H
#define ATTN_ATTNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Attn/AttnDialect.h.inc"
#include "Attn/AttnEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "Attn/AttnTypes.h.inc"

#define GET_OP_CLASSES
#include "Attn/AttnOps.h.inc"

namespace attn {
/// Extent `i` of a shaped value or type; ShapedType::kDynamic when unknown.
int64_t dimSize(mlir::Value value, unsigned i);
int64_t dimSize(mlir::Type type, unsigned i);

/// The static one of two extents that must agree, else dynamic. Checking a
/// third extent against the merge keeps a dynamic one in the middle from
/// hiding two static extents that differ.
int64_t mergeDimSizes(int64_t a, int64_t b);
} // namespace attn

#endif // ATTN_ATTNOPS_H
