//===- CpuBackend.cpp - JIT and ahead-of-time CPU kernels ----------------===//

#include "attn/Target/Cpu/CpuBackend.h"
#include "Lowering.h"
#include "attn/Interpreter/Interpreter.h"
#include "attn/Target/Cpu/HostTarget.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <mutex>

using namespace mlir;
using namespace attn;
using namespace attn::cpu;
using Halide::Expr;

namespace {
/// A lowered function ready to run: its pipeline, its inputs, and its shape
/// checks with each op named by its position in the function's walk order,
/// so that a cached pipeline reports errors at the ops of whichever copy of
/// the program runs it.
struct Kernel {
  std::vector<Halide::ImageParam> inputs;
  std::vector<Halide::Type> outputStorage;
  std::vector<std::vector<Expr>> outputShapes;
  struct Check {
    unsigned opIndex;
    Expr condition;
    std::string message;
  };
  std::vector<Check> checks;
  Halide::Pipeline pipeline;
};

/// Lowers `function`; outputs are cast to their storage types and guarded by
/// every shape check, so an ahead-of-time kernel returns an error code
/// instead of computing on shapes that do not fit.
FailureOr<std::shared_ptr<Kernel>> buildKernel(func::FuncOp function) {
  LoweringContext ctx(function);
  try {
    if (failed(lowerFunction(ctx)))
      return failure();
    auto kernel = std::make_shared<Kernel>();
    kernel->inputs = ctx.inputs;
    llvm::DenseMap<Operation *, unsigned> opIndex;
    function.walk([&](Operation *op) { opIndex[op] = opIndex.size(); });
    std::vector<std::pair<Expr, std::string>> guards;
    for (const ShapeCheck &check : ctx.checks) {
      kernel->checks.push_back(
          {opIndex.lookup(check.op), check.condition, check.message});
      guards.push_back({check.condition, locationText(check.op->getLoc()) +
                                             ": " + check.message});
    }
    std::vector<Halide::Func> outputs;
    for (auto [i, tensor] : llvm::enumerate(ctx.outputs)) {
      auto type = cast<ShapedType>(function.getResultTypes()[i]);
      std::optional<Halide::Type> storage = storageType(type.getElementType());
      if (!storage)
        return function.emitError() << "result " << i << " has type " << type
                                    << "; the CPU backend returns tensors of "
                                       "f32, bf16, f16, i32 or i64";
      IndexVars idx(tensor.rank());
      Expr value = Halide::cast(*storage, tensor(idx.exprs()));
      for (auto &[condition, message] : guards)
        value = Halide::require(condition, value, message);
      Halide::Func out("result" + std::to_string(i));
      out(idx.halide) = value;
      scheduleRoot({out, tensor.shape, *storage});
      for (int d = 0; d < tensor.rank(); ++d) {
        out.output_buffer().dim(tensor.rank() - 1 - d).set_min(0);
        out.output_buffer()
            .dim(tensor.rank() - 1 - d)
            .set_extent(tensor.shape[d]);
      }
      outputs.push_back(out);
      kernel->outputStorage.push_back(*storage);
      kernel->outputShapes.push_back(tensor.shape);
    }
    kernel->pipeline = Halide::Pipeline(outputs);
    return kernel;
  } catch (const Halide::Error &e) {
    return function.emitError() << "the CPU backend failed to build the "
                                   "kernel: "
                                << e.what();
  }
}

struct KernelCache {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<Kernel>> kernels;
  unsigned compiled = 0;
};
KernelCache &cache() {
  static KernelCache instance;
  return instance;
}

FailureOr<std::shared_ptr<Kernel>> getCompiledKernel(func::FuncOp function) {
  std::string key;
  llvm::raw_string_ostream os(key);
  function->print(os, OpPrintingFlags().printGenericOpForm());
  KernelCache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.kernels.find(key);
  if (it != c.kernels.end())
    return it->second;
  llvm::Expected<Halide::Target> target = compileTarget();
  if (!target)
    return function.emitError() << llvm::toString(target.takeError());
  FailureOr<std::shared_ptr<Kernel>> kernel = buildKernel(function);
  if (failed(kernel))
    return failure();
  try {
    (*kernel)->pipeline.compile_jit(*target);
  } catch (const Halide::Error &e) {
    return function.emitError()
           << "the CPU backend failed to compile the kernel: " << e.what();
  }
  ++c.compiled;
  c.kernels[key] = *kernel;
  return *kernel;
}

/// Evaluates an expression over input extents to a constant.
std::optional<int64_t> evaluate(Expr e,
                                const std::map<std::string, Expr> &env) {
  Expr value = Halide::Internal::simplify(Halide::Internal::substitute(env, e));
  if (std::optional<int64_t> i = compat::constInt(value))
    return *i;
  if (std::optional<uint64_t> u = compat::constUInt(value))
    return int64_t(*u);
  return std::nullopt;
}

template <typename T>
Halide::Buffer<> toBuffer(const Tensor &tensor, Halide::Type type) {
  std::vector<int> extents(tensor.shape.rbegin(), tensor.shape.rend());
  Halide::Buffer<T> buffer(extents);
  T *data = buffer.data();
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    data[i] = T(tensor.data[i]);
  return buffer;
}

Halide::Buffer<> toBuffer(const Tensor &tensor, Halide::Type type) {
  if (type == Halide::BFloat(16))
    return toBuffer<Halide::bfloat16_t>(tensor, type);
  if (type == Halide::Float(16))
    return toBuffer<Halide::float16_t>(tensor, type);
  if (type.is_float())
    return toBuffer<float>(tensor, type);
  if (type.bits() == 64)
    return toBuffer<int64_t>(tensor, type);
  return toBuffer<int32_t>(tensor, type);
}

template <typename T> Tensor fromBuffer(const Halide::Buffer<T> &buffer) {
  std::vector<int64_t> shape;
  for (int d = buffer.dimensions() - 1; d >= 0; --d)
    shape.push_back(buffer.dim(d).extent());
  Tensor tensor(shape);
  const T *data = buffer.data();
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.data[i] = double(data[i]);
  return tensor;
}

Tensor fromBuffer(const Halide::Buffer<> &buffer) {
  Halide::Type type = buffer.type();
  if (type == Halide::BFloat(16))
    return fromBuffer(Halide::Buffer<Halide::bfloat16_t>(buffer));
  if (type == Halide::Float(16))
    return fromBuffer(Halide::Buffer<Halide::float16_t>(buffer));
  if (type.is_float())
    return fromBuffer(Halide::Buffer<float>(buffer));
  if (type.bits() == 64)
    return fromBuffer(Halide::Buffer<int64_t>(buffer));
  return fromBuffer(Halide::Buffer<int32_t>(buffer));
}
} // namespace

unsigned cpu::compiledPipelineCount() { return cache().compiled; }

FailureOr<std::vector<Tensor>> cpu::run(func::FuncOp function,
                                        ArrayRef<Tensor> arguments) {
  if (failed(checkArguments(function, arguments)))
    return failure();
  FailureOr<std::shared_ptr<Kernel>> compiled = getCompiledKernel(function);
  if (failed(compiled))
    return failure();
  Kernel &kernel = **compiled;

  std::map<std::string, Expr> extents;
  compat::InputBindings params;
  std::vector<Halide::Buffer<>> inputBuffers;
  for (auto [i, tensor] : llvm::enumerate(arguments)) {
    if (llvm::any_of(tensor.shape, [](int64_t extent) {
          return extent > std::numeric_limits<int32_t>::max();
        }))
      return function.emitError()
             << "argument " << i << " has an extent past 2^31 - 1";
    Halide::ImageParam &param = kernel.inputs[i];
    inputBuffers.push_back(toBuffer(tensor, param.type()));
    params.set(param, inputBuffers.back());
    for (int d = 0; d < tensor.rank(); ++d) {
      std::string prefix = param.name() + ".";
      int hd = tensor.rank() - 1 - d;
      extents[prefix + "extent." + std::to_string(hd)] =
          Expr(int(tensor.size(d)));
      extents[prefix + "min." + std::to_string(hd)] = Expr(0);
    }
  }

  // Shape errors at the op, before the kernel sees the inputs.
  std::vector<Operation *> ops;
  function.walk([&](Operation *op) { ops.push_back(op); });
  for (const Kernel::Check &check : kernel.checks) {
    std::optional<int64_t> holds = evaluate(check.condition, extents);
    if (holds && !*holds)
      return ops[check.opIndex]->emitError() << check.message;
  }

  std::vector<Halide::Buffer<>> outputs;
  for (auto [storage, shape] :
       llvm::zip(kernel.outputStorage, kernel.outputShapes)) {
    std::vector<int> halideExtents;
    for (const Expr &extent : llvm::reverse(shape)) {
      std::optional<int64_t> value = evaluate(extent, extents);
      if (!value || *value < 0)
        return function.emitError(
            "cannot size a result from the inputs' shapes");
      halideExtents.push_back(int(*value));
    }
    outputs.emplace_back(storage, halideExtents);
  }
  try {
    // Compiled for compileTarget(), which succeeded before the kernel was.
    params.realize(kernel.pipeline, Halide::Realization(outputs),
                   llvm::cantFail(compileTarget()));
  } catch (const Halide::Error &e) {
    return function.emitError() << "the CPU kernel failed: " << e.what();
  }
  std::vector<Tensor> results;
  for (const Halide::Buffer<> &buffer : outputs)
    results.push_back(fromBuffer(buffer));
  return results;
}

//===----------------------------------------------------------------------===//
// Ahead of time
//===----------------------------------------------------------------------===//

namespace {
std::string cType(Halide::Type type) {
  if (type.is_float())
    return type.bits() == 32 ? "float" : "uint16_t";
  return type.bits() == 64 ? "int64_t" : "int32_t";
}

std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

/// The C ABI: one attn_tensor per argument and result, shapes outermost
/// first as in the MLIR types, strides in elements.
void writeHeader(llvm::raw_ostream &os, func::FuncOp function, StringRef name,
                 StringRef halideName) {
  std::string guard = ("ATTN_KERNEL_" + name + "_H").str();
  for (char &c : guard)
    c = std::isalnum(static_cast<unsigned char>(c)) ? std::toupper(c) : '_';
  os << "/* " << name << ": generated by attention-opt --emit=cpu from @"
     << function.getName() << ". Do not edit. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n"
     << "#include <string.h>\n\n"
     << "#include \"" << halideName << ".h\"\n\n"
     << "#ifndef ATTN_TENSOR_DEFINED\n#define ATTN_TENSOR_DEFINED\n"
     << "/* A tensor in memory: `shape` lists the extents outermost first (as\n"
     << "   in the MLIR type), `strides` the distance in elements between\n"
     << "   neighbours along each dimension (NULL: dense, row-major). bf16 "
        "and\n"
     << "   f16 elements are stored as uint16_t bit patterns. */\n"
     << "typedef struct attn_tensor {\n  void *data;\n  const int64_t *shape;\n"
     << "  const int64_t *strides;\n} attn_tensor;\n\n"
     << "/* Returned when a data pointer is NULL or an extent or stride does\n"
     << "   not fit in 32 bits. Other non-zero codes are Halide's\n"
     << "   (HalideRuntime.h, enum halide_error_code_t): a shape that does\n"
     << "   not fit the program gives halide_error_code_requirement_failed\n"
     << "   or a buffer-extent error, and a message on stderr. */\n"
     << "#define ATTN_ERROR_BAD_TENSOR (-1000)\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
     << "/* From HalideRuntime.h, which the kernel's header does not include. "
        "*/\n"
     << "typedef void (*attn_halide_error_handler_)(void *, const char *);\n"
     << "attn_halide_error_handler_ halide_set_error_handler(\n"
     << "    attn_halide_error_handler_ handler);\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "/* Halide's default handler aborts the process; this one prints the\n"
     << "   message so that the kernel returns its error code. Every call\n"
     << "   installs it: a program with Halide pipelines of its own that\n"
     << "   wants another handler sets it again after the call. */\n"
     << "static inline void attn_print_error_(void *user_context,\n"
     << "    const char *message) {\n"
     << "  size_t length = strlen(message);\n  (void)user_context;\n"
     << "  fprintf(stderr, \"Error: %s%s\", message,\n"
     << "          length && message[length - 1] == '\\n' ? \"\" : "
        "\"\\n\");\n}\n\n"
     << "static inline int attn_fill_buffer_(halide_buffer_t *buffer,\n"
     << "    halide_dimension_t *dims, const attn_tensor *tensor, int rank,\n"
     << "    uint8_t code, uint8_t bits) {\n"
     << "  int64_t dense = 1;\n  int i;\n"
     << "  if (tensor == NULL || tensor->data == NULL ||\n"
     << "      (rank > 0 && tensor->shape == NULL))\n"
     << "    return ATTN_ERROR_BAD_TENSOR;\n"
     << "  for (i = rank - 1; i >= 0; --i) {\n"
     << "    int64_t extent = tensor->shape[i];\n"
     << "    int64_t stride = tensor->strides ? tensor->strides[i] : dense;\n"
     << "    if (extent < 0 || extent > INT32_MAX || stride > INT32_MAX ||\n"
     << "        stride < INT32_MIN)\n"
     << "      return ATTN_ERROR_BAD_TENSOR;\n"
     << "    dims[rank - 1 - i].min = 0;\n"
     << "    dims[rank - 1 - i].extent = (int32_t)extent;\n"
     << "    dims[rank - 1 - i].stride = (int32_t)stride;\n"
     << "    dims[rank - 1 - i].flags = 0;\n"
     << "    dense *= extent;\n  }\n"
     << "  buffer->device = 0;\n  buffer->device_interface = NULL;\n"
     << "  buffer->host = (uint8_t *)tensor->data;\n  buffer->flags = 0;\n"
     << "  buffer->type.code = (halide_type_code_t)code;\n"
     << "  buffer->type.bits = bits;\n"
     << "  buffer->type.lanes = 1;\n  buffer->dimensions = rank;\n"
     << "  buffer->dim = dims;\n  buffer->padding = NULL;\n  return 0;\n}\n"
     << "#endif\n\n";

  struct Param {
    std::string name, comment;
    ShapedType type;
  };
  std::vector<Param> params;
  for (auto [i, type] : llvm::enumerate(function.getArgumentTypes())) {
    std::string comment = typeText(type);
    if (auto dims = function.getArgAttrOfType<StringAttr>(i, "attn.dims"))
      comment += " [" + dims.getValue().str() + "]";
    params.push_back(
        {"arg" + std::to_string(i), comment, cast<ShapedType>(type)});
  }
  for (auto [i, type] : llvm::enumerate(function.getResultTypes()))
    params.push_back({"result" + std::to_string(i), typeText(type) + " (out)",
                      cast<ShapedType>(type)});

  os << "/* Runs @" << function.getName() << ". Element types:\n";
  for (const Param &p : params)
    os << " *   " << p.name << ": "
       << cType(*storageType(p.type.getElementType())) << ", " << p.comment
       << "\n";
  os << " * Returns 0 on success. */\n"
     << "static inline int " << name << "(";
  for (auto [i, p] : llvm::enumerate(params))
    os << (i ? ", " : "") << (p.name.rfind("arg", 0) == 0 ? "const " : "")
       << "attn_tensor *" << p.name;
  os << ") {\n  halide_set_error_handler(attn_print_error_);\n";
  for (const Param &p : params) {
    Halide::Type storage = *storageType(p.type.getElementType());
    int code = storage.code(), bits = storage.bits();
    int64_t rank = p.type.getRank();
    os << "  halide_buffer_t " << p.name << "_buffer;\n"
       << "  halide_dimension_t " << p.name << "_dims["
       << std::max<int64_t>(rank, 1) << "];\n"
       << "  int " << p.name << "_error = attn_fill_buffer_(&" << p.name
       << "_buffer, " << p.name << "_dims, " << p.name << ", " << rank << ", "
       << code << ", " << bits << ");\n"
       << "  if (" << p.name << "_error)\n    return " << p.name << "_error;\n";
  }
  os << "  return " << halideName << "(";
  for (auto [i, p] : llvm::enumerate(params))
    os << (i ? ", " : "") << "&" << p.name << "_buffer";
  os << ");\n}\n\n#endif\n";
}
} // namespace

LogicalResult cpu::emitLibrary(func::FuncOp function, StringRef directory,
                               StringRef name, StringRef target) {
  std::string kernelName = name.empty() ? function.getName().str() : name.str();
  FailureOr<std::shared_ptr<Kernel>> kernel = buildKernel(function);
  if (failed(kernel))
    return failure();
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return function.emitError()
           << "cannot create " << directory << ": " << ec.message();
  std::string halideName = kernelName + "_halide";
  llvm::SmallString<256> prefix(directory);
  llvm::sys::path::append(prefix, halideName);
  Halide::Target halideTarget;
  if (target == "host") {
    llvm::Expected<Halide::Target> host = compileTarget();
    if (!host)
      return function.emitError() << llvm::toString(host.takeError());
    halideTarget = *host;
  } else if (!Halide::Target::validate_target_string(target.str())) {
    return function.emitError()
           << "'" << target << "' is not a Halide target (e.g. host, "
           << "x86-64-linux-avx-avx2-f16c-fma-sse41, arm-64-linux)";
  } else {
    halideTarget = Halide::Target(target.str());
  }
  try {
    std::vector<Halide::Argument> args((*kernel)->inputs.begin(),
                                       (*kernel)->inputs.end());
    // The lowered statement is the listing a user reads to see the loops.
    std::string base = prefix.str().str();
    (*kernel)->pipeline.compile_to(
        {{Halide::OutputFileType::static_library, base + ".a"},
         {Halide::OutputFileType::c_header, base + ".h"},
         {Halide::OutputFileType::stmt, base + ".stmt"}},
        args, halideName, halideTarget);
  } catch (const Halide::Error &e) {
    return function.emitError()
           << "the CPU backend failed to compile the kernel: " << e.what();
  }
  llvm::SmallString<256> library(directory), header(directory);
  llvm::sys::path::append(library, kernelName + ".a");
  llvm::sys::path::append(header, kernelName + ".h");
  if (std::error_code ec = llvm::sys::fs::rename(prefix + ".a", library))
    return function.emitError()
           << "cannot write " << library << ": " << ec.message();
  std::error_code ec;
  llvm::raw_fd_ostream os(header, ec);
  if (ec)
    return function.emitError()
           << "cannot write " << header << ": " << ec.message();
  writeHeader(os, function, kernelName, halideName);
  return success();
}
