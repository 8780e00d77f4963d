//===- HostTarget.cpp - the Halide target this machine runs --------------===//

#include "attn/Target/Cpu/HostTarget.h"
#include "attn/Target/Cpu/CpuBackend.h"

#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace attn;
using Feature = Halide::Target::Feature;

namespace {
/// Halide's x86 levels, each implying the ones before it. A level is granted
/// only where the processor has every instruction set that the LLVM CPU
/// Halide 14 selects for it ("haswell", "skylake-avx512", "cannonlake",
/// "sapphirerapids") lets the code generator emit.
struct Level {
  std::vector<Feature> grants;
  std::vector<const char *> needs;
};
const std::vector<Level> &levels() {
  static const std::vector<Level> table = {
      {{Feature::SSE41}, {"sse4.1"}},
      {{Feature::AVX}, {"avx"}},
      {{Feature::AVX2, Feature::FMA, Feature::F16C},
       {"avx2", "fma", "f16c", "bmi", "bmi2", "lzcnt", "movbe"}},
      {{Feature::AVX512}, {"avx512f", "avx512cd"}},
      {{Feature::AVX512_Skylake}, {"avx512vl", "avx512bw", "avx512dq"}},
      {{Feature::AVX512_Cannonlake}, {"avx512ifma", "avx512vbmi"}},
      {{Feature::AVX512_SapphireRapids},
       {"avx512bf16", "avx512fp16", "avx512vnni", "avxvnni", "avx512vbmi2",
        "avx512bitalg", "avx512vpopcntdq", "gfni", "vaes", "vpclmulqdq"}},
  };
  return table;
}

/// `base` with the x86 levels up to (not including) level `count`.
Halide::Target withLevels(Halide::Target base, size_t count) {
  for (const Level &level : levels())
    for (Feature f : level.grants)
      base.set_feature(f, false);
  for (size_t i = 0; i < count; ++i)
    base.set_features(levels()[i].grants);
  return base;
}

/// The number of levels up to and including the one that grants `feature`.
size_t levelsThrough(Feature feature) {
  for (auto [i, level] : llvm::enumerate(levels()))
    if (llvm::is_contained(level.grants, feature))
      return i + 1;
  llvm_unreachable("not an x86 level");
}

/// How many levels, in order, a processor with `features` has.
size_t levelCount(const llvm::StringMap<bool> &features) {
  size_t count = 0;
  for (const Level &level : levels()) {
    if (!llvm::all_of(level.needs,
                      [&](const char *name) { return features.lookup(name); }))
      break;
    ++count;
  }
  return count;
}

Halide::Target hostTarget() {
  Halide::Target host = Halide::get_host_target();
  if (host.arch != Halide::Target::X86 || host.bits != 64)
    return host;
  return withLevels(host, levelCount(llvm::sys::getHostCPUFeatures()));
}
} // namespace

Halide::Target cpu::targetForFeatures(const llvm::StringMap<bool> &features) {
  return withLevels(
      Halide::Target(Halide::Target::Linux, Halide::Target::X86, 64),
      levelCount(features));
}

namespace {
/// The target ATTN_CPU_TARGET names, or why it cannot be used.
struct Choice {
  Halide::Target target;
  std::string error;
};
Choice choose() {
  Halide::Target host = hostTarget();
  const char *requested = std::getenv("ATTN_CPU_TARGET");
  if (!requested || !*requested)
    return {host, ""};
  auto refuse = [&](const std::string &why) {
    return Choice{host, "ATTN_CPU_TARGET='" + std::string(requested) + "' " +
                            why + " (this machine runs " + host.to_string() +
                            ")"};
  };
  if (!Halide::Target::validate_target_string(requested))
    return refuse("is not a Halide target");
  Halide::Target target(requested);
  if (target.os != host.os || target.arch != host.arch ||
      target.bits != host.bits)
    return refuse("is not for this kind of machine");
  // Knights Landing's and AMD's old FMA4 instructions are never detected.
  if (target.has_feature(Feature::AVX512_KNL) ||
      target.has_feature(Feature::FMA4))
    return refuse("needs instructions this processor lacks");
  for (const Level &level : levels())
    for (Feature f : level.grants)
      if (target.has_feature(f) && !host.has_feature(f))
        return refuse("needs instructions this processor lacks");
  return {target, ""};
}
} // namespace

llvm::Expected<Halide::Target> cpu::compileTarget() {
  static const Choice choice = choose();
  if (!choice.error.empty())
    return llvm::createStringError(choice.error);
  return choice.target;
}

std::vector<Halide::Target> cpu::runnableTargets() {
  Halide::Target host = hostTarget();
  std::vector<Halide::Target> targets = {host};
  if (host.arch != Halide::Target::X86 || host.bits != 64)
    return targets;
  size_t count = levelCount(llvm::sys::getHostCPUFeatures());
  for (size_t lower :
       {levelsThrough(Feature::AVX512_Skylake), levelsThrough(Feature::AVX2)})
    if (lower < count)
      targets.push_back(withLevels(host, lower));
  return targets;
}

llvm::Expected<std::string> cpu::compileTargetName() {
  llvm::Expected<Halide::Target> target = compileTarget();
  if (!target)
    return target.takeError();
  return target->to_string();
}

std::vector<std::string> cpu::runnableTargetNames() {
  std::vector<std::string> names;
  for (const Halide::Target &target : runnableTargets())
    names.push_back(target.to_string());
  return names;
}
