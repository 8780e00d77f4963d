//===- DecomposeAttention.cpp - attn.attention to the ops it fuses -------===//
//
// attn.attention means what AttentionOp::decompose builds; this pass applies
// it, for reading a fused program as fine-grained ops and for checking that
// fusing and decomposing give the program back.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

namespace attn {
#define GEN_PASS_DEF_DECOMPOSEATTENTION
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
struct DecomposeAttention : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.decompose(rewriter));
    return success();
  }
};

struct DecomposeAttentionPass
    : public attn::impl::DecomposeAttentionBase<DecomposeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeAttentionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     rewriteOnlyConfig())))
      signalPassFailure();
  }
};
} // namespace

void attn::populateDecomposeAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeAttention>(patterns.getContext());
}
