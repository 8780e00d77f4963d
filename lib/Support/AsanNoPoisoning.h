//===- AsanNoPoisoning.h - LLVM's allocators without ASan poisoning -------===//
//
// Force-included in every file of the sanitizer build (CMakeLists.txt).
// libMLIR and libLLVM are not instrumented, but their headers' inline
// allocator code (BumpPtrAllocator and friends), compiled into this project
// with -fsanitize=address, would poison each new slab and unpoison only the
// pieces this project allocates: when libMLIR later carves its own pieces out
// of that slab (the context's type and attribute storage), ASan reports a
// use-after-poison that is no bug. Declaring the interface here first and
// then turning the two calls into no-ops keeps the headers' allocators
// consistent with the uninstrumented library's.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_ASANNOPOISONING_H
#define ATTN_SUPPORT_ASANNOPOISONING_H

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(p, size) ((void)(p), (void)(size))
#define __asan_unpoison_memory_region(p, size) ((void)(p), (void)(size))
#endif
#endif

#endif // ATTN_SUPPORT_ASANNOPOISONING_H
