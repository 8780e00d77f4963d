//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//

#ifndef ATTN_TRANSFORMS_PASSES_H
#define ATTN_TRANSFORMS_PASSES_H

#include "Attn/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {

/// When attn-absorb-mla rewrites (Passes.td says why).
enum class AbsorbMode { Auto, Always };

#define GEN_PASS_DECL
#include "attn/Transforms/Passes.h.inc"

/// Linear attention (score, causal or no mask, decay, aggregate) to the
/// recurrent state form. With `explain`, non-matching aggregates get a
/// remark saying why.
void populateReassociateLinearPatterns(mlir::RewritePatternSet &patterns,
                                       bool explain);

/// Gated linear recurrences (attn.scan) to attn.chunked_scan.
void populateChunkPatterns(mlir::RewritePatternSet &patterns, int64_t chunkSize,
                           bool materialize);

/// MLA's key and value up-projections absorbed into the query and the
/// output, so that attention runs over the latent cache. With `explain`,
/// aggregates left alone get a remark saying why.
void populateAbsorbMlaPatterns(mlir::RewritePatternSet &patterns,
                               AbsorbMode mode, bool explain);

/// The greedy driver's configuration for passes that apply one rewrite and
/// leave other programs exactly as written: no folding, constant CSE or
/// region simplification.
mlir::GreedyRewriteConfig rewriteOnlyConfig();

/// Registers the passes and the named pipelines:
///   attn-linear-pipeline{chunk-size=64 materialize-states=false}
///   attn-linear-decode-pipeline
void registerAttnTransforms();

#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn

#endif // ATTN_TRANSFORMS_PASSES_H
