//===- Storage.cpp - f32 programs on 16-bit tensor cores -----------------===//
//
// The kernels read bf16 or f16 tensors (tensor-core inputs). A program over
// f32 tensors compiles as written: the kernels are emitted for a clone whose
// data tensors (queries, keys, values, NSA's pooling weights, the indexer's
// queries and keys, and the output) have the compute type, and the launcher
// with the program's f32 C ABI converts each such input into a contiguous
// copy, runs the clone's launcher and converts the output back. Gates,
// states, lengths and other f32 inputs the kernels take as they are stay f32.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
/// The operands a family's kernels read in the compute type.
SmallVector<Value> dataOperands(Operation *op) {
  SmallVector<Value> data;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](AttentionOp a) {
        llvm::append_range(data, a.getQueries());
        llvm::append_range(data, a.getKeys());
        data.push_back(a.getValues());
      })
      .Case([&](NsaOp n) {
        data.append({n.getQuery(), n.getKey(), n.getValue()});
        llvm::append_range(data, n.getKeyWeights());
        llvm::append_range(data, n.getValueWeights());
      })
      .Case([&](ChunkedScanOp c) {
        data.append({c.getQuery(), c.getKey(), c.getValue()});
      })
      .Case([&](IndexScoreOp i) {
        data.append({i.getQuery(), i.getKey()});
      });
  return data;
}

bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}
} // namespace

FailureOr<std::optional<NarrowedFunction>>
cuda::narrowStorage(func::FuncOp function, Type compute) {
  NarrowedFunction n;
  n.module = ModuleOp::create(function.getLoc());
  n.function = cast<func::FuncOp>(function->clone());
  n.module->push_back(n.function);
  auto narrow = [&](Value value) {
    value.setType(cast<RankedTensorType>(value.getType()).clone(compute));
  };
  Block &entry = n.function.getBody().front();
  n.function.walk([&](Operation *op) {
    for (Value data : dataOperands(op)) {
      // Paged caches narrow their pools.
      if (auto paged = data.getDefiningOp<PagedCacheOp>()) {
        if (isF32Tensor(paged.getType()))
          narrow(paged.getResult());
        data = paged.getPages();
      }
      auto arg = dyn_cast<BlockArgument>(data);
      if (arg && arg.getOwner() == &entry && isF32Tensor(arg.getType()) &&
          !llvm::is_contained(n.arguments, arg.getArgNumber())) {
        narrow(arg);
        n.arguments.push_back(arg.getArgNumber());
      }
    }
  });
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    Operation *def = value.getDefiningOp();
    if (isa_and_nonnull<AttentionOp, NsaOp, ChunkedScanOp>(def) &&
        value == def->getResult(0) && isF32Tensor(value.getType())) {
      narrow(value);
      n.results.push_back(i);
    }
  }
  if (n.arguments.empty() && n.results.empty())
    return std::optional<NarrowedFunction>();
  llvm::sort(n.arguments);
  n.function.setType(FunctionType::get(
      function.getContext(), entry.getArgumentTypes(), ret.getOperandTypes()));
  if (failed(verify(*n.module)))
    return function.emitError("the CUDA backend could not run this f32 "
                              "program in 16-bit storage");
  return std::optional<NarrowedFunction>(std::move(n));
}

void cuda::addStorageConversion(KernelParts &parts, func::FuncOp function,
                                const NarrowedFunction &narrowed,
                                StringRef name, StringRef inner, Type compute) {
  std::string elem = elementTypeName(compute).str();
  parts.device += "\n#include \"attn/Runtime/cuda/storage.cuh\"\n"
                  "extern \"C\" __global__ void " +
                  name.str() + "_to_compute(const float *from, " + elem +
                  " *to, attn_rt::StorageLayout layout) {\n"
                  "  attn_rt::toCompute(from, to, layout);\n}\n"
                  "extern \"C\" __global__ void " +
                  name.str() + "_to_storage(const " + elem +
                  " *from, float *to, attn_rt::StorageLayout layout) {\n"
                  "  attn_rt::toStorage(from, to, layout);\n}\n";

  // The launcher's parameters: the arguments in order, then the results.
  SmallVector<StringRef> params;
  for (StringRef param : llvm::split(parts.parameters, ", "))
    params.push_back(param.substr(param.rfind('*') + 1));
  struct Converted {
    std::string param;
    int64_t rank;
    bool input;
  };
  SmallVector<Converted> converted;
  for (unsigned i : narrowed.arguments)
    converted.push_back(
        {params[i].str(),
         cast<RankedTensorType>(function.getArgumentTypes()[i]).getRank(),
         true});
  for (unsigned i : narrowed.results)
    converted.push_back(
        {params[function.getNumArguments() + i].str(),
         cast<RankedTensorType>(function.getResultTypes()[i]).getRank(),
         false});

  std::string out;
  llvm::raw_string_ostream os(out);
  os << "\n// " << function.getName()
     << " over f32 storage: converted to and from " << elem << " copies.\n"
     << "extern \"C\" int " << name << "(" << parts.parameters
     << ", void *stream) {\n"
     << "  const int kRank[] = {";
  llvm::interleaveComma(converted, os,
                        [&](const Converted &c) { os << c.rank; });
  os << "};\n  const attn_cuda_tensor *kStored[] = {";
  llvm::interleaveComma(converted, os,
                        [&](const Converted &c) { os << c.param; });
  os << "};\n  constexpr int kCount = " << converted.size() << ";\n"
     << "  attn_cuda_tensor copies[kCount];\n"
        "  attn_rt::StorageLayout layouts[kCount];\n"
        "  long long counts[kCount];\n"
        "  size_t bytes = 0;\n"
        "  for (int i = 0; i < kCount; ++i) {\n"
        "    if (!attn_rt::storageLayout(kStored[i]->shape, "
        "kStored[i]->strides, kRank[i], layouts[i], counts[i]))\n"
        "      return attnFail(1, \"a tensor has a negative size\");\n"
        "    copies[i] = *kStored[i];\n"
        "    attn_rt::contiguousStrides(copies[i].shape, kRank[i], "
        "copies[i].strides);\n"
        "    bytes += (counts[i] * sizeof("
     << elem
     << ") + 255) / 256 * 256;\n"
        "  }\n"
        "  void *scratch = nullptr;\n"
        "  if (int rc = attn_rt::scratch(&scratch, bytes ? bytes : 1, "
        "stream))\n"
        "    return rc;\n"
        "  char *next = static_cast<char *>(scratch);\n"
        "  int rc = 0;\n"
        "  for (int i = 0; i < kCount; ++i) {\n"
        "    copies[i].data = next;\n"
        "    next += (counts[i] * sizeof("
     << elem << ") + 255) / 256 * 256;\n";
  unsigned inputs = narrowed.arguments.size();
  os << "    if (rc == 0 && i < " << inputs
     << ")\n"
        "      rc = attn_rt::convertStorage(attnKernel("
     << name
     << "_to_compute), kStored[i]->data, copies[i].data, layouts[i], "
        "counts[i], stream);\n"
        "  }\n";
  // The inner launcher, on the copies where there are copies.
  SmallVector<std::string> args;
  for (StringRef param : params) {
    auto it = llvm::find_if(
        converted, [&](const Converted &c) { return c.param == param; });
    args.push_back(it == converted.end()
                       ? param.str()
                       : "&copies[" + std::to_string(it - converted.begin()) +
                             "]");
  }
  os << "  if (rc == 0)\n    rc = " << inner << "(" << llvm::join(args, ", ")
     << ", stream);\n"
     << "  for (int i = " << inputs << "; rc == 0 && i < kCount; ++i)\n"
     << "    rc = attn_rt::convertStorage(attnKernel(" << name
     << "_to_storage), copies[i].data, kStored[i]->data, layouts[i], "
        "counts[i], stream);\n"
        "  cudaFreeAsync(scratch, static_cast<cudaStream_t>(stream));\n"
        "  return rc;\n}\n";
  parts.launcher += out;
  parts.doc += "\n// f32 tensors are converted to " + elem +
               " for the tensor cores (and the output back).";
}
