//===- storage_layout.h - f32 storage layouts as kernel parameters -*- C++
//-*-===//
//
// Shared by launchers (host) and the storage conversion kernels (device, nvcc
// or NVRTC).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_STORAGE_LAYOUT_H
#define ATTN_RUNTIME_CUDA_STORAGE_LAYOUT_H

namespace attn_rt {

/// Sizes and strides (in elements) of a tensor of rank 4 or less, padded in
/// front with size-1 dims.
struct StorageLayout {
  long long shape[4];
  long long strides[4];
};

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_STORAGE_LAYOUT_H
