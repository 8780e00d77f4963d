//===- attention-run.cpp - run an attn program on real inputs ------------===//
//
// Runs a function of an attn program through a backend (the reference
// interpreter or the CPU backend) on .npy or seeded random inputs, and writes
// the results as .npy. With --check it compares the backend against the
// interpreter on the same inputs; with --compare-pipeline it runs the program
// after an attention-opt pipeline against the program before it: the
// equivalence harness of every pass and backend.
//
//===----------------------------------------------------------------------===//

#include "Attn/AttnOps.h"
#include "attn/Interpreter/Interpreter.h"
#include "attn/Support/Tensor.h"
#include "attn/Target/Cpu/CpuBackend.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>
#include <random>

using namespace mlir;
using namespace attn;
namespace cl = llvm::cl;

namespace {
cl::OptionCategory category("attention-run options");

/// The largest size --dim and --lengths take.
constexpr int64_t kMaxSize = int64_t(1) << 24;

cl::list<std::string> positional(cl::Positional, cl::ZeroOrMore,
                                 cl::desc("FILE.mlir [more --inputs files]"),
                                 cl::cat(category));
cl::opt<std::string> functionName("function", cl::init("attention"),
                                  cl::desc("the function to run"),
                                  cl::value_desc("NAME"), cl::cat(category));
cl::list<std::string>
    inputFiles("inputs", cl::value_desc("a.npy b.npy ..."),
               cl::desc("one .npy file per function argument, in order: "
                        "f16 ('<f2'), f32, f64, or bf16 stored as uint16 "
                        "('<u2') bit patterns; int32/int64 for integers"),
               cl::cat(category));
cl::opt<bool> randomInputs("random-inputs",
                           cl::desc("make seeded random inputs (see below)"),
                           cl::cat(category));
cl::opt<unsigned> seed("seed", cl::init(0), cl::desc("random seed"),
                       cl::cat(category));
cl::list<std::string> dims("dim", cl::value_desc("NAME=VALUE"),
                           cl::desc("size of a named dynamic dimension"),
                           cl::cat(category));
cl::list<int64_t>
    fixedLengths("lengths", cl::CommaSeparated, cl::value_desc("L0,L1,..."),
                 cl::desc("with --random-inputs: the sequence lengths (integer "
                          "arguments), one per batch entry, instead of random "
                          "ones; B defaults to their count"),
                 cl::cat(category));
cl::opt<std::string> logDecayRange("log-decay-range", cl::init("-0.7,-0.001"),
                                   cl::value_desc("LO,HI"),
                                   cl::desc("range of random log-decay gates"),
                                   cl::cat(category));
cl::opt<std::string> outputDir("output-dir", cl::value_desc("DIR"),
                               cl::desc("write DIR/result<i>.npy"),
                               cl::cat(category));
cl::opt<bool> saveInputs("save-inputs",
                         cl::desc("also write the inputs as DIR/input<i>.npy"),
                         cl::cat(category));
cl::opt<std::string>
    resultType("result-type", cl::init("declared"),
               cl::value_desc("declared|f64"),
               cl::desc("element type of the written results: as the "
                        "function declares, or f64 (the interpreter's "
                        "precision)"),
               cl::cat(category));
cl::opt<std::string>
    backend("backend", cl::init("interp"), cl::value_desc("interp|cpu"),
            cl::desc("interp: the f64 reference interpreter; cpu: the Halide "
                     "CPU backend (JIT-compiled for this machine, f32 "
                     "arithmetic)"),
            cl::cat(category));
cl::opt<bool> check("check",
                    cl::desc("also run the interpreter on the same inputs and "
                             "compare (PASS/FAIL, exit 1 on FAIL)"),
                    cl::cat(category));
cl::opt<std::string> comparePipeline(
    "compare-pipeline", cl::value_desc("PIPELINE"),
    cl::desc("run before and after this attention-opt pass pipeline (e.g. "
             "'func.func(attn-reassociate-linear)' or "
             "'attn-linear-pipeline{chunk-size=16}') on the same inputs and "
             "compare"),
    cl::cat(category));
cl::opt<std::string> sweep(
    "sweep", cl::value_desc("T=1;T=37,B=1;..."),
    cl::desc("with --random-inputs and --check or --compare-pipeline: check "
             "each set of sizes in turn (sets separated by ';', sizes by ','; "
             "they override --dim), compiling once"),
    cl::cat(category));
cl::opt<bool> verbose("v",
                      cl::desc("say which Halide target the CPU backend "
                               "compiles for (on stderr)"),
                      cl::cat(category));
cl::opt<bool> printCpuTargets(
    "print-cpu-targets",
    cl::desc("print the Halide targets this machine can run, the one the CPU "
             "backend uses first (ATTN_CPU_TARGET picks another), and exit"),
    cl::cat(category));
cl::opt<double> tolerance(
    "tolerance",
    cl::desc("--check, --compare-pipeline: largest accepted max relative "
             "error (default 1e-9 with the interpreter, 1e-4 with cpu)"),
    cl::cat(category));

const char *kOverview = R"(attention-run: run an attn program

Runs function @NAME (default @attention) of FILE.mlir through a backend (the
f64 reference interpreter, or --backend cpu) on inputs given as .npy files or
made at random, prints each result's shape and checksum, and writes
DIR/result<i>.npy.

Checking (exit 1 on FAIL):
  --check compares the backend's results with the interpreter's;
  --compare-pipeline P runs the program after pipeline P through the backend
  and compares with the original program through the interpreter. The error
  is max |expected - actual| / max |expected| per result.

Random inputs (--random-inputs --seed N):
  Dynamic sizes come from --dim NAME=VALUE, where an argument's attribute
  {attn.dims = "B,Hq,T,Dk"} names its dimensions (B, Hq, Hkv, T, S, Dk, Dv,
  or names an example documents). Unset names default to B=2, T=33, S=T and
  16 for any other. Float arguments are uniform in [-1, 1]; arguments used as
  decay gates are log-decays uniform in --log-decay-range; weight matrices
  (rank 2 or 3, all sizes static) are uniform in [-1, 1] / sqrt(fan-in);
  integer arguments are sequence lengths uniform in [1, S], or the values
  --lengths gives.

Examples:
  attention-run examples/gqa.mlir --random-inputs --dim T=100 --output-dir out
  attention-run examples/gqa.mlir --inputs q.npy k.npy v.npy
  attention-run examples/gqa.mlir --random-inputs --backend cpu --check
  attention-run examples/gqa.mlir --random-inputs --backend cpu --check \
      --sweep "T=1;T=37;T=300,S=100"
  attention-run prog.mlir --random-inputs \
      --compare-pipeline='builtin.module(canonicalize)'
)";

/// Reports an error at `loc` (or without a location) and fails.
LogicalResult fail(const Twine &message) {
  llvm::errs() << "attention-run: error: " << message << "\n";
  return failure();
}

struct Arguments {
  std::vector<Tensor> tensors;
};

/// Parses NAME=VALUE entries (--dim, then one --sweep set) into a map. A
/// --sweep set may override a --dim; neither list may name a size twice.
FailureOr<std::map<std::string, int64_t>>
parseDims(ArrayRef<std::string> sweepSet) {
  std::map<std::string, int64_t> sizes;
  auto parseList = [&](ArrayRef<std::string> entries,
                       StringRef option) -> LogicalResult {
    std::set<std::string> seen;
    for (StringRef entry : entries) {
      auto [name, value] = entry.split('=');
      int64_t size;
      if (name.empty() || value.getAsInteger(10, size))
        return fail(option + " expects NAME=VALUE, got '" + entry + "'");
      if (size < 1 || size > kMaxSize)
        return fail(option + " " + name + "=" + value +
                    ": sizes must lie in [1, 2^24]");
      if (!seen.insert(name.str()).second)
        return fail(option + " names " + name + " twice");
      sizes[name.str()] = size;
    }
    return success();
  };
  std::vector<std::string> given(dims.begin(), dims.end());
  if (failed(parseList(given, "--dim")) ||
      failed(parseList(sweepSet, "--sweep")))
    return failure();
  return sizes;
}

int64_t defaultSize(StringRef name, const std::map<std::string, int64_t> &set) {
  if (name == "B")
    return fixedLengths.empty() ? 2 : int64_t(fixedLengths.size());
  if (name == "T")
    return 33;
  if (name == "S")
    return set.count("T") ? set.at("T") : 33;
  return 16;
}

/// True when the argument feeds a decay gate, so it must hold log-decays.
bool isDecayGate(BlockArgument arg) {
  return llvm::any_of(arg.getUses(), [](OpOperand &use) {
    Operation *owner = use.getOwner();
    if (auto decay = dyn_cast<DecayOp>(owner))
      return use.get() == decay.getGates();
    if (auto scan = dyn_cast<ScanOp>(owner))
      return use.get() == scan.getGates();
    if (auto chunked = dyn_cast<ChunkedScanOp>(owner))
      return use.get() == chunked.getGates();
    if (auto score = dyn_cast<ScoreOp>(owner))
      return use.get() == score.getGate();
    return false;
  });
}

FailureOr<std::vector<Tensor>>
makeRandomInputs(func::FuncOp function, ArrayRef<std::string> sweepSet = {}) {
  FailureOr<std::map<std::string, int64_t>> given = parseDims(sweepSet);
  if (failed(given))
    return failure();
  double decayLo, decayHi;
  {
    auto [lo, hi] = StringRef(logDecayRange).split(',');
    if (lo.trim().getAsDouble(decayLo) || hi.trim().getAsDouble(decayHi) ||
        !std::isfinite(decayLo) || !std::isfinite(decayHi) || decayLo > decayHi)
      return fail("--log-decay-range expects finite LO,HI with LO <= HI");
  }

  // Resolve every argument's shape from its dimension names.
  std::map<std::string, int64_t> sizes = *given;
  std::set<std::string> used;
  SmallVector<SmallVector<int64_t>> shapes;
  for (auto [i, type] : llvm::enumerate(function.getArgumentTypes())) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked)
      return fail("argument " + Twine(i) + " is not a ranked tensor");
    SmallVector<StringRef> names;
    if (auto attr = function.getArgAttrOfType<StringAttr>(i, "attn.dims"))
      llvm::SplitString(attr.getValue(), names, ", ");
    // The verifier checked that attn.dims names every dimension.
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < ranked.getRank(); ++d) {
      if (!ranked.isDynamicDim(d)) {
        shape.push_back(ranked.getDimSize(d));
        if (!names.empty() && given->count(names[d].str()) &&
            given->at(names[d].str()) != ranked.getDimSize(d))
          return fail("--dim " + names[d] + ": argument " + Twine(i) +
                      " fixes it at " + Twine(ranked.getDimSize(d)));
        if (!names.empty())
          used.insert(names[d].str());
        continue;
      }
      if (names.empty())
        return emitError(function.getArgument(i).getLoc())
               << "argument " << i
               << " has dynamic sizes but no names; add an attribute such "
                  "as {attn.dims = \"B,Hq,T,Dk\"}";
      std::string name = names[d].str();
      used.insert(name);
      if (!sizes.count(name))
        sizes[name] = defaultSize(name, sizes);
      shape.push_back(sizes[name]);
    }
    int64_t count = countElements(shape);
    if (count < 0 || count > kMaxInterpretedElements)
      return fail("argument " + Twine(i) + " would hold more than " +
                  Twine(kMaxInterpretedElements) + " elements");
    shapes.push_back(shape);
  }
  for (auto &[name, size] : *given)
    if (!used.count(name))
      return fail("--dim " + name + ": no argument has a dimension named " +
                  name);

  std::mt19937_64 rng(seed);
  int64_t keyLength = sizes.count("S")   ? sizes["S"]
                      : sizes.count("T") ? sizes["T"]
                                         : 1;
  if (!fixedLengths.empty() &&
      llvm::all_of(function.getArgumentTypes(), [](Type type) {
        return isa<FloatType>(getElementTypeOrSelf(type));
      }))
    return fail("--lengths: @" + function.getName() +
                " has no integer (lengths) argument");
  std::vector<Tensor> tensors;
  for (auto [i, type] : llvm::enumerate(function.getArgumentTypes())) {
    auto ranked = cast<RankedTensorType>(type);
    Tensor tensor(shapes[i]);
    bool integer = !isa<FloatType>(ranked.getElementType());
    if (integer && !fixedLengths.empty()) {
      if (tensor.numElements() != int64_t(fixedLengths.size()))
        return fail("--lengths gives " + Twine(fixedLengths.size()) +
                    " values for argument " + Twine(i) + " of " +
                    Twine(tensor.numElements()) + " elements");
      llvm::copy(fixedLengths, tensor.data.begin());
    } else if (integer) {
      std::uniform_int_distribution<int64_t> lengths(1, keyLength);
      for (double &x : tensor.data)
        x = double(lengths(rng));
    } else if (isDecayGate(function.getArgument(i))) {
      std::uniform_real_distribution<double> gates(decayLo, decayHi);
      for (double &x : tensor.data)
        x = gates(rng);
    } else {
      bool weight = ranked.hasStaticShape() &&
                    (ranked.getRank() == 2 || ranked.getRank() == 3);
      double scale =
          weight
              ? 1.0 / std::sqrt(double(ranked.getDimSize(ranked.getRank() - 2)))
              : 1.0;
      std::uniform_real_distribution<double> uniform(-scale, scale);
      for (double &x : tensor.data)
        x = uniform(rng);
    }
    roundToType(tensor, ranked.getElementType());
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

FailureOr<std::vector<Tensor>> readInputs(func::FuncOp function) {
  // `--inputs a.npy b.npy` leaves b.npy among the positionals: restore the
  // command line's order.
  std::vector<std::pair<unsigned, std::string>> files;
  for (unsigned i = 0; i < inputFiles.size(); ++i)
    files.emplace_back(inputFiles.getPosition(i), inputFiles[i]);
  for (unsigned i = 1; i < positional.size(); ++i)
    files.emplace_back(positional.getPosition(i), positional[i]);
  llvm::sort(files);
  auto types = function.getArgumentTypes();
  if (files.size() != types.size())
    return fail("@" + function.getName() + " takes " + Twine(types.size()) +
                " arguments, " + Twine(files.size()) + " input files given");
  std::vector<Tensor> tensors;
  for (auto [file, type] : llvm::zip(files, types)) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked)
      return fail("cannot read an argument of type non-tensor type");
    llvm::Expected<Tensor> tensor =
        readNpy(file.second, ranked.getElementType());
    if (!tensor)
      return fail(llvm::toString(tensor.takeError()));
    int64_t count = tensor->numElements();
    if (count > kMaxInterpretedElements)
      return fail("'" + file.second + "' holds more than " +
                  Twine(kMaxInterpretedElements) + " elements");
    tensors.push_back(std::move(*tensor));
  }
  return tensors;
}

void printSummary(StringRef label, const Tensor &t, Type elementType) {
  double sum = 0, absSum = 0;
  for (double x : t.data) {
    sum += x;
    absSum += std::fabs(x);
  }
  llvm::outs() << label << ": [";
  llvm::interleaveComma(t.shape, llvm::outs());
  llvm::outs() << "] " << elementType << " sum=" << llvm::format("%.9g", sum)
               << " abs_sum=" << llvm::format("%.9g", absSum) << "\n";
}

LogicalResult writeTensors(StringRef prefix, ArrayRef<Tensor> tensors,
                           ArrayRef<Type> types) {
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  for (auto [i, pair] : llvm::enumerate(llvm::zip(tensors, types))) {
    auto [tensor, type] = pair;
    SmallString<128> path(outputDir);
    llvm::sys::path::append(path, prefix + Twine(i) + ".npy");
    if (llvm::Error error = writeNpy(path, tensor, type))
      return fail(llvm::toString(std::move(error)));
  }
  return success();
}

/// Max |a - b| over max |a|: normwise, so near-zero entries do not dominate.
/// NaN when either side holds a NaN, or an infinity the other does not hold
/// (a log-sum-exp is -inf exactly on rows that see no key).
double relativeError(const Tensor &a, const Tensor &b) {
  double diff = 0, scale = 0;
  for (auto [x, y] : llvm::zip(a.data, b.data)) {
    if (std::isinf(x) && x == y)
      continue;
    if (!std::isfinite(x) || !std::isfinite(y)) // never a pass
      return std::numeric_limits<double>::quiet_NaN();
    if (x != y)
      diff = std::max(diff, std::fabs(x - y));
    scale = std::max(scale, std::fabs(x));
  }
  return diff == 0 ? 0 : diff / std::max(scale, 1e-300);
}

/// Runs `function` through the backend. A compiled backend gets the program
/// as attention-opt --emit would give it: after attn-backend-pipeline.
FailureOr<std::vector<Tensor>> runBackend(func::FuncOp function,
                                          ArrayRef<Tensor> inputs) {
  if (backend != "cpu")
    return interpret(function, inputs);
  OwningOpRef<ModuleOp> compiled =
      cast<ModuleOp>(function->getParentOp()->clone());
  PassManager pm(function.getContext(), ModuleOp::getOperationName());
  buildBackendPipeline(pm);
  if (failed(pm.run(*compiled)))
    return failure();
  auto after = compiled->lookupSymbol<func::FuncOp>(function.getName());
  return cpu::run(after, inputs);
}

/// Runs `function` after --compare-pipeline (if any) through the backend and
/// compares with the original through the interpreter.
LogicalResult compare(ModuleOp module, func::FuncOp function,
                      ArrayRef<Tensor> inputs) {
  OwningOpRef<ModuleOp> transformed = module.clone();
  auto after = transformed->lookupSymbol<func::FuncOp>(function.getName());
  if (!comparePipeline.empty()) {
    // Anchor the pipeline on the module whether or not the text names it: a
    // pipeline nested once too deep would run on nothing and compare equal.
    std::string text = comparePipeline;
    if (!StringRef(text).starts_with("builtin.module("))
      text = "builtin.module(" + text + ")";
    std::string errors;
    llvm::raw_string_ostream errorStream(errors);
    FailureOr<OpPassManager> parsed = parsePassPipeline(text, errorStream);
    if (failed(parsed))
      return fail("bad --compare-pipeline: " + errors);
    PassManager pm(module.getContext(), ModuleOp::getOperationName());
    static_cast<OpPassManager &>(pm) = *parsed;
    if (failed(pm.run(*transformed)))
      return fail("the pipeline failed");
    after = transformed->lookupSymbol<func::FuncOp>(function.getName());
    if (!after)
      return fail("the pipeline removed @" + function.getName());
  }
  FailureOr<std::vector<Tensor>> expected = interpret(function, inputs);
  if (failed(expected))
    return failure();
  FailureOr<std::vector<Tensor>> actual = runBackend(after, inputs);
  if (failed(actual))
    return failure();
  if (expected->size() != actual->size())
    return fail("the pipeline changed the number of results");
  // The CPU backend computes in f32 and rounds to the declared type: it is
  // compared with the reference rounded the same way, within f32's error
  // plus one unit in the last place of that type at the largest element.
  bool rounds = backend == "cpu";
  auto limitFor = [&](Type element) {
    if (tolerance.getNumOccurrences())
      return tolerance.getValue();
    if (!rounds)
      return 1e-9;
    double ulp = element.isBF16() ? 0x1p-7 : element.isF16() ? 0x1p-10 : 0.0;
    return 1e-4 + ulp;
  };
  bool pass = true;
  double largestLimit = 0;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*expected, *actual))) {
    auto [e, a] = pair;
    if (e.shape != a.shape) {
      llvm::outs() << "result" << i << ": shape changed\n";
      pass = false;
      continue;
    }
    Type element = getElementTypeOrSelf(after.getResultTypes()[i]);
    if (rounds)
      roundToType(e, element);
    double limit = limitFor(element);
    largestLimit = std::max(largestLimit, limit);
    double error = relativeError(e, a);
    bool ok = error <= limit; // false for NaN
    pass &= ok;
    llvm::outs() << "result" << i << ": max relative error "
                 << llvm::format("%.3e", error) << (ok ? "" : " (too large)")
                 << "\n";
  }
  llvm::outs() << (pass ? "PASS" : "FAIL") << " (tolerance "
               << llvm::format("%.1e", largestLimit) << ")\n";
  return success(pass);
}

LogicalResult run(MLIRContext &context) {
  if (positional.empty())
    return fail("give the program: attention-run FILE.mlir ... (see --help)");
  if (backend != "interp" && backend != "cpu")
    return fail("unknown --backend '" + backend + "' (available: interp, cpu)");
  if (backend == "cpu") {
    llvm::Expected<std::string> target = cpu::compileTargetName();
    if (!target)
      return fail(llvm::toString(target.takeError()));
    if (verbose)
      llvm::errs() << "attention-run: CPU target " << *target << "\n";
  }
  if (resultType != "declared" && resultType != "f64")
    return fail("--result-type must be 'declared' or 'f64'");
  if (randomInputs == (!inputFiles.empty() || positional.size() > 1))
    return fail(randomInputs ? "give either --inputs or --random-inputs"
                             : "give --inputs FILES or --random-inputs");
  if (saveInputs && outputDir.empty())
    return fail("--save-inputs needs --output-dir");
  if (!fixedLengths.empty() && !randomInputs)
    return fail("--lengths needs --random-inputs");
  for (int64_t length : fixedLengths)
    if (length < 0 || length > kMaxSize)
      return fail("--lengths " + Twine(length) +
                  ": lengths must lie in [0, "
                  "2^24]");
  if (tolerance.getNumOccurrences() &&
      !(std::isfinite(tolerance) && tolerance >= 0))
    return fail("--tolerance must be a finite number >= 0");

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(positional.front(), sourceMgr, &context);
  if (!module) {
    if (!llvm::sys::fs::exists(positional.front()))
      return fail("cannot open '" + positional.front() + "'");
    return failure(); // the parser reported where
  }
  auto function = module->lookupSymbol<func::FuncOp>(functionName);
  if (!function)
    return fail("no function @" + functionName + " in '" + positional.front() +
                "'");
  if (function.isExternal())
    return function.emitError("has no body to run");

  FailureOr<std::vector<Tensor>> inputs =
      randomInputs ? makeRandomInputs(function) : readInputs(function);
  if (failed(inputs))
    return failure();
  if (saveInputs) {
    SmallVector<Type> types;
    for (Type type : function.getArgumentTypes())
      types.push_back(getElementTypeOrSelf(type));
    if (failed(writeTensors("input", *inputs, types)))
      return failure();
  }

  if (!sweep.empty()) {
    if (!randomInputs || (!check && comparePipeline.empty()))
      return fail("--sweep needs --random-inputs and --check or "
                  "--compare-pipeline");
    bool pass = true;
    for (StringRef set : llvm::split(StringRef(sweep), ';')) {
      std::vector<std::string> entries;
      for (StringRef entry : llvm::split(set.trim(), ','))
        if (!entry.trim().empty())
          entries.push_back(entry.trim().str());
      llvm::outs() << "sizes " << set.trim() << ":\n";
      FailureOr<std::vector<Tensor>> swept =
          makeRandomInputs(function, entries);
      pass &= succeeded(swept) && succeeded(compare(*module, function, *swept));
    }
    return success(pass);
  }
  if (check || !comparePipeline.empty())
    return compare(*module, function, *inputs);

  FailureOr<std::vector<Tensor>> results = runBackend(function, *inputs);
  if (failed(results))
    return failure();
  SmallVector<Type> types;
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(*results, function.getResultTypes()))) {
    auto [tensor, type] = pair;
    Type element = resultType == "f64" ? Float64Type::get(&context)
                                       : getElementTypeOrSelf(type);
    roundToType(tensor, element);
    printSummary("result" + std::to_string(i), tensor, element);
    types.push_back(element);
  }
  if (!outputDir.empty())
    return writeTensors("result", *results, types);
  return success();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, kOverview);
  if (printCpuTargets) {
    for (const std::string &target : cpu::runnableTargetNames())
      llvm::outs() << target << "\n";
    return 0;
  }
  DialectRegistry registry;
  registry.insert<AttnDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, tensor::TensorDialect>();
  registerTransformsPasses();
  registerAttnTransforms();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  return failed(run(context)) ? 1 : 0;
}
