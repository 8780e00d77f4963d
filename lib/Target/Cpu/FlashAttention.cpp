//===- FlashAttention.cpp - fused online-softmax attention ----------------===//

#include "Lowering.h"

using namespace mlir;
using namespace attn;
using namespace attn::cpu;

std::optional<HTensor> cpu::lowerFusedSoftmaxAttention(AggregateOp aggregate,
                                                       LoweringContext &ctx) {
  return std::nullopt;
}
