//===- sm80.cuh - Ampere tile primitives for generated kernels -*- CUDA -*-===//
//
// The instructions that mma.sync kernels emitted by attention-opt
// --emit=cuda build on (softmax for sm_80, chunked linear attention for
// every architecture): asynchronous global-to-shared copies
// (cp.async), shared-memory fragment loads (ldmatrix) and the m16n8k16
// tensor-core MMA with f32 accumulators. The kernel structure (tiles,
// loops, pipelining, masks) is emitted by the compiler. Compiles under nvcc
// and NVRTC for sm_80 and later.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_SM80_CUH
#define ATTN_RUNTIME_CUDA_SM80_CUH

#include "attn/Runtime/cuda/common.cuh"

namespace attn_rt {

// --- shared tiles ------------------------------------------------------------

/// Element offset of (row, col) in a shared tile of 16-bit elements with
/// kCols columns (a multiple of 64): 16-byte chunks XOR-swizzled by the row
/// so that ldmatrix's 8 row reads hit distinct banks.
template <int kCols> __device__ inline int swizzle(int row, int col) {
  return row * kCols + ((((col >> 3) ^ row) & 7) | ((col >> 3) & ~7)) * 8 +
         (col & 7);
}

/// ldmatrix addresses into a swizzled tile without per-load arithmetic: a
/// lane that reads row `row` (any row of the same value mod 8 gives the same
/// pattern) at 8-column half `half` of each 16-column step kk reads element
/// swizzleStep(swizzleLane<kCols>(row, half), kk) == swizzle<kCols>(row,
/// 16 kk + 8 half); the step is an XOR and an add of constants.
template <int kCols> __device__ inline int swizzleLane(int row, int half) {
  return row * kCols + ((row & 6) | ((half ^ row) & 1)) * 8;
}
__device__ inline int swizzleStep(int laneOffset, int kk) {
  return (laneOffset ^ (kk % 4 * 16)) + kk / 4 * 64;
}

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

/// 4-byte global -> shared copy; zero-fills the destination when !valid.
__device__ inline void cpAsync4(void *smem, const void *gmem, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(
                   sharedAddress(smem)),
               "l"(gmem), "r"(valid ? 4 : 0)
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

/// Starts copying the first kRows rows of a [rows, kCols] matrix of 16-bit
/// elements (row stride `stride` elements) into a swizzled shared tile (see
/// swizzle), spread over kThreads threads; rows at or past `rows` are
/// zero-filled, so partial tiles read nothing out of bounds.
template <int kThreads, int kRows, int kCols, typename Elem>
__device__ inline void cpAsyncTile(Elem *tile, const Elem *src, long long stride,
                                   int rows) {
  constexpr int kChunks = kCols / 8;
  static_assert(kRows * kChunks % kThreads == 0, "whole chunks per thread");
  // A thread's chunks sit kPass rows apart in one column; when kPass keeps
  // the swizzle pattern (a multiple of 8 rows), each one is the first plus a
  // constant, so the index arithmetic is done once.
  constexpr int kPass = kThreads / kChunks;
  if constexpr (kThreads % kChunks == 0 && kPass % 8 == 0) {
    const int r0 = threadIdx.x % kThreads / kChunks, c = threadIdx.x % kChunks * 8;
    Elem *dst = tile + swizzle<kCols>(r0, c);
    const Elem *from = src + r0 * stride + c;
#pragma unroll
    for (int i = 0; i < kRows / kPass; ++i) {
      const bool valid = r0 + i * kPass < rows;
      cpAsync16(dst + i * kPass * kCols, valid ? from + i * kPass * stride : src,
                valid);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kRows * kChunks / kThreads; ++i) {
      const int chunk = i * kThreads + threadIdx.x % kThreads;
      const int r = chunk / kChunks, c = chunk % kChunks * 8;
      const bool valid = r < rows;
      cpAsync16(tile + swizzle<kCols>(r, c),
                valid ? src + r * stride + c : src, valid);
    }
  }
}

/// As cpAsyncTile with each row's source given by rowOf(r), or zero-filled
/// where rowOf gives nullptr: tiles gathered from pages. `fallback` is any
/// valid address (a zero-filled copy reads nothing from it). The rows'
/// sources come first, so that the loads rowOf makes (page tables) overlap
/// instead of each waiting behind the previous copy.
template <int kThreads, int kRows, int kCols, typename Elem, typename RowOf>
__device__ inline void cpAsyncRows(Elem *tile, const Elem *fallback, RowOf rowOf) {
  constexpr int kChunks = kCols / 8, kPerThread = kRows * kChunks / kThreads;
  static_assert(kRows * kChunks % kThreads == 0, "whole chunks per thread");
  const Elem *rows[kPerThread];
#pragma unroll
  for (int i = 0; i < kPerThread; ++i)
    rows[i] = rowOf((i * kThreads + threadIdx.x % kThreads) / kChunks);
#pragma unroll
  for (int i = 0; i < kPerThread; ++i) {
    const int chunk = i * kThreads + threadIdx.x % kThreads;
    const int r = chunk / kChunks, c = chunk % kChunks * 8;
    cpAsync16(tile + swizzle<kCols>(r, c), rows[i] ? rows[i] + c : fallback, rows[i] != nullptr);
  }
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

// --- 16-bit pairs ---------------------------------------------------------------

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
