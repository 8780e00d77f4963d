//===- ExposeState.cpp ----------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

namespace attn {
#define GEN_PASS_DEF_EXPOSESTATE
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

namespace {
struct ExposeStatePass : public attn::impl::ExposeStateBase<ExposeStatePass> {
  using ExposeStateBase::ExposeStateBase;
  void runOnOperation() override {}
};
} // namespace
