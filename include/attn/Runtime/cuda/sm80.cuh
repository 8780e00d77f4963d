//===- sm80.cuh - mma.sync tile primitives (sm_80 and later) ----*- CUDA
//-*-===//
//
// Warp-level tensor-core and copy primitives for kernels that attention-opt
// --emit=cuda generates with mma.sync: they run on Ampere and Hopper alike.
// Compiles under nvcc and NVRTC (no host headers).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_SM80_CUH
#define ATTN_RUNTIME_CUDA_SM80_CUH

#include "attn/Runtime/cuda/common.cuh"

namespace attn_rt {

/// Element offset of (row, col) in a shared tile of 16-bit elements with
/// kCols columns (a multiple of 64): 16-byte chunks XOR-swizzled by the row
/// so that ldmatrix's 8 row reads hit distinct banks.
template <int kCols> __device__ inline int swizzle(int row, int col) {
  return row * kCols + ((((col >> 3) ^ row) & 7) | ((col >> 3) & ~7)) * 8 +
         (col & 7);
}

/// 16-byte global -> shared copy; zero-fills the destination when !valid.
__device__ inline void cpAsync16(void *smem, const void *gmem, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(
                   sharedAddress(smem)),
               "l"(gmem), "r"(valid ? 16 : 0));
}

/// 4-byte global -> shared copy; zero-fills the destination when !valid.
__device__ inline void cpAsync4(void *smem, const void *gmem, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(
                   sharedAddress(smem)),
               "l"(gmem), "r"(valid ? 4 : 0));
}

__device__ inline void cpAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::);
}

/// Waits until at most kPending committed groups are still in flight.
template <int kPending> __device__ inline void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

/// Four 8x8 matrices of 16-bit elements; lane i gives the row address of
/// matrix i / 8.
__device__ inline void ldmatrix4(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, "
               "[%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(smem)));
}

/// ldmatrix4 with each matrix transposed.
__device__ inline void ldmatrix4T(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, "
               "%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(smem)));
}

/// d += a b for a 16x16 A (row-major fragment), 16x8 B (column-major), f32
/// accumulators.
template <typename T>
__device__ inline void mma16816(float (&d)[4], const unsigned (&a)[4],
                                unsigned b0, unsigned b1);
template <>
__device__ inline void mma16816<__nv_bfloat16>(float (&d)[4],
                                               const unsigned (&a)[4],
                                               unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, "
               "%2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ inline void mma16816<__half>(float (&d)[4], const unsigned (&a)[4],
                                        unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, "
               "%2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/// The two 16-bit values of a register as floats (low first).
template <typename T> __device__ inline float2 unpack2(unsigned x);
template <> __device__ inline float2 unpack2<__nv_bfloat16>(unsigned x) {
  return __bfloat1622float2(*reinterpret_cast<__nv_bfloat162 *>(&x));
}
template <> __device__ inline float2 unpack2<__half>(unsigned x) {
  return __half22float2(*reinterpret_cast<__half2 *>(&x));
}

/// A register of two 16-bit values scaled by (a, b).
template <typename T>
__device__ inline unsigned scale2(unsigned x, float a, float b) {
  float2 f = unpack2<T>(x);
  return pack2<T>(f.x * a, f.y * b);
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_SM80_CUH
