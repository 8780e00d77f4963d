//===- Tensor.h - dense f64 tensors and .npy files --------------*- C++ -*-===//
//
// The interpreter's value type: a dense row-major tensor held in f64
// whatever the program's element type, because the interpreter is the
// semantic reference. Element types matter only at the edges, where .npy
// files are read and written.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_TENSOR_H
#define ATTN_SUPPORT_TENSOR_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace attn {

struct Tensor {
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<double> data;

  Tensor() = default;
  explicit Tensor(llvm::ArrayRef<int64_t> shape, double fill = 0.0);
  static Tensor filled(llvm::ArrayRef<int64_t> shape, double fill = 0.0) {
    return Tensor(shape, fill);
  }
  static Tensor scalar(double value) { return Tensor({}, value); }

  int64_t rank() const { return shape.size(); }
  int64_t size(unsigned i) const { return shape[i]; }
  int64_t numElements() const { return data.size(); }

  /// Row-major offset of an index (one entry per dimension). Inline and a
  /// plain loop: it is the interpreter's innermost call, and inlined the
  /// index array of `at({b, h, t, d})` stays in registers (in the sanitizer
  /// build too, where an out-of-line call costs the most).
  int64_t offset(llvm::ArrayRef<int64_t> index) const {
    const int64_t *i = index.data(), *extent = shape.data();
    size_t rank = index.size() < shape.size() ? index.size() : shape.size();
    int64_t offset = 0;
    for (size_t d = 0; d < rank; ++d)
      offset = offset * extent[d] + i[d];
    return offset;
  }
  double &at(llvm::ArrayRef<int64_t> index) { return data[offset(index)]; }
  double at(llvm::ArrayRef<int64_t> index) const { return data[offset(index)]; }
};

/// Number of elements of a shape, or -1 when it overflows int64.
int64_t countElements(llvm::ArrayRef<int64_t> shape);

/// Reads a little-endian, C-order .npy file into a tensor for an argument
/// of element type `elementType`. Float arguments accept f16 ('<f2'), f32,
/// f64 and, for bf16 arguments, bf16 bit patterns stored as uint16 ('<u2');
/// integer arguments accept int32 and int64.
llvm::Expected<Tensor> readNpy(llvm::StringRef path, mlir::Type elementType);

/// Writes a tensor as .npy in the storage of `elementType` (bf16 as '<u2'
/// bit patterns), rounding to nearest even.
llvm::Error writeNpy(llvm::StringRef path, const Tensor &tensor,
                     mlir::Type elementType);

/// Rounds every element to what `elementType` can hold.
void roundToType(Tensor &tensor, mlir::Type elementType);

} // namespace attn

#endif // ATTN_SUPPORT_TENSOR_H
