//===- ReassociateLinear.cpp ----------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

namespace attn {
#define GEN_PASS_DEF_REASSOCIATELINEAR
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

namespace {
struct ReassociateLinearPass : public attn::impl::ReassociateLinearBase<ReassociateLinearPass> {
  using ReassociateLinearBase::ReassociateLinearBase;
  void runOnOperation() override {}
};
} // namespace
