//===- Pipelines.cpp - named attn pass pipelines -------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
struct LinearPipelineOptions
    : public PassPipelineOptions<LinearPipelineOptions> {
  Option<int64_t> chunkSize{*this, "chunk-size",
                            llvm::cl::desc("steps per chunk"),
                            llvm::cl::init(64)};
  Option<bool> materialize{
      *this, "materialize-states",
      llvm::cl::desc("materialize per-chunk states (parallel across chunks)"),
      llvm::cl::init(false)};
};

void buildLinearPipeline(OpPassManager &pm,
                         const LinearPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(attn::createReassociateLinear());
  attn::ChunkOptions chunk;
  chunk.chunkSize = options.chunkSize;
  chunk.materialize = options.materialize;
  pm.addNestedPass<func::FuncOp>(attn::createChunk(chunk));
  pm.addPass(createCanonicalizerPass());
}

void buildLinearDecodePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(attn::createReassociateLinear());
  pm.addPass(attn::createExposeState());
  pm.addPass(createCanonicalizerPass());
}
} // namespace

void attn::buildBackendPipeline(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(attn::createFuseNsa());
  pm.addNestedPass<func::FuncOp>(attn::createAbsorbMla());
  buildLinearPipeline(pm, LinearPipelineOptions());
  pm.addNestedPass<func::FuncOp>(attn::createFuseAttention());
}

GreedyRewriteConfig attn::rewriteOnlyConfig() {
  GreedyRewriteConfig config;
  config.enableFolding(false)
      .enableConstantCSE(false)
      .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  return config;
}

void attn::registerAttnTransforms() {
  registerAttnPasses();
  PassPipelineRegistration<LinearPipelineOptions>(
      "attn-linear-pipeline",
      "Take linear attention to the chunkwise parallel form: reassociate "
      "into a state, then chunk",
      buildLinearPipeline);
  PassPipelineRegistration<>(
      "attn-linear-decode-pipeline",
      "Take linear attention to the single-step decode form: the recurrent "
      "scan with the state as a function input and output",
      buildLinearDecodePipeline);
  PassPipelineRegistration<>(
      "attn-backend-pipeline",
      "What a backend runs on a program as written: fuse NSA's branches, "
      "absorb MLA's projections for decode over a latent cache, take linear "
      "attention to the chunked form, fuse softmax attention into "
      "attn.attention",
      buildBackendPipeline);
}
