//===- Tensor.cpp - dense f64 tensors and .npy files ---------------------===//

#include "attn/Support/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace attn;
using llvm::createStringError;
using llvm::StringRef;

Tensor::Tensor(llvm::ArrayRef<int64_t> shape, double fill)
    : shape(shape.begin(), shape.end()),
      data(static_cast<size_t>(countElements(shape)), fill) {}

int64_t attn::countElements(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    if (extent < 0 || llvm::MulOverflow(count, extent, count))
      return -1;
  return count;
}

namespace {
/// The .npy type string that stores `type`.
std::string storageDescr(mlir::Type type) {
  if (type.isBF16())
    return "<u2";
  if (auto f = llvm::dyn_cast<mlir::FloatType>(type))
    return "<f" + std::to_string(f.getWidth() / 8);
  return "<i" + std::to_string(type.getIntOrFloatBitWidth() / 8);
}

const llvm::fltSemantics *semanticsOf(StringRef descr, mlir::Type type) {
  if (descr == "<f2")
    return &llvm::APFloat::IEEEhalf();
  if (descr == "<u2" && type.isBF16())
    return &llvm::APFloat::BFloat();
  if (descr == "<f4")
    return &llvm::APFloat::IEEEsingle();
  if (descr == "<f8")
    return &llvm::APFloat::IEEEdouble();
  return nullptr;
}

double roundTo(double value, const llvm::fltSemantics &semantics) {
  llvm::APFloat f(value);
  bool lost;
  f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToDouble();
}

const llvm::fltSemantics *semanticsOf(mlir::Type type) {
  if (auto f = llvm::dyn_cast<mlir::FloatType>(type))
    return &f.getFloatSemantics();
  return nullptr;
}

/// Extracts the value text of `key` from the header dictionary.
std::optional<StringRef> headerField(StringRef header, StringRef key) {
  size_t at = header.find("'" + key.str() + "'");
  if (at == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  if (rest.starts_with("(")) {
    size_t close = rest.find(')');
    return close == StringRef::npos ? std::nullopt
                                    : std::optional(rest.slice(1, close));
  }
  if (rest.starts_with("'")) {
    size_t close = rest.find('\'', 1);
    return close == StringRef::npos ? std::nullopt
                                    : std::optional(rest.slice(1, close));
  }
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}
} // namespace

llvm::Expected<Tensor> attn::readNpy(StringRef path, mlir::Type elementType) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return createStringError(buffer.getError(), "cannot read '%s': %s",
                             path.str().c_str(),
                             buffer.getError().message().c_str());
  StringRef bytes = (*buffer)->getBuffer();
  auto fail = [&](const llvm::Twine &why) {
    return createStringError(llvm::inconvertibleErrorCode(),
                             "'" + path +
                                 "' is not a usable .npy file: " + why);
  };
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return fail("no .npy magic");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerStart = major == 1 ? 10 : 12;
  if (major < 1 || major > 3 || bytes.size() < headerStart)
    return fail("unknown format version " + llvm::Twine(major));
  uint32_t headerLength = static_cast<unsigned char>(bytes[8]) |
                          static_cast<unsigned char>(bytes[9]) << 8;
  if (major > 1)
    headerLength |=
        static_cast<uint32_t>(static_cast<unsigned char>(bytes[10])) << 16 |
        static_cast<uint32_t>(static_cast<unsigned char>(bytes[11])) << 24;
  if (bytes.size() < headerStart + headerLength)
    return fail("truncated header");
  StringRef header = bytes.substr(headerStart, headerLength);
  auto descr = headerField(header, "descr");
  auto fortran = headerField(header, "fortran_order");
  auto shapeText = headerField(header, "shape");
  if (!descr || !fortran || !shapeText)
    return fail("header lacks descr, fortran_order or shape");
  if (*fortran != "False")
    return fail("Fortran order is not supported; save it C-contiguous");

  Tensor tensor;
  for (StringRef item : llvm::split(*shapeText, ',')) {
    item = item.trim();
    if (item.empty())
      continue;
    int64_t extent;
    if (item.getAsInteger(10, extent) || extent < 0)
      return fail("bad shape entry '" + item + "'");
    tensor.shape.push_back(extent);
  }
  int64_t count = countElements(tensor.shape);
  if (count < 0)
    return fail("shape too large");

  StringRef d = *descr;
  if (d.size() == 3 && d[0] == '|')
    d = d.drop_front(); // one-byte types carry no byte order
  size_t width = 0;
  bool isFloatArg = llvm::isa<mlir::FloatType>(elementType);
  const llvm::fltSemantics *semantics = semanticsOf(d, elementType);
  if (isFloatArg && semantics)
    width = llvm::APFloat::getSizeInBits(*semantics) / 8;
  else if (!isFloatArg && (d == "<i4" || d == "<i8"))
    width = d == "<i4" ? 4 : 8;
  else
    return fail("element type '" + *descr + "' does not fit " +
                (isFloatArg ? "a float" : "an integer") + " argument (" +
                (elementType.isBF16()
                     ? llvm::Twine("bf16 is stored as '<u2' bit patterns")
                     : llvm::Twine("expected " + storageDescr(elementType))) +
                ")");
  StringRef payload = bytes.drop_front(headerStart + headerLength);
  if (payload.size() != static_cast<size_t>(count) * width)
    return fail("holds " + llvm::Twine(payload.size()) + " data bytes, shape " +
                "needs " + llvm::Twine(count * width));

  tensor.data.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    const char *p = payload.data() + i * width;
    uint64_t raw = 0;
    std::memcpy(&raw, p, width); // little-endian host, as the file
    if (!semantics) {
      tensor.data[i] = width == 4
                           ? static_cast<double>(static_cast<int32_t>(raw))
                           : static_cast<double>(static_cast<int64_t>(raw));
      continue;
    }
    llvm::APFloat value(*semantics, llvm::APInt(width * 8, raw));
    bool lost;
    value.convert(llvm::APFloat::IEEEdouble(),
                  llvm::APFloat::rmNearestTiesToEven, &lost);
    tensor.data[i] = value.convertToDouble();
  }
  return tensor;
}

void attn::roundToType(Tensor &tensor, mlir::Type elementType) {
  if (const llvm::fltSemantics *semantics = semanticsOf(elementType)) {
    if (semantics != &llvm::APFloat::IEEEdouble())
      for (double &v : tensor.data)
        v = roundTo(v, *semantics);
    return;
  }
  for (double &v : tensor.data)
    v = std::nearbyint(v);
}

llvm::Error attn::writeNpy(StringRef path, const Tensor &tensor,
                           mlir::Type elementType) {
  std::string descr = storageDescr(elementType);
  std::string shape;
  for (int64_t extent : tensor.shape)
    shape += std::to_string(extent) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 1); // (2,) for rank 1, (2, 3) otherwise
  else if (tensor.shape.empty())
    shape.clear();
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad so the data starts at a multiple of 64 bytes, newline-terminated.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write '%s': %s", path.str().c_str(),
                             ec.message().c_str());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  const llvm::fltSemantics *semantics = semanticsOf(elementType);
  size_t width = descr[2] - '0';
  for (double v : tensor.data) {
    uint64_t raw;
    if (semantics) {
      llvm::APFloat f(v);
      bool lost;
      f.convert(*semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
      raw = f.bitcastToAPInt().getZExtValue();
    } else {
      raw = static_cast<uint64_t>(static_cast<int64_t>(v));
    }
    os.write(reinterpret_cast<const char *>(&raw), width);
  }
  return llvm::Error::success();
}
