//===- FuseNsa.cpp - NSA's three branches to one attn.nsa -----------------===//
//
// NSA mixes three softmax attention branches over the same queries, keys and
// values: compressed blocks, the blocks the compressed probabilities select,
// and a sliding window. Written as separate ops, a backend must run three
// kernels and materialize the compressed probabilities between them; as one
// attn.nsa it can load a GQA group's queries once and stream every branch.
// The match starts at the gate_combine, classifies each branch by its masks,
// then checks that the branches are wired together the way attn.nsa assumes.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseSet.h"

#include <array>

namespace attn {
#define GEN_PASS_DEF_FUSENSA
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
constexpr const char *kBranchName[] = {"compressed", "selected", "window"};

std::string sizeText(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

/// One branch: aggregate(softmax(position mask and block mask of a score)).
struct Branch {
  AggregateOp aggregate;
  SoftmaxOp softmax;
  ScoreOp score;
  MaskOp mask;
  BlockMaskOp blockMask;
  NsaOp::Branch kind;
};

/// Walks operand `index` of a gate_combine up to its score and tells which
/// NSA branch it is by its masks. On failure, `why` says what is amiss.
FailureOr<Branch> matchBranch(Value output, int64_t index, std::string &why) {
  std::string name = "branch " + std::to_string(index);
  auto fail = [&](const Twine &message) {
    why = message.str();
    return failure();
  };
  Branch branch{};
  branch.aggregate = output.getDefiningOp<AggregateOp>();
  if (!branch.aggregate)
    return fail(name + " is not an attn.aggregate");
  branch.softmax = branch.aggregate.getWeights().getDefiningOp<SoftmaxOp>();
  if (!branch.softmax)
    return fail(name + " does not aggregate softmax probabilities");
  Value scores = branch.softmax.getScores();
  while (!branch.score) {
    Operation *def = scores.getDefiningOp();
    if (!def)
      return fail(name + " takes its scores from outside the function");
    if (auto mask = dyn_cast<MaskOp>(def)) {
      if (branch.mask)
        return fail(name + " has several position masks");
      // Lengths move each sequence's positions; attn.nsa has none.
      if (mask.getLengths())
        return fail(name + " masks by per-sequence lengths");
      branch.mask = mask;
      scores = mask.getScores();
    } else if (auto blockMask = dyn_cast<BlockMaskOp>(def)) {
      if (branch.blockMask)
        return fail(name + " has several block masks");
      branch.blockMask = blockMask;
      scores = blockMask.getScores();
    } else if (auto score = dyn_cast<ScoreOp>(def)) {
      branch.score = score;
    } else {
      return fail("'" + def->getName().getStringRef() +
                  "' stands between the scores and the softmax of " + name);
    }
  }
  if (branch.score.getQueries().size() != 1)
    return fail(name + " adds several query-key pairs");
  if (branch.score.getGate())
    return fail(name + " decays its scores");

  MaskKind kind = branch.mask ? branch.mask.getKind() : MaskKind::none;
  if (!branch.blockMask && kind == MaskKind::compressed)
    branch.kind = NsaOp::Compressed;
  else if (branch.blockMask && kind == MaskKind::causal)
    branch.kind = NsaOp::Selected;
  else if (!branch.blockMask && kind == MaskKind::sliding_window)
    branch.kind = NsaOp::Window;
  else
    return fail(name + " is none of NSA's branches (a compressed mask, a "
                       "causal mask with a block mask, a sliding window)");
  return branch;
}

/// What attn.nsa is built from.
struct NsaParts {
  Value query, key, value;
  CompressOp keys, values;
  SelectBlocksOp selection;
  int64_t window;
  double scale;
  /// The gate column of each NsaOp::Branch.
  SmallVector<int64_t> columns;
};

FailureOr<NsaParts> matchNsa(GateCombineOp op, std::string &why) {
  auto fail = [&](const Twine &message) {
    why = message.str();
    return failure();
  };
  if (op.getBranches().size() != 3)
    return fail("gate_combine mixes " + Twine(op.getBranches().size()) +
                " branches, NSA three");
  std::array<std::optional<Branch>, 3> byKind;
  NsaParts parts;
  parts.columns.assign(3, 0);
  for (auto [column, output] : llvm::enumerate(op.getBranches())) {
    FailureOr<Branch> branch = matchBranch(output, column, why);
    if (failed(branch))
      return failure();
    if (byKind[branch->kind])
      return fail("two branches are NSA's " + Twine(kBranchName[branch->kind]) +
                  " branch");
    byKind[branch->kind] = *branch;
    parts.columns[branch->kind] = column;
  }
  Branch &cmp = *byKind[NsaOp::Compressed], &slc = *byKind[NsaOp::Selected],
         &win = *byKind[NsaOp::Window];

  // One set of queries, keys and values, scored at one scale.
  parts.query = slc.score.getQueries()[0];
  parts.key = slc.score.getKeys()[0];
  parts.value = slc.aggregate.getValues();
  if (win.score.getQueries()[0] != parts.query ||
      cmp.score.getQueries()[0] != parts.query)
    return fail("the branches score different queries");
  if (win.score.getKeys()[0] != parts.key)
    return fail("the selected and window branches score different keys");
  if (win.aggregate.getValues() != parts.value)
    return fail("the selected and window branches read different values");
  parts.scale = slc.score.getEffectiveScale();
  if (win.score.getEffectiveScale() != parts.scale ||
      cmp.score.getEffectiveScale() != parts.scale)
    return fail("the branches scale their scores differently");
  parts.window = *win.mask.getSize();

  // The compressed branch attends to those keys and values, compressed.
  parts.keys = cmp.score.getKeys()[0].getDefiningOp<CompressOp>();
  parts.values = cmp.aggregate.getValues().getDefiningOp<CompressOp>();
  if (!parts.keys || parts.keys.getInput() != parts.key)
    return fail("the compressed branch's keys are not the other branches' "
                "keys, compressed");
  if (!parts.values || parts.values.getInput() != parts.value)
    return fail("the compressed branch's values are not the other branches' "
                "values, compressed");
  int64_t block = parts.keys.getBlock(), stride = parts.keys.getStride();
  if (parts.values.getPooling() != parts.keys.getPooling() ||
      static_cast<int64_t>(parts.values.getBlock()) != block ||
      static_cast<int64_t>(parts.values.getStride()) != stride)
    return fail("keys and values are compressed differently");
  if (static_cast<int64_t>(*cmp.mask.getSize()) != block ||
      static_cast<int64_t>(*cmp.mask.getStride()) != stride)
    return fail("the compressed mask's blocks (" + Twine(*cmp.mask.getSize()) +
                ", " + Twine(*cmp.mask.getStride()) +
                ") are not the compression's (" + Twine(block) + ", " +
                Twine(stride) + ")");

  // The selected branch keeps the blocks selected from the compressed
  // branch's probabilities.
  parts.selection = slc.blockMask.getIndices().getDefiningOp<SelectBlocksOp>();
  SelectBlocksOp selection = parts.selection;
  if (!selection || selection.getProbs() != cmp.softmax.getResult())
    return fail("the block mask's indices are not selected from the "
                "compressed branch's probabilities");
  if (static_cast<int64_t>(selection.getCompressBlock()) != block ||
      static_cast<int64_t>(selection.getCompressStride()) != stride)
    return fail("the selection's compressed blocks (" +
                Twine(selection.getCompressBlock()) + ", " +
                Twine(selection.getCompressStride()) +
                ") are not the compression's (" + Twine(block) + ", " +
                Twine(stride) + ")");
  if (slc.blockMask.getBlock() != selection.getBlock())
    return fail("the block mask's block " + Twine(slc.blockMask.getBlock()) +
                " is not the selection's " + Twine(selection.getBlock()));
  // attn.nsa shares a selection among the query heads of a KV head.
  int64_t groups = dimSize(selection.getType(), 1);
  int64_t keyHeads = dimSize(parts.key, 1),
          valueHeads = dimSize(parts.value, 1);
  if (keyHeads != groups || valueHeads != groups)
    return fail("the selection has " + Twine(groups) +
                " head groups, not one per key and value head (" +
                sizeText(keyHeads) + " and " + sizeText(valueHeads) + ")");
  return parts;
}

/// attn.nsa made of `parts`, outside any block, if it verifies. Besides
/// attn.nsa's own conditions (self-attention, a selection block that is a
/// multiple of the stride), its verifier relates sizes the unfused ops'
/// cannot (a dynamic intermediate hides two static operands that differ).
FailureOr<OwningOpRef<NsaOp>> buildNsa(GateCombineOp op, const NsaParts &parts,
                                       std::string &why) {
  OpBuilder detached(op.getContext());
  SelectBlocksOp selection = parts.selection;
  CompressOp keys = parts.keys, values = parts.values;
  // The context's diagnostic handlers are shared with the threads running
  // this pass on other functions: the candidate carries a location naming
  // this op, and the handler takes only diagnostics at it.
  Location candidate = OpaqueLoc::get<Operation *>(op, op.getLoc());
  OwningOpRef<NsaOp> fused = NsaOp::create(
      detached, candidate, op.getType(), parts.query, parts.key, parts.value,
      op.getGates(), keys.getWeights(), values.getWeights(), parts.columns,
      keys.getPooling(), keys.getBlock(), keys.getStride(),
      selection.getBlock(), selection.getTop(), selection.getInitial(),
      selection.getLocal(), parts.window, APFloat(parts.scale));
  ScopedDiagnosticHandler capture(op.getContext(), [&](Diagnostic &diag) {
    if (diag.getLocation() != candidate)
      return failure();
    why = diag.str();
    return success();
  });
  if (failed(verify(*fused)))
    return failure();
  fused->getOperation()->setLoc(op.getLoc());
  return fused;
}

struct FuseNsa : public OpRewritePattern<GateCombineOp> {
  FuseNsa(MLIRContext *context, bool explain)
      : OpRewritePattern(context), explain(explain) {}

  LogicalResult matchAndRewrite(GateCombineOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<NsaParts> parts = matchNsa(op, why);
    FailureOr<OwningOpRef<NsaOp>> fused = failure();
    if (succeeded(parts))
      fused = buildNsa(op, *parts, why);
    if (failed(fused)) {
      // The greedy driver revisits unchanged ops; say it once.
      if (explain && explained.insert(op).second)
        op.emitRemark() << "not fused into attn.nsa: " << why;
      return rewriter.notifyMatchFailure(op, why);
    }
    rewriter.replaceOp(op, rewriter.insert(fused->release()));
    return success();
  }

private:
  bool explain;
  mutable llvm::DenseSet<Operation *> explained;
};

struct FuseNsaPass : public attn::impl::FuseNsaBase<FuseNsaPass> {
  using FuseNsaBase::FuseNsaBase;

  void runOnOperation() override {
    // Built per run: the pattern remembers which ops it explained.
    RewritePatternSet patterns(&getContext());
    populateFuseNsaPatterns(patterns, explain);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     rewriteOnlyConfig())))
      signalPassFailure();
  }
};
} // namespace

void attn::populateFuseNsaPatterns(RewritePatternSet &patterns, bool explain) {
  patterns.add<FuseNsa>(patterns.getContext(), explain);
}
