//===- HostTargetTest.cpp - Halide targets from processor features --------===//

#include "attn/Target/Cpu/HostTarget.h"

#include <gtest/gtest.h>

using namespace attn::cpu;

namespace {
llvm::StringMap<bool> featureSet(std::initializer_list<const char *> names) {
  llvm::StringMap<bool> features;
  for (const char *name : names)
    features[name] = true;
  return features;
}

// What LLVM reports on a Zen 4 EPYC (Genoa): AVX-512 with BF16, VNNI, IFMA,
// VBMI but without AVX512-FP16 or the VEX-encoded AVX-VNNI.
const std::initializer_list<const char *> kZen4 = {
    "sse4.1",      "avx",          "avx2",
    "fma",         "f16c",         "bmi",
    "bmi2",        "lzcnt",        "movbe",
    "avx512f",     "avx512cd",     "avx512vl",
    "avx512bw",    "avx512dq",     "avx512ifma",
    "avx512vbmi",  "avx512bf16",   "avx512vnni",
    "avx512vbmi2", "avx512bitalg", "avx512vpopcntdq",
    "gfni",        "vaes",         "vpclmulqdq"};

TEST(HostTarget, Zen4StopsBelowSapphireRapids) {
  EXPECT_EQ(targetForFeatures(featureSet(kZen4)).to_string(),
            "x86-64-linux-avx-avx2-avx512-avx512_cannonlake-avx512_skylake-"
            "f16c-fma-sse41");
}

TEST(HostTarget, SapphireRapidsNeedsFp16) {
  llvm::StringMap<bool> spr = featureSet(kZen4);
  spr["avxvnni"] = true;
  EXPECT_EQ(targetForFeatures(spr).to_string(),
            "x86-64-linux-avx-avx2-avx512-avx512_cannonlake-avx512_skylake-"
            "f16c-fma-sse41");
  spr["avx512fp16"] = true;
  EXPECT_EQ(targetForFeatures(spr).to_string(),
            "x86-64-linux-avx-avx2-avx512-avx512_cannonlake-"
            "avx512_sapphirerapids-avx512_skylake-f16c-fma-sse41");
}

TEST(HostTarget, Avx2Only) {
  // Zen 2 / Zen 3: no AVX-512 at all.
  EXPECT_EQ(
      targetForFeatures(featureSet({"sse4.1", "avx", "avx2", "fma", "f16c",
                                    "bmi", "bmi2", "lzcnt", "movbe"}))
          .to_string(),
      "x86-64-linux-avx-avx2-f16c-fma-sse41");
}

TEST(HostTarget, LevelsAreCumulative) {
  // AVX-512 reported without AVX2 (as a hypervisor may mask it) grants
  // nothing above AVX.
  EXPECT_EQ(
      targetForFeatures(featureSet({"sse4.1", "avx", "avx512f", "avx512cd"}))
          .to_string(),
      "x86-64-linux-avx-sse41");
}

TEST(HostTarget, RunnableTargetsStartWithTheHost) {
  std::vector<Halide::Target> targets = runnableTargets();
  ASSERT_FALSE(targets.empty());
  for (size_t i = 1; i < targets.size(); ++i)
    EXPECT_NE(targets[i], targets[0]);
  llvm::Expected<Halide::Target> chosen = compileTarget();
  ASSERT_TRUE(bool(chosen)) << llvm::toString(chosen.takeError());
}
} // namespace
