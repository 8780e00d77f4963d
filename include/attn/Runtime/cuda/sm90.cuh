//===- sm90.cuh - Hopper tile primitives for generated kernels --*- CUDA -*-===//
//
// The small pieces that kernels emitted by attention-opt --emit=cuda build
// on for sm_90a: mbarriers, bulk tensor copies (TMA), wgmma shared-memory
// descriptors and fences, register reallocation. The kernel structure
// (tiles, loops, pipelining, masks) and the wgmma instructions themselves
// are emitted by the compiler. Builds on sm80.cuh: ldmatrix and mma.sync
// run on Hopper too. Compiles under nvcc and NVRTC.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_SM90_CUH
#define ATTN_RUNTIME_CUDA_SM90_CUH

#include "attn/Runtime/cuda/sm80.cuh"
#include "attn/Runtime/cuda/tensor_map.h"

namespace attn_rt {

// --- mbarriers ------------------------------------------------------------

__device__ inline void mbarrierInit(unsigned long long *bar, unsigned count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(
                   sharedAddress(bar)),
               "r"(count)
               : "memory");
}

/// Makes initialized barriers visible to the async proxy (TMA) before use.
__device__ inline void fenceBarrierInit() {
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

__device__ inline void mbarrierArrive(unsigned long long *bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(
                   sharedAddress(bar))
               : "memory");
}

/// Arrives on `bar` once this thread's earlier cp.async copies have landed,
/// as one of the arrivals the barrier was initialized to expect (.noinc).
__device__ inline void cpAsyncArrive(unsigned long long *bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(
                   sharedAddress(bar))
               : "memory");
}

/// Arrives and announces `bytes` of copies that will complete on `bar`.
__device__ inline void mbarrierExpectBytes(unsigned long long *bar,
                                           unsigned bytes) {
  asm volatile(
      "mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(
          sharedAddress(bar)),
      "r"(bytes)
      : "memory");
}

/// Waits until the phase of parity `phase` of `bar` has completed.
__device__ inline void mbarrierWait(unsigned long long *bar, unsigned phase) {
  asm volatile("{\n"
               ".reg .pred done;\n"
               "ATTN_WAIT_%=:\n"
               "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra ATTN_WAIT_%=;\n"
               "}" ::"r"(sharedAddress(bar)),
               "r"(phase)
               : "memory");
}

// --- bulk tensor copies ----------------------------------------------------

/// Copies the box at coordinates (c0 innermost .. c3) of a 4-d tensor into
/// shared memory; the bytes complete on `bar`. Out-of-bounds elements are
/// filled with zeros, which gives partial tiles for free.
__device__ inline void tmaLoad4d(void *dst, const TensorMap *map,
                                 unsigned long long *bar, int c0, int c1,
                                 int c2, int c3) {
  asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile"
               ".mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], "
               "[%2];" ::"r"(sharedAddress(dst)),
               "l"(reinterpret_cast<unsigned long long>(map)),
               "r"(sharedAddress(bar)), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
               : "memory");
}

// --- wgmma -----------------------------------------------------------------

/// As cpAsyncTile, into the layout that TMA's 128-byte swizzle writes and
/// wgmmaDescriptor reads: kCols / 64 blocks of [kRows][64] elements, 16-byte
/// chunks XOR-swizzled by the row mod 8. `tile` must be 1024-byte aligned.
template <int kThreads, int kRows, int kCols, typename Elem>
__device__ inline void cpAsyncTileSw128(Elem *tile, const Elem *src,
                                        long long stride, int rows) {
  constexpr int kChunks = kCols / 8;
  static_assert(kCols % 64 == 0 && kRows * kChunks % kThreads == 0,
                "whole 64-column blocks, whole chunks per thread");
#pragma unroll
  for (int i = 0; i < kRows * kChunks / kThreads; ++i) {
    const int chunk = i * kThreads + threadIdx.x % kThreads;
    const int r = chunk / kChunks, c = chunk % kChunks;
    const bool valid = r < rows;
    cpAsync16(tile + c / 8 * kRows * 64 + r * 64 + ((c % 8) ^ (r % 8)) * 8,
              valid ? src + r * stride + c * 8 : src, valid);
  }
}

/// A wgmma shared-memory matrix descriptor for a tile written by TMA with
/// 128-byte swizzling: rows of 128 bytes, 8-row atoms of 1024 bytes.
/// `leadingBytes` and `strideBytes` are the descriptor's leading and stride
/// byte offsets (PTX ISA, "Matrix Descriptor Format").
__device__ inline unsigned long long
wgmmaDescriptor(const void *tile, unsigned leadingBytes, unsigned strideBytes) {
  unsigned long long address = sharedAddress(tile);
  unsigned long long desc = (address & 0x3FFFF) >> 4;
  desc |= (unsigned long long)((leadingBytes & 0x3FFFF) >> 4) << 16;
  desc |= (unsigned long long)((strideBytes & 0x3FFFF) >> 4) << 32;
  desc |= 1ull << 62; // 128-byte swizzle
  return desc;
}

__device__ inline void wgmmaFence() {
  asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
}
__device__ inline void wgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
}
template <int Pending> __device__ inline void wgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(Pending) : "memory");
}

/// Keeps the compiler from moving accesses to accumulator registers across
/// the asynchronous wgmma that reads and writes them.
template <int N> __device__ inline void registerFence(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
    asm volatile("" : "+f"(r[i])::"memory");
}

/// Orders this thread's shared-memory writes before later reads by the
/// async proxy (wgmma operands written with st.shared).
__device__ inline void fenceProxyAsync() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

/// Waits until `count` threads (whole warps) have reached barrier `id`;
/// id 0 is __syncthreads's.
__device__ inline void namedBarrierSync(int id, int count) {
  asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(count) : "memory");
}

/// Arrives at barrier `id` without waiting: the producer's half of a
/// handoff whose consumers wait with namedBarrierSync(id, count).
__device__ inline void namedBarrierArrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;" ::"r"(id), "r"(count) : "memory");
}

// --- register reallocation between warpgroups -------------------------------

template <int Count> __device__ inline void registersRelease() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(Count));
}
template <int Count> __device__ inline void registersAcquire() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(Count));
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_SM90_CUH
