//===- attention-opt.cpp - the attention compiler driver -----------------===//
//
// Parses, verifies and transforms attn programs with MLIR's opt driver
// (`attention-opt variant.mlir --attn-linear-pipeline`) and, with --emit=cpu,
// compiles each function of the transformed program into a static library
// with a C header; with --emit=cuda, writes each as CUDA C++ with a C header.
//
//===----------------------------------------------------------------------===//

#include "Attn/AttnOps.h"
#include "attn/Target/Cpu/CpuBackend.h"
#include "attn/Target/Cuda/CudaBackend.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string>
    emit("emit", cl::init("mlir"), cl::value_desc("mlir|cpu|cuda"),
         cl::desc("mlir: print the transformed program (the default); cpu: "
                  "compile every function of the transformed program for the "
                  "CPU into DIR/<function>.a and DIR/<function>.h; cuda: "
                  "write CUDA C++ for every function to DIR/<function>.cu "
                  "with a C header DIR/<function>.h; DIR given by -o"));
static cl::opt<std::string>
    emitTarget("emit-target", cl::init("host"), cl::value_desc("TARGET"),
               cl::desc("--emit=cpu: a Halide target string, 'host' for this "
                        "machine (e.g. x86-64-linux-avx2-fma, "
                        "arm-64-linux)"));

static cl::opt<std::string>
    cudaArch("cuda-arch", cl::init("sm_90a"), cl::value_desc("sm_90a|sm_80"),
             cl::desc("--emit=cuda: the GPU architecture (sm_90a: wgmma, TMA "
                      "and warp specialization on Hopper; sm_80: mma.sync "
                      "and cp.async on Ampere and later)"));

static cl::opt<std::string> cudaComputeType(
    "cuda-compute-type", cl::init("bf16"), cl::value_desc("bf16|f16"),
    cl::desc("--emit=cuda: the tensor-core input type of f32 programs; their "
             "launchers keep the f32 C ABI and convert queries, keys, values "
             "and the output to and from it"));

static const char *kHelp =
    "attention-opt: verify, transform and compile attention programs written "
    "in the attn dialect\n\n"
    "  attention-opt examples/gqa.mlir             parse, verify, print\n"
    "  attention-opt examples/linear.mlir --attn-linear-pipeline\n"
    "  attention-opt examples/gqa.mlir --emit=cpu -o out\n"
    "      (--emit runs attn-backend-pipeline first unless passes are named)\n"
    "      writes out/attention.a and out/attention.h (C ABI documented in "
    "the header)\n"
    "  attention-opt examples/softmax_causal.mlir --emit=cuda -o out\n"
    "      writes out/attention.cu (kernels and launcher; build with nvcc "
    "-gencode=arch=compute_90a,code=sm_90a -I include) and out/attention.h\n"
    "  attention-opt in.mlir -split-input-file -verify-diagnostics\n\n"
    "Run a program (before or after passes, on any backend) with "
    "attention-run.\n";

/// Runs the command line's passes, then compiles every function for the
/// --emit target.
static LogicalResult emitFunctions(StringRef inputFilename, StringRef directory,
                                   DialectRegistry &registry) {
  if (directory.empty() || directory == "-")
    return llvm::errs() << "attention-opt: --emit=" << emit
                        << " needs -o DIR\n",
           failure();
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return llvm::errs() << "attention-opt: cannot create the directory '"
                        << directory << "': " << ec.message() << "\n",
           failure();
  if (!llvm::sys::fs::is_directory(directory))
    return llvm::errs() << "attention-opt: -o " << directory
                        << " is not a directory; --emit=" << emit
                        << " writes several files into one\n",
           failure();
  std::optional<attn::cuda::Arch> arch = attn::cuda::parseArch(cudaArch);
  if (!arch)
    return llvm::errs() << "attention-opt: unknown --cuda-arch=" << cudaArch
                        << " (available: sm_90a, sm_80)\n",
           failure();
  std::optional<attn::cuda::ComputeType> compute =
      attn::cuda::parseComputeType(cudaComputeType);
  if (!compute)
    return llvm::errs() << "attention-opt: unknown --cuda-compute-type="
                        << cudaComputeType << " (available: bf16, f16)\n",
           failure();
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input)
    return llvm::errs() << "attention-opt: " << errorMessage << "\n", failure();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false); // the location says where
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return failure();
  // A program compiles as written: without passes on the command line, the
  // target gets what it needs (attn-backend-pipeline); named passes replace
  // that. Emission then reads the transformed module as it is.
  PassManager pm(&context, ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  if (failed(applyPassManagerCLOptions(pm)) ||
      failed(MlirOptMainConfig::createFromCLOptions().setupPassPipeline(pm)))
    return failure();
  if (pm.size() == 0)
    attn::buildBackendPipeline(pm);
  if (failed(pm.run(*module)))
    return failure();
  bool any = false;
  for (auto function : module->getOps<func::FuncOp>()) {
    if (function.isExternal())
      continue;
    any = true;
    if (failed(emit == "cpu"
                   ? attn::cpu::emitLibrary(function, directory, "", emitTarget)
                   : attn::cuda::emitFiles(function, directory, *arch, "",
                                           *compute)))
      return failure();
  }
  if (!any)
    return llvm::errs() << "attention-opt: no function to compile in "
                        << inputFilename << "\n",
           failure();
  return success();
}

int main(int argc, char **argv) {
  DialectRegistry registry;
  registry.insert<attn::AttnDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, tensor::TensorDialect>();
  registerTransformsPasses();
  attn::registerAttnTransforms();
  // LLVM's code generators, linked for the CPU backend, register hundreds of
  // options at start-up that this tool has no use for: --help shows this
  // tool's options and the ones MLIR registers next (driver, passes);
  // --help-hidden still lists every one.
  for (auto &entry : cl::getRegisteredOptions()) {
    StringRef name = entry.first;
    if (!llvm::is_contained({"emit", "emit-target", "cuda-arch",
                             "cuda-compute-type", "version"},
                            name) &&
        !name.starts_with("help"))
      entry.second->setHiddenFlag(cl::Hidden);
  }
  auto [inputFilename, outputFilename] =
      registerAndParseCLIOptions(argc, argv, kHelp, registry);
  if (emit == "cpu" || emit == "cuda")
    return asMainReturnCode(
        emitFunctions(inputFilename, outputFilename, registry));
  if (emit != "mlir") {
    llvm::errs() << "attention-opt: unknown --emit=" << emit
                 << " (available: mlir, cpu, cuda)\n";
    return 1;
  }
  return asMainReturnCode(
      MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
}
