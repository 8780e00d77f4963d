// Compiles the kernel source embedded in an NVRTC-mode launcher (built with
// -DATTN_CUDA_NVRTC and linked in; -DATTN_SOURCE=<name>_source names its
// accessor) with NVRTC for the architecture of argv[1], as the launcher does
// on first use, and checks that the cubin defines the kernels named by the
// other arguments (the C names the launcher looks up). No GPU is needed.
#include "attn/Runtime/cuda/nvrtc.h"

#include <cstdio>

extern "C" const char *ATTN_SOURCE(void);

int main(int argc, char **argv) {
  if (argc < 2) {
    std::printf("usage: %s ARCH [KERNEL...]\n", argv[0]);
    return 2;
  }
  std::string log;
  std::string cubin = attn_rt::nvrtcCompile(ATTN_SOURCE(), argv[1], log);
  if (cubin.empty()) {
    std::printf("NVRTC failed:\n%s\n", log.c_str());
    return 1;
  }
  std::printf("compiled by NVRTC for %s: %zu bytes of cubin\n%s\n", argv[1],
              cubin.size(), log.c_str());
  // A defined kernel's name is a NUL-terminated entry of the symbol names.
  int missing = 0;
  for (int i = 2; i < argc; ++i) {
    const bool found = cubin.find(std::string(1, '\0') + argv[i] +
                                  std::string(1, '\0')) != std::string::npos;
    std::printf("kernel %s: %s\n", argv[i], found ? "defined" : "MISSING");
    missing += !found;
  }
  return missing ? 1 : 0;
}
