//===- softmax_rows.h - the unfused path's causal row softmax ---*- C++ -*-===//

#ifndef ATTN_BENCH_CPU_SOFTMAX_ROWS_H
#define ATTN_BENCH_CPU_SOFTMAX_ROWS_H

#include <cstdint>

/// Replaces each row of the row-major `rows` x `cols` score matrix by its
/// softmax over keys 0 .. offset + i (row i), zeros after them.
void causalSoftmaxRows(float *scores, int64_t rows, int64_t cols,
                       int64_t offset);

#endif // ATTN_BENCH_CPU_SOFTMAX_ROWS_H
