//===- host.h - host side of generated CUDA launchers -----------*- C++ -*-===//
//
// Included by the launcher part of every source that attention-opt
// --emit=cuda writes: argument errors with a message, and TMA descriptors
// encoded through the driver entry point (no link against libcuda).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_HOST_H
#define ATTN_RUNTIME_CUDA_HOST_H

#include "attn/Runtime/cuda/storage_layout.h"
#include "attn/Runtime/cuda/tensor_map.h"

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>

namespace attn_rt {

/// The message of the calling thread's last failed launch.
inline char *lastError() {
  static thread_local char message[512];
  return message;
}

/// Records a message and returns `code`, the launcher's result.
inline int fail(int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(lastError(), 512, format, args);
  va_end(args);
  return code;
}

/// Launches a generated kernel (null when it could not be loaded, the
/// reason already recorded): the launcher's result.
inline int launch(const void *kernel, dim3 grid, dim3 block, void **args,
                  int sharedBytes, void *stream) {
  if (!kernel)
    return 4;
  const cudaError_t status =
      cudaLaunchKernel(kernel, grid, block, args, sharedBytes,
                       static_cast<cudaStream_t>(stream));
  return status == cudaSuccess ? 0 : fail(4, "%s", cudaGetErrorString(status));
}

/// Stream-ordered scratch memory from the current device's default pool,
/// which is set to keep what is freed: by default the pool hands freed memory
/// back at each synchronization and maps it again on the next call, which
/// costs more than a small problem's kernels. Returns the launcher's result.
inline int scratch(void **data, size_t bytes, void *stream) {
  int device = 0;
  cudaMemPool_t pool;
  if (cudaGetDevice(&device) == cudaSuccess &&
      cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
    uint64_t keep = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  }
  const cudaError_t status =
      cudaMallocAsync(data, bytes, static_cast<cudaStream_t>(stream));
  return status == cudaSuccess ? 0 : fail(4, "%s", cudaGetErrorString(status));
}

/// How many blocks of one kernel run at once on the current device (SMs
/// times blocks per SM), asked once per device: host calls cost more than a
/// short decode.
class BlockSlots {
public:
  int of(const void *kernel, int threads, int sharedBytes) {
    int device = 0;
    cudaGetDevice(&device);
    int &slots = slotsOf[device % 64];
    if (slots == 0) {
      int sms = 1, perSm = 1;
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, kernel, threads,
                                                    sharedBytes);
      slots = std::max(1, perSm) * std::max(1, sms);
    }
    return slots;
  }

private:
  int slotsOf[64] = {};
};

/// Key tiles per split when each of `pairs` independent rows of blocks
/// reads `tiles` key tiles on `slots` concurrent blocks, and a block costs
/// `overhead` tiles' time besides its tiles (loading its queries, writing
/// partial rows for the merge): the split with the shortest schedule (waves
/// of blocks times a block's time), the fewest splits among equals, at most
/// `maxSplits`. The last shapes' answer is kept, since a decode loop asks
/// the same each step.
inline int tilesPerSplit(long long tiles, long long pairs, long long slots,
                         int maxSplits, double overhead) {
  static thread_local long long lastKey[3] = {-1, -1, -1};
  static thread_local double lastOverhead = -1;
  static thread_local int lastAnswer = 1;
  if (lastKey[0] == tiles && lastKey[1] == pairs && lastKey[2] == slots &&
      lastOverhead == overhead)
    return lastAnswer;
  long long best = tiles;
  double bestCost = -1;
  for (long long splits = 1; splits <= std::min<long long>(tiles, maxSplits);
       ++splits) {
    const long long per = (tiles + splits - 1) / splits;
    if ((tiles + per - 1) / per != splits)
      continue; // the same tiles per split as fewer splits
    const double cost = (pairs * splits + slots - 1) / slots * (per + overhead);
    if (bestCost < 0 || cost < bestCost)
      bestCost = cost, best = per;
  }
  lastKey[0] = tiles, lastKey[1] = pairs, lastKey[2] = slots;
  lastOverhead = overhead;
  return lastAnswer = (int)std::max<long long>(1, best);
}

/// `kernel` (null when it could not be loaded, the reason already
/// recorded) allowed `dynamicSharedBytes` of dynamic shared memory, past the
/// default 48 KB; null on failure, with the reason recorded.
inline const void *withSharedBytes(const void *kernel, int dynamicSharedBytes) {
  if (!kernel)
    return nullptr;
  const cudaError_t status = cudaFuncSetAttribute(
      kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, dynamicSharedBytes);
  return status == cudaSuccess
             ? kernel
             : (fail(4, "%s", cudaGetErrorString(status)), nullptr);
}

/// Encodes a TMA descriptor for a 4-d tensor of 16-bit elements (or f32
/// with `type`), innermost dimension first, boxes of `box` elements with
/// 128-byte swizzling (the innermost box extent must be 128 bytes). TMA
/// moves bytes: bf16 also describes f16 here. Returns false on failure.
inline bool
encodeTensorMap4d(TensorMap *map, const void *data, const uint64_t dims[4],
                  const uint64_t byteStrides[3], const uint32_t box[4],
                  CUtensorMapDataType type = CU_TENSOR_MAP_DATA_TYPE_BFLOAT16) {
  static PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void *fn = nullptr;
    cudaDriverEntryPointQueryResult status;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000,
                                         cudaEnableDefault,
                                         &status) != cudaSuccess ||
        status != cudaDriverEntryPointSuccess)
      fn = nullptr;
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  if (!encode)
    return false;
  const uint32_t elementStrides[4] = {1, 1, 1, 1};
  static_assert(sizeof(TensorMap) == sizeof(CUtensorMap), "TMA descriptor");
  return encode(reinterpret_cast<CUtensorMap *>(map), type, 4,
                const_cast<void *>(data), dims, byteStrides, box,
                elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

/// A descriptor over `rows` rows of a [B, H, rows, D] tensor of 16-bit (or
/// with `elementBytes` 4, f32) elements, strides in elements and the last
/// contiguous, whose boxes are 128-byte wide column slabs of `boxRows` rows
/// of one (batch, head).
inline bool encodeRowTiles(TensorMap *map, const void *data,
                           const int64_t shape[4], const int64_t strides[4],
                           uint64_t rows, uint32_t boxRows,
                           unsigned elementBytes = 2) {
  const uint64_t dims[4] = {(uint64_t)shape[3], rows, (uint64_t)shape[1],
                            (uint64_t)shape[0]};
  const uint64_t byteStrides[3] = {(uint64_t)strides[2] * elementBytes,
                                   (uint64_t)strides[1] * elementBytes,
                                   (uint64_t)strides[0] * elementBytes};
  const uint32_t box[4] = {128 / elementBytes, boxRows, 1, 1};
  return encodeTensorMap4d(map, data, dims, byteStrides, box,
                           elementBytes == 4
                               ? CU_TENSOR_MAP_DATA_TYPE_FLOAT32
                               : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
}

/// The layout of the first `rank` dims of a tensor descriptor's `shape` and
/// `strides`, padded in front to 4; false if a size is negative.
inline bool storageLayout(const int64_t *shape, const int64_t *strides,
                          int rank, StorageLayout &layout, long long &count) {
  count = 1;
  for (int d = 0; d < 4; ++d) {
    const int from = d - (4 - rank);
    layout.shape[d] = from < 0 ? 1 : shape[from];
    layout.strides[d] = from < 0 ? 0 : strides[from];
    if (layout.shape[d] < 0)
      return false;
    count *= layout.shape[d];
  }
  return true;
}

/// Row-major strides of the first `rank` dims of `shape`.
inline void contiguousStrides(const int64_t *shape, int rank,
                              int64_t *strides) {
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
}

/// Launches a storage conversion kernel over `count` elements.
inline int convertStorage(const void *kernel, const void *from, void *to,
                          StorageLayout layout, long long count, void *stream) {
  if (count == 0)
    return 0;
  void *args[] = {&from, &to, &layout};
  const long long blocks = std::min<long long>((count + 255) / 256, 65536);
  return launch(kernel, dim3((unsigned)blocks), dim3(256), args, 0, stream);
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_HOST_H
