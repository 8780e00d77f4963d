//===- storage.cuh - f32 storage around 16-bit kernels ----------*- CUDA
//-*-===//
//
// A program over f32 tensors runs on the tensor cores in bf16 or f16: its
// launcher converts each f32 input into a contiguous 16-bit copy, runs the
// kernels on the copies and converts the output back. Compiles under nvcc and
// NVRTC (no host headers).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_STORAGE_CUH
#define ATTN_RUNTIME_CUDA_STORAGE_CUH

#include "attn/Runtime/cuda/storage_layout.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace attn_rt {

/// Offset, in the strided tensor, of element `i` in row-major order.
__device__ inline long long stridedOffset(const StorageLayout &l, long long i) {
  long long offset = 0;
#pragma unroll
  for (int d = 3; d >= 0; --d) {
    offset += i % l.shape[d] * l.strides[d];
    i /= l.shape[d];
  }
  return offset;
}

__device__ inline long long elementCount(const StorageLayout &l) {
  return l.shape[0] * l.shape[1] * l.shape[2] * l.shape[3];
}

/// Strided f32 `from` to contiguous `to`, rounded to nearest even.
template <typename Elem>
__device__ inline void toCompute(const float *from, Elem *to, StorageLayout l) {
  const long long n = elementCount(l);
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x)
    to[i] = Elem(from[stridedOffset(l, i)]);
}

/// Contiguous `from` to strided f32 `to`.
template <typename Elem>
__device__ inline void toStorage(const Elem *from, float *to, StorageLayout l) {
  const long long n = elementCount(l);
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x)
    to[stridedOffset(l, i)] = float(from[i]);
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_STORAGE_CUH
