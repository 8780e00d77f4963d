//===- nvrtc.h - generated kernels compiled at run time ---------*- C++ -*-===//
//
// The NVRTC path of a generated launcher (built with -DATTN_CUDA_NVRTC by a
// host compiler, no nvcc): the kernel source embedded in the launcher is
// compiled on first use for the current device and loaded as a CUDA library,
// whose kernels the launcher looks up by name.
// NVRTC finds the tile primitives under $ATTN_INCLUDE_DIR (else the
// ATTN_INCLUDE_DIR this file was compiled with) and CUDA's headers under
// $CUDA_HOME/include (else /usr/local/cuda/include).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDA_NVRTC_H
#define ATTN_RUNTIME_CUDA_NVRTC_H

#include "attn/Runtime/cuda/host.h"

#include <nvrtc.h>

#include <cstdlib>
#include <string>

#ifndef ATTN_INCLUDE_DIR
#define ATTN_INCLUDE_DIR "."
#endif

namespace attn_rt {

/// Compiles a generated kernel source for `arch` (e.g. "sm_90a") into a
/// cubin; returns "" on failure, with NVRTC's log in `log`. Needs no GPU.
inline std::string nvrtcCompile(const char *source, const std::string &arch,
                                std::string &log) {
  const char *attnDir = std::getenv("ATTN_INCLUDE_DIR");
  const char *cudaHome = std::getenv("CUDA_HOME");
  const std::string options[] = {
      "--gpu-architecture=" + arch, "-std=c++17",
      "-I" + std::string(attnDir ? attnDir : ATTN_INCLUDE_DIR),
      "-I" + std::string(cudaHome ? cudaHome : "/usr/local/cuda") + "/include"};
  const char *optionPointers[] = {options[0].c_str(), options[1].c_str(),
                                  options[2].c_str(), options[3].c_str()};
  nvrtcProgram program;
  if (nvrtcCreateProgram(&program, source, "attn_kernel.cu", 0, nullptr,
                         nullptr) != NVRTC_SUCCESS) {
    log = "nvrtcCreateProgram failed";
    return "";
  }
  const nvrtcResult result = nvrtcCompileProgram(program, 4, optionPointers);
  size_t size = 0;
  nvrtcGetProgramLogSize(program, &size);
  log.assign(size, '\0');
  if (size)
    nvrtcGetProgramLog(program, &log[0]);
  std::string cubin;
  if (result == NVRTC_SUCCESS && nvrtcGetCUBINSize(program, &size) ==
                                     NVRTC_SUCCESS) {
    cubin.assign(size, '\0');
    if (nvrtcGetCUBIN(program, &cubin[0]) != NVRTC_SUCCESS)
      cubin.clear();
  }
  nvrtcDestroyProgram(&program);
  return cubin;
}

/// The kernels of `source`, compiled by NVRTC and loaded as one library.
/// sm_90a code is compiled for sm_90a; other code for the current device.
/// Null on failure, with the reason in lastError().
inline cudaLibrary_t nvrtcLibrary(const char *source, const char *arch) {
  std::string target = arch;
  if (target != "sm_90a") {
    int device = 0, major = 0, minor = 0;
    cudaError_t status = cudaGetDevice(&device);
    if (status == cudaSuccess)
      status = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor,
                                      device);
    if (status == cudaSuccess)
      status = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor,
                                      device);
    if (status != cudaSuccess)
      return fail(4, "%s", cudaGetErrorString(status)), nullptr;
    target = "sm_" + std::to_string(major * 10 + minor);
  }
  std::string log;
  const std::string cubin = nvrtcCompile(source, target, log);
  if (cubin.empty())
    return fail(4, "NVRTC could not compile the kernels: %s", log.c_str()),
           nullptr;
  cudaLibrary_t library = nullptr;
  const cudaError_t status = cudaLibraryLoadData(
      &library, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0);
  if (status != cudaSuccess)
    return fail(4, "%s", cudaGetErrorString(status)), nullptr;
  return library;
}

/// The kernel `name` (an extern "C" __global__ function) of a library that
/// nvrtcLibrary loaded, as a handle for launch(). Null on failure, with the
/// reason in lastError(); null for a null library (its failure recorded).
inline const void *libraryKernel(cudaLibrary_t library, const char *name) {
  if (!library)
    return nullptr;
  cudaKernel_t kernel;
  const cudaError_t status = cudaLibraryGetKernel(&kernel, library, name);
  if (status != cudaSuccess)
    return fail(4, "kernel %s: %s", name, cudaGetErrorString(status)), nullptr;
  return reinterpret_cast<const void *>(kernel);
}

} // namespace attn_rt

#endif // ATTN_RUNTIME_CUDA_NVRTC_H
