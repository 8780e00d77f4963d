//===- attn-fuzz.cpp - libFuzzer target over parse, verify and the passes -===//
//
// Built with -DATTN_FUZZER=ON by clang (scripts/fuzz.sh). Each input is an
// MLIR program in any form. It is parsed and verified; a program that
// verifies must print and parse back (custom and generic form), and then
// goes through every attn pass and pipeline on its own copy. A pass may
// fail or leave a program alone, but one that succeeds must leave IR that
// verifies. Anything else that goes wrong (a crash, a sanitizer report, an
// assertion, IR left invalid) ends the run with the input saved by
// libFuzzer. With ATTN_FUZZ_CUDA=1 in the environment, every function of a
// verified program also goes through the CUDA emitter (both architectures).
//
//===----------------------------------------------------------------------===//

#include "Attn/AttnOps.h"
#include "attn/Target/Cuda/CudaBackend.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// The pipelines each verified program goes through, in the textual form of
/// `attention-opt --pass-pipeline`.
const char *const kPipelines[] = {
    "builtin.module(func.func(attn-reassociate-linear{explain=true}))",
    "builtin.module(func.func(attn-reassociate-linear,attn-chunk{chunk-size=1}))",
    "builtin.module(func.func(attn-reassociate-linear,attn-chunk{chunk-size=3 "
    "materialize-states=true}))",
    "builtin.module(func.func(attn-chunk{chunk-size=16}))",
    "builtin.module(attn-expose-state)",
    "builtin.module(func.func(attn-fuse-nsa{explain=true}))",
    "builtin.module(func.func(attn-absorb-mla{explain=true}))",
    "builtin.module(func.func(attn-absorb-mla{mode=always explain=true}))",
    "builtin.module(attn-linear-pipeline{chunk-size=64})",
    "builtin.module(attn-linear-decode-pipeline)",
    "builtin.module(canonicalize,cse)",
};

struct State {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  std::vector<std::pair<std::string, OpPassManager>> pipelines;
  bool cuda = false;
};

State *state;

[[noreturn]] void die(const char *what, const std::string &detail) {
  fprintf(stderr, "attn-fuzz: %s\n%s\n", what, detail.c_str());
  fflush(stderr);
  abort();
}

std::string print(Operation *op, bool generic) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  op->print(os, flags);
  return text;
}

/// A verified module prints and parses back in both forms, and the reparsed
/// module prints the same.
void checkRoundTrip(ModuleOp module, MLIRContext &context) {
  for (bool generic : {false, true}) {
    std::string text = print(module, generic);
    OwningOpRef<ModuleOp> again =
        parseSourceString<ModuleOp>(text, ParserConfig(&context));
    if (!again)
      die(generic ? "the generic form does not parse back"
                  : "the printed form does not parse back",
          text);
    std::string text2 = print(*again, generic);
    if (text2 != text)
      die("printing the reparsed module differs", text + "\n---\n" + text2);
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  state = new State;
  state->registry.insert<attn::AttnDialect, func::FuncDialect,
                         arith::ArithDialect, math::MathDialect,
                         tensor::TensorDialect>();
  registerTransformsPasses();
  attn::registerAttnTransforms();
  state->context = std::make_unique<MLIRContext>(
      state->registry, MLIRContext::Threading::DISABLED);
  state->context->loadAllAvailableDialects();
  state->context->printOpOnDiagnostic(false);
  for (const char *text : kPipelines) {
    std::string errors;
    llvm::raw_string_ostream os(errors);
    FailureOr<OpPassManager> pm = parsePassPipeline(text, os);
    if (failed(pm))
      die("bad pipeline", std::string(text) + ": " + errors);
    state->pipelines.emplace_back(text, std::move(*pm));
  }
  const char *cuda = getenv("ATTN_FUZZ_CUDA");
  state->cuda = cuda && *cuda && *cuda != '0';
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = *state->context;
  // Diagnostics are expected (most inputs are invalid); keep them quiet.
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  // MLIR's recursive-descent parser overflows the stack on brackets nested
  // a few thousand deep (`[[[[...`, in any attribute position; mlir-opt
  // too): an upstream limit, not this project's, so such inputs are skipped
  // to let the fuzzer look further.
  int depth = 0, deepest = 0;
  for (size_t i = 0; i < size; ++i) {
    char c = static_cast<char>(data[i]);
    depth += c == '[' || c == '(' || c == '{' || c == '<';
    depth -= depth > 0 && (c == ']' || c == ')' || c == '}' || c == '>');
    deepest = std::max(deepest, depth);
  }
  if (deepest > 200)
    return 0;
  // MLIR's lexer reads the NUL after the buffer's end, as every file the
  // tools read through llvm::MemoryBuffer has; libFuzzer's input has none.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  if (!module)
    return 0; // the parser verifies too: a program that fails is rejected
  checkRoundTrip(*module, context);

  for (const auto &[name, pipeline] : state->pipelines) {
    OwningOpRef<ModuleOp> copy = module->clone();
    PassManager pm(&context, ModuleOp::getOperationName());
    static_cast<OpPassManager &>(pm) = pipeline;
    // Verify by hand so that invalid IR from a pass that claims success is
    // told apart from a pass that fails.
    pm.enableVerifier(false);
    if (failed(pm.run(*copy)))
      continue;
    if (failed(verify(*copy)))
      die("a pass left IR that does not verify",
          name + "\n" + print(*copy, true));
  }

  if (state->cuda) {
    for (auto function : module->getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      for (attn::cuda::Arch arch :
           {attn::cuda::Arch::sm90a, attn::cuda::Arch::sm80})
        (void)attn::cuda::emitSource(function, "attention", arch);
    }
  }
  return 0;
}
