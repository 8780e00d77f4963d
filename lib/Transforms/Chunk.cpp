//===- Chunk.cpp - recurrent linear attention to the chunkwise form ------===//
//
// A scan whose body is the gated linear recurrence
//   S' = decay(S, g); S'' = S' + k^T v; o = scale * q S''
// computes exactly what attn.chunked_scan computes chunk by chunk, so the
// rewrite only has to recognize that body. Any other body (the read-only
// scan of the bidirectional form, a custom recurrence) is left alone.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attn {
#define GEN_PASS_DEF_CHUNK
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
/// Recognizes `[state.decay(S, g)] -> state.update(., k, v) -> state.read(.,
/// q) -> yield(updated, read)` over the body's own arguments, nothing else,
/// and returns the read's scale.
std::optional<double> matchRecurrence(ScanOp scan) {
  Block &body = scan.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  auto update = yield.getValues()[0].getDefiningOp<StateUpdateOp>();
  auto read = yield.getValues()[1].getDefiningOp<StateReadOp>();
  if (!update || !read || read.getState() != update.getResult() ||
      read.getQuery() != body.getArgument(1) ||
      update.getKey() != body.getArgument(2) ||
      update.getValue() != body.getArgument(3))
    return std::nullopt;
  Value state = update.getState();
  size_t expectedOps = 3;
  if (scan.getGates()) {
    auto decay = state.getDefiningOp<StateDecayOp>();
    if (!decay || decay.getGate() != body.getArgument(4))
      return std::nullopt;
    state = decay.getState();
    ++expectedOps;
  }
  if (state != body.getArgument(0) ||
      body.getOperations().size() != expectedOps)
    return std::nullopt;
  return read.getScale() ? read.getScale()->convertToDouble() : 1.0;
}

struct ChunkScan : public OpRewritePattern<ScanOp> {
  ChunkScan(MLIRContext *context, int64_t chunkSize, bool materialize)
      : OpRewritePattern(context), chunkSize(chunkSize),
        materialize(materialize) {}

  LogicalResult matchAndRewrite(ScanOp scan,
                                PatternRewriter &rewriter) const override {
    std::optional<double> scale = matchRecurrence(scan);
    if (!scale)
      return rewriter.notifyMatchFailure(scan, "body is not a linear "
                                               "recurrence");
    SmallVector<Type> resultTypes = {scan.getOutput().getType(),
                                     scan.getFinalState().getType()};
    if (materialize) {
      auto state = cast<RankedTensorType>(scan.getFinalState().getType());
      int64_t length = scan.getQuery().getType().getDimSize(2);
      int64_t chunks = ShapedType::isDynamic(length)
                           ? ShapedType::kDynamic
                           : llvm::divideCeil(length, chunkSize);
      resultTypes.push_back(RankedTensorType::get(
          {state.getDimSize(0), state.getDimSize(1), chunks,
           state.getDimSize(2), state.getDimSize(3)},
          state.getElementType()));
    }
    auto chunked = ChunkedScanOp::create(
        rewriter, scan.getLoc(), resultTypes, scan.getQuery(), scan.getKey(),
        scan.getValue(), scan.getGates(), scan.getInit(),
        rewriter.getI64IntegerAttr(chunkSize), rewriter.getF64FloatAttr(*scale),
        materialize ? rewriter.getUnitAttr() : UnitAttr());
    rewriter.replaceOp(scan, {chunked.getOutput(), chunked.getFinalState()});
    return success();
  }

  int64_t chunkSize;
  bool materialize;
};

struct ChunkPass : public attn::impl::ChunkBase<ChunkPass> {
  using ChunkBase::ChunkBase;

  void runOnOperation() override {
    if (chunkSize <= 0 || chunkSize > kMaxChunk) {
      getOperation().emitError()
          << "attn-chunk: chunk-size must lie in [1, " << kMaxChunk << "], got "
          << chunkSize.getValue();
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateChunkPatterns(patterns, chunkSize, materialize);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void attn::populateChunkPatterns(RewritePatternSet &patterns, int64_t chunkSize,
                                 bool materialize) {
  patterns.add<ChunkScan>(patterns.getContext(), chunkSize, materialize);
}
