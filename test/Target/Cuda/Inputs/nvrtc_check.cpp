// Compiles the kernel source embedded in an NVRTC-mode launcher (built with
// -DATTN_CUDA_NVRTC) with NVRTC, as the launcher does on first use. No GPU
// is needed to compile.
#include "causal_gqa.h"

#include "attn/Runtime/cuda/nvrtc.h"

#include <cstdio>

int main() {
  std::string log;
  std::string cubin = attn_rt::nvrtcCompile(causal_gqa_source(), "sm_90a", log);
  if (cubin.empty()) {
    std::printf("NVRTC failed:\n%s\n", log.c_str());
    return 1;
  }
  std::printf("compiled by NVRTC for sm_90a: %zu bytes of cubin\n%s\n",
              cubin.size(), log.c_str());
  return 0;
}
