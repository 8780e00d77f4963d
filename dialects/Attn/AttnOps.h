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

#endif // ATTN_ATTNOPS_H
