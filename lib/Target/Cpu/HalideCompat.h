//===- HalideCompat.h - The Halide API differences the backend meets ------===//
//
// The CPU backend builds against Debian's Halide 14 (the default) and PyPI's
// Halide 21 (-DATTN_HALIDE_ROOT, see CMakeLists.txt). What differs between
// them that the backend uses is here, nowhere else.
//
// Numerics differ too, and no wrapper hides that: Halide 21 compiles floats
// as finite (LLVM's ninf/nnan) unless strict_float asks otherwise, so the
// backend never computes with -inf or NaN, nor compares with them outside
// strict_float; masked scores are tracked by predicates (see ChainScore).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TARGET_CPU_HALIDECOMPAT_H
#define ATTN_LIB_TARGET_CPU_HALIDECOMPAT_H

#include "Halide.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

// HALIDE_VERSION_MAJOR came with Halide 15.
#ifdef HALIDE_VERSION_MAJOR
#define ATTN_HALIDE_MAJOR HALIDE_VERSION_MAJOR
#else
#define ATTN_HALIDE_MAJOR 14
#endif

namespace attn::cpu::compat {

/// The value of a constant expression (Halide 14's as_const_int
/// returns a pointer, Halide 21's an optional).
inline std::optional<int64_t> constInt(const Halide::Expr &e) {
  if (auto i = Halide::Internal::as_const_int(e))
    return int64_t(*i);
  return std::nullopt;
}
inline std::optional<uint64_t> constUInt(const Halide::Expr &e) {
  if (auto u = Halide::Internal::as_const_uint(e))
    return uint64_t(*u);
  return std::nullopt;
}

/// Looks through strict_float.
inline std::optional<double> constFloat(const Halide::Expr &e) {
  if (const auto *call = e.as<Halide::Internal::Call>())
    if (call->name == "strict_float") // Halide 14's wrapper
      return constFloat(call->args[0]);
  if (auto f = Halide::Internal::as_const_float(e))
    return double(*f);
  return std::nullopt;
}

/// Input buffers bound for one realization. Halide 14 passes them in a
/// ParamMap; later versions have none, so they are bound on the ImageParams for the
/// realization and unbound after it; bindings hold one lock for their life, so
/// realizations through them run one at a time (each is parallel inside).
class InputBindings {
public:
#if ATTN_HALIDE_MAJOR > 14
  InputBindings() : lock(mutex()) {}
#endif
  void set(Halide::ImageParam &param, const Halide::Buffer<> &buffer) {
#if ATTN_HALIDE_MAJOR > 14
    param.set(buffer);
    bound.push_back(param);
#else
    params.set(param, buffer);
#endif
  }
  void realize(Halide::Pipeline &pipeline, Halide::Realization outputs,
               const Halide::Target &target) {
#if ATTN_HALIDE_MAJOR > 14
    pipeline.realize(std::move(outputs), target);
#else
    pipeline.realize(std::move(outputs), target, params);
#endif
  }
  ~InputBindings() {
#if ATTN_HALIDE_MAJOR > 14
    for (Halide::ImageParam &param : bound)
      param.reset();
#endif
  }

private:
#if ATTN_HALIDE_MAJOR > 14
  static std::mutex &mutex() {
    static std::mutex m;
    return m;
  }
  std::unique_lock<std::mutex> lock;
  std::vector<Halide::ImageParam> bound;
#else
  Halide::ParamMap params;
#endif
};

} // namespace attn::cpu::compat

#endif // ATTN_LIB_TARGET_CPU_HALIDECOMPAT_H
