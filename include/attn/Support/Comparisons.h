//===- Comparisons.h - arith comparisons for the backends ------*- C++ -*-===//
//
// The generated code's comparison operators are not MLIR's predicates: C's
// <, >, == are false on NaN, and they compare integers as signed. These
// decompose a predicate into what the backends can build, so that CUDA and
// the CPU agree with the interpreter (arith::applyCmpPredicate).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_COMPARISONS_H
#define ATTN_SUPPORT_COMPARISONS_H

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace attn {

/// The relations between two ordered operands that a predicate accepts.
struct Relations {
  bool less, equal, greater;
};

/// A float predicate: the relations it accepts between ordered operands and
/// its value when an operand is NaN.
struct FloatComparison {
  Relations accepts;
  bool unordered;
};

inline FloatComparison floatComparison(mlir::arith::CmpFPredicate predicate) {
  using P = mlir::arith::CmpFPredicate;
  switch (predicate) {
  case P::AlwaysFalse:
    return {{false, false, false}, false};
  case P::OEQ:
    return {{false, true, false}, false};
  case P::OGT:
    return {{false, false, true}, false};
  case P::OGE:
    return {{false, true, true}, false};
  case P::OLT:
    return {{true, false, false}, false};
  case P::OLE:
    return {{true, true, false}, false};
  case P::ONE:
    return {{true, false, true}, false};
  case P::ORD:
    return {{true, true, true}, false};
  case P::UEQ:
    return {{false, true, false}, true};
  case P::UGT:
    return {{false, false, true}, true};
  case P::UGE:
    return {{false, true, true}, true};
  case P::ULT:
    return {{true, false, false}, true};
  case P::ULE:
    return {{true, true, false}, true};
  case P::UNE:
    return {{true, false, true}, true};
  case P::UNO:
    return {{false, false, false}, true};
  case P::AlwaysTrue:
    return {{true, true, true}, true};
  }
  llvm_unreachable("unknown arith.cmpf predicate");
}

/// The relations an integer predicate accepts (signed or unsigned alike).
inline Relations integerRelations(mlir::arith::CmpIPredicate predicate) {
  using P = mlir::arith::CmpIPredicate;
  switch (predicate) {
  case P::eq:
    return {false, true, false};
  case P::ne:
    return {true, false, true};
  case P::slt:
  case P::ult:
    return {true, false, false};
  case P::sle:
  case P::ule:
    return {true, true, false};
  case P::sgt:
  case P::ugt:
    return {false, false, true};
  case P::sge:
  case P::uge:
    return {false, true, true};
  }
  llvm_unreachable("unknown arith.cmpi predicate");
}

/// Whether an integer predicate reads its operands as unsigned.
inline bool isUnsigned(mlir::arith::CmpIPredicate predicate) {
  using P = mlir::arith::CmpIPredicate;
  return predicate == P::ult || predicate == P::ule || predicate == P::ugt ||
         predicate == P::uge;
}

/// The bit width an integer comparison reads (index is 64 bits).
inline unsigned comparedWidth(mlir::Type type) {
  return type.isIndex() ? mlir::IndexType::kInternalStorageBitWidth
                        : type.getIntOrFloatBitWidth();
}

} // namespace attn

#endif // ATTN_SUPPORT_COMPARISONS_H
