//===- SparseAttention.cpp
//---------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;

std::optional<LogicalResult> cpu::lowerSparseAttentionOp(Operation *op,
                                                         LoweringContext &ctx) {
  return std::nullopt;
}
