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

#define GET_ATTRDEF_CLASSES
#include "Attn/AttnAttrs.h.inc"

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

/// The scalar ops a score_mod body may hold. The verifier accepts exactly
/// these, and the interpreter and every backend implement each one, so a
/// program that verifies never fails late for an op a backend lacks.
template <typename... Ops> struct OpList {
  static bool contains(mlir::Operation *op) { return mlir::isa<Ops...>(op); }
  static constexpr size_t size = sizeof...(Ops);
};
using ScoreModOps =
    OpList<mlir::arith::ConstantOp, mlir::arith::AddFOp, mlir::arith::SubFOp,
           mlir::arith::MulFOp, mlir::arith::DivFOp, mlir::arith::NegFOp,
           mlir::arith::MaximumFOp, mlir::arith::MinimumFOp,
           mlir::arith::AddIOp, mlir::arith::SubIOp, mlir::arith::MulIOp,
           mlir::arith::IndexCastOp, mlir::arith::IndexCastUIOp,
           mlir::arith::SIToFPOp, mlir::arith::UIToFPOp, mlir::arith::ExtFOp,
           mlir::arith::TruncFOp, mlir::arith::SelectOp, mlir::arith::CmpFOp,
           mlir::arith::CmpIOp, mlir::math::TanhOp, mlir::math::ExpOp,
           mlir::math::Exp2Op, mlir::math::LogOp, mlir::math::Log2Op,
           mlir::math::SqrtOp, mlir::math::RsqrtOp, mlir::math::AbsFOp,
           mlir::math::PowFOp, mlir::math::SinOp, mlir::math::CosOp>;

/// Whether a mask of `kind` takes a size and a stride (sliding_window(w),
/// block_causal(n), compressed(l, d)).
bool maskTakesSize(MaskKind kind);
bool maskTakesStride(MaskKind kind);

/// The largest chunk of attn.chunked_scan: each chunk is a dense
/// chunk x chunk block.
constexpr int64_t kMaxChunk = 4096;
} // namespace attn

#endif // ATTN_ATTNOPS_H
