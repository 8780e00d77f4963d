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

/// NSA's three gated branches (compressed, selected, sliding window) to one
/// attn.nsa. With `explain`, gate_combines that do not match get a remark
/// saying why.
void populateFuseNsaPatterns(mlir::RewritePatternSet &patterns, bool explain);

/// Softmax attention (score, masks, block mask, score mods, softmax,
/// aggregate) to one attn.attention. With `explain`, softmax aggregates left
/// alone get a remark saying why.
void populateFuseAttentionPatterns(mlir::RewritePatternSet &patterns,
                                   bool explain);

/// Why attn-fuse-attention leaves `aggregate` alone, or nullopt if it fuses
/// it: for backends that compile softmax attention only as attn.attention.
std::optional<std::string> whyNotFused(AggregateOp aggregate);

/// attn.attention to the ops that define it.
void populateDecomposeAttentionPatterns(mlir::RewritePatternSet &patterns);

/// The passes a backend needs before it compiles a program as written:
/// attn-fuse-nsa, attn-absorb-mla (decode over a latent cache), the linear
/// pipeline (reassociate, chunk) and attn-fuse-attention. Registered as
/// attn-backend-pipeline; --emit and attention-run's backends run it when the
/// command line names no pass.
void buildBackendPipeline(mlir::OpPassManager &pm);

/// Registers the passes and the named pipelines:
///   attn-linear-pipeline{chunk-size=64 materialize-states=false}
///   attn-linear-decode-pipeline
///   attn-backend-pipeline
void registerAttnTransforms();

#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace attn

#endif // ATTN_TRANSFORMS_PASSES_H
