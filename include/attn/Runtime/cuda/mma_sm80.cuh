//===- mma_sm80.cuh - Ampere tile primitives for generated kernels -*- CUDA -*-===//
//
// The instructions that kernels emitted by attention-opt --emit=cuda
// --cuda-arch=sm_80 build on: asynchronous global-to-shared copies
// (cp.async), shared-memory fragment loads (ldmatrix) and the m16n8k16
// tensor-core MMA with f32 accumulators. The kernel structure (tiles,
// loops, pipelining, masks) is emitted by the compiler. Compiles under nvcc
// and NVRTC for sm_80 and later.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_MMA_SM80_CUH
#define ATTN_RUNTIME_CUDA_MMA_SM80_CUH

#include "attn/Runtime/cuda/common.cuh"

namespace attn_rt {

// --- cp.async ----------------------------------------------------------------

/// Starts a 16-byte copy from global to shared memory, bypassing L1. When
/// `valid` is false nothing is read and the 16 bytes are zero-filled, which
/// is how partial tiles are padded (`src` must still be a mapped address).
__device__ inline void cpAsync16(void *dst, const void *src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(
                   sharedAddress(dst)),
               "l"(src), "r"(valid ? 16 : 0)
               : "memory");
}

/// Closes the group of copies started since the last commit.
__device__ inline void cpAsyncCommit() {
  asm volatile("cp.async.commit_group;" ::: "memory");
}

/// Waits until at most `Pending` committed groups are still in flight.
template <int Pending> __device__ inline void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
}

// --- ldmatrix ------------------------------------------------------------------

/// Four 8x8 matrices of 16-bit elements; lane l gives the shared address of
/// row l % 8 of matrix l / 8 and receives, of each matrix i, the two
/// elements of row l / 4 at columns 2 (l % 4) and 2 (l % 4) + 1 in r[i].
__device__ inline void ldmatrixX4(unsigned (&r)[4], unsigned address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address)
               : "memory");
}

/// As ldmatrixX4 with each matrix transposed: r[i] holds column l / 4 at
/// rows 2 (l % 4) and 2 (l % 4) + 1.
__device__ inline void ldmatrixX4Trans(unsigned (&r)[4], unsigned address) {
  asm volatile(
      "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
      : "r"(address)
      : "memory");
}

// --- mma.sync ------------------------------------------------------------------

/// d += a b for a 16x16 A (row-major fragment of 4 registers), a 16x8 B
/// (column-major fragment b0, b1) and a 16x8 f32 accumulator d[0..3]: lane l
/// holds rows l / 4 and l / 4 + 8 at columns 2 (l % 4) and 2 (l % 4) + 1.
template <typename T>
__device__ inline void mmaM16N8K16(float *d, const unsigned (&a)[4],
                                   unsigned b0, unsigned b1);

template <>
__device__ inline void mmaM16N8K16<__nv_bfloat16>(float *d,
                                                  const unsigned (&a)[4],
                                                  unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0),
                 "r"(b1));
}

template <>
__device__ inline void mmaM16N8K16<__half>(float *d, const unsigned (&a)[4],
                                           unsigned b0, unsigned b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%0, %1, %2, %3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0),
                 "r"(b1));
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_MMA_SM80_CUH
