//===- common.cuh - tile primitives shared by all CUDA targets --*- CUDA -*-===//
//
// Fragment packing and warp reductions used by kernels that attention-opt
// --emit=cuda generates, for every architecture. Compiles under nvcc and
// NVRTC (no host headers).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_COMMON_CUH
#define ATTN_RUNTIME_CUDA_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#ifndef INFINITY // NVRTC has no <math.h>
#define INFINITY __int_as_float(0x7f800000)
#endif

namespace attn_rt {

__device__ inline unsigned sharedAddress(const void *p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

/// Two floats as one 32-bit register of two 16-bit values (low = a).
template <typename T> __device__ inline unsigned pack2(float a, float b);
template <> __device__ inline unsigned pack2<__nv_bfloat16>(float a, float b) {
  __nv_bfloat162 v = __floats2bfloat162_rn(a, b);
  return *reinterpret_cast<unsigned *>(&v);
}
template <> __device__ inline unsigned pack2<__half>(float a, float b) {
  __half2 v = __floats2half2_rn(a, b);
  return *reinterpret_cast<unsigned *>(&v);
}

/// Max and sum over the 4 lanes of a quad, which hold one accumulator row.
__device__ inline float quadMax(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quadSum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

__device__ inline float exp2Approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_COMMON_CUH
