//===- ExposeState.cpp - recurrent states as function inputs and outputs --===//
//
// Generation runs a recurrence one token (or chunk) per call: the state the
// last call ended with is where the next one starts. So every scan that
// starts from zero gets its initial state from a new function argument, and
// its final state becomes a new function result.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace attn {
#define GEN_PASS_DEF_EXPOSESTATE
#include "attn/Transforms/Passes.h.inc"
} // namespace attn

using namespace mlir;
using namespace attn;

namespace {
/// The final state of a scan or chunked scan that starts from zero, else null.
Value finalStateWithoutInit(Operation *op) {
  if (auto scan = dyn_cast<ScanOp>(op); scan && !scan.getInit())
    return scan.getFinalState();
  if (auto scan = dyn_cast<ChunkedScanOp>(op); scan && !scan.getInit())
    return scan.getFinalState();
  return nullptr;
}

void setInit(Operation *op, Value init) {
  if (auto scan = dyn_cast<ScanOp>(op))
    scan.getInitMutable().assign(init);
  else
    cast<ChunkedScanOp>(op).getInitMutable().assign(init);
}

struct ExposeStatePass : public attn::impl::ExposeStateBase<ExposeStatePass> {
  using ExposeStateBase::ExposeStateBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder builder(&getContext());
    // attention-run sizes random inputs by these names.
    DictionaryAttr dims = builder.getDictionaryAttr(
        builder.getNamedAttr("attn.dims", builder.getStringAttr("B,Hq,Dk,Dv")));
    for (auto function : module.getOps<func::FuncOp>()) {
      SmallVector<Operation *> scans;
      SmallVector<Value> finalStates;
      function.walk([&](Operation *op) {
        if (Value state = finalStateWithoutInit(op)) {
          scans.push_back(op);
          finalStates.push_back(state);
        }
      });
      if (scans.empty())
        continue;
      // Callers would still pass the old arguments and expect the old
      // results.
      if (!SymbolTable::symbolKnownUseEmpty(function, module)) {
        function.emitError("has callers; exposing its recurrent state would "
                           "change the signature they use");
        return signalPassFailure();
      }
      unsigned numArgs = function.getNumArguments();
      unsigned numResults = function.getNumResults();
      SmallVector<Type> types;
      SmallVector<Location> locs;
      for (auto [op, state] : llvm::zip(scans, finalStates)) {
        types.push_back(state.getType());
        locs.push_back(op->getLoc());
      }
      if (failed(function.insertArguments(
              SmallVector<unsigned>(scans.size(), numArgs), types,
              SmallVector<DictionaryAttr>(scans.size(), dims), locs)) ||
          failed(function.insertResults(
              SmallVector<unsigned>(scans.size(), numResults), types,
              SmallVector<DictionaryAttr>(scans.size()))))
        return signalPassFailure();
      for (auto [i, op] : llvm::enumerate(scans))
        setInit(op, function.getArgument(numArgs + i));
      function.walk([&](func::ReturnOp ret) {
        ret.getOperandsMutable().append(finalStates);
      });
    }
  }
};
} // namespace
