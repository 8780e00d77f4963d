//===- softmax_rows.cpp - the unfused path's causal row softmax -----------===//
//
// Plain C++ as a user would write it. Built in its own file with -ffast-math
// so that glibc's vector expf applies: the baseline is the best a plain loop
// gets, which keeps the reported speedups conservative.
//
//===----------------------------------------------------------------------===//

#include "softmax_rows.h"

#include <algorithm>
#include <cmath>

void causalSoftmaxRows(float *scores, int64_t rows, int64_t cols,
                       int64_t offset) {
  for (int64_t i = 0; i < rows; ++i) {
    float *row = scores + i * cols;
    // Query i sits at key position offset + i; later keys are masked.
    int64_t visible = std::clamp<int64_t>(offset + i + 1, 0, cols);
    // No infinities: -ffast-math assumes there are none.
    float max = visible ? row[0] : 0;
    for (int64_t j = 1; j < visible; ++j)
      max = std::max(max, row[j]);
    float sum = 0;
    for (int64_t j = 0; j < visible; ++j) {
      row[j] = std::exp(row[j] - max);
      sum += row[j];
    }
    float inverse = visible ? 1 / sum : 0;
    for (int64_t j = 0; j < visible; ++j)
      row[j] *= inverse;
    std::fill(row + visible, row + cols, 0.0f);
  }
}
