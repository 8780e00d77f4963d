//===- tensor_map.h - TMA descriptors as kernel parameters ------*- C++ -*-===//
//
// Shared by launchers (host) and kernels (device, nvcc or NVRTC).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_TENSOR_MAP_H
#define ATTN_RUNTIME_CUDA_TENSOR_MAP_H

namespace attn_rt {

/// A TMA descriptor as the driver encodes it (CUtensorMap): 128 opaque
/// bytes, passed to kernels by value as a __grid_constant__ parameter.
struct alignas(64) TensorMap {
  unsigned long long opaque[16];
};

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_TENSOR_MAP_H
