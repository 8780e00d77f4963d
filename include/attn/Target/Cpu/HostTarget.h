//===- HostTarget.h - the Halide target this machine runs -------*- C++ -*-===//
//
// Halide 14 derives its host target from cpuid by processor family and, on
// Zen 4, names Sapphire Rapids, whose LLVM CPU brings AVX512-FP16
// instructions that Zen 4 lacks (SIGILL). The CPU backend instead derives
// the target from the instruction sets the processor reports, granting each
// Halide x86 level only where every instruction set that level's LLVM CPU
// may emit is present.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_CPU_HOSTTARGET_H
#define ATTN_TARGET_CPU_HOSTTARGET_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <Halide.h>

#include <vector>

namespace attn::cpu {

/// The x86-64 Linux target for a processor with `features`, named as LLVM's
/// llvm::sys::getHostCPUFeatures reports them ("avx2", "avx512fp16", ...).
Halide::Target targetForFeatures(const llvm::StringMap<bool> &features);

/// The target the CPU backend compiles for: the one named by the
/// ATTN_CPU_TARGET environment variable when set (an error if it does not
/// parse or this machine cannot run it), else the host's.
llvm::Expected<Halide::Target> compileTarget();

/// The host's target, then each lower x86 level this machine can run (the
/// AVX-512 Skylake level, plain AVX2): the targets tests run the CPU backend
/// under, so that a level-specific failure shows on any machine.
std::vector<Halide::Target> runnableTargets();

} // namespace attn::cpu

#endif // ATTN_TARGET_CPU_HOSTTARGET_H
