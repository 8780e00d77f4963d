//===- SanitizerOptions.cpp - defaults for the sanitizer build ------------===//
//
// Linked into the tools only when ATTN_SANITIZE is on (CMakeLists.txt). The
// environment's ASAN_OPTIONS / UBSAN_OPTIONS still override these.
//
// - abort_on_error: a report ends in SIGABRT, not exit code 1, so that lit's
//   `not tool ...` (which expects a clean error, exit 1) and the fuzzers
//   (which take exit 0/1 as a handled input) both see a crash.
// - detect_leaks=0: LeakSanitizer finds nothing of this project's at exit,
//   only what uninstrumented code never frees: libMLIR's and LLVM's
//   ManagedStatic / cl::opt registries and Halide's JIT module cache, which
//   live until the process ends by design.
//
//===----------------------------------------------------------------------===//

extern "C" {
const char *__asan_default_options() {
  return "abort_on_error=1:detect_leaks=0:print_summary=1";
}
const char *__ubsan_default_options() {
  return "abort_on_error=1:halt_on_error=1:print_stacktrace=1";
}
}
