//===- bench_cpu.cpp - attention-opt's CPU kernels against OpenBLAS -------===//
//
// Times the kernels that run.sh emitted (ATTN_BENCH_SOFTMAX and
// ATTN_BENCH_LINEAR say which ones it could) against the unfused path a user
// would write with OpenBLAS (sgemm, row softmax, sgemm) and against the
// sgemm ceiling, on the same cores. Every kernel's output is checked against
// a reference before it is timed, so a fast wrong kernel reports no number.
// Prints Markdown.
//
// Usage: bench_cpu [--reps N] [--budget-s S] T...
//
//===----------------------------------------------------------------------===//

#ifdef ATTN_BENCH_SOFTMAX
#include "softmax_causal.h"
#endif
#ifdef ATTN_BENCH_LINEAR
#include "linear_decay.h"
#endif
#include "softmax_rows.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {
constexpr int64_t kBatch = 1, kHeads = 8, kHeadDim = 128, kChunk = 64;
constexpr int64_t kSgemmSize = 2048;
// Loose enough for f32 sums reassociated over T = 4096, far below the O(1)
// error of a wrong kernel.
constexpr double kTolerance = 1e-3;

struct Timing {
  double bestMs = 0, medianMs = 0;
  int runs = 0;
};

/// Runs `f` once to warm up, then `reps` times or until `budgetS` seconds
/// have been spent (at least once).
Timing measure(const std::function<void()> &f, int reps, double budgetS) {
  using Clock = std::chrono::steady_clock;
  f();
  std::vector<double> ms;
  double spent = 0;
  while (int(ms.size()) < reps && (ms.empty() || spent < budgetS)) {
    auto start = Clock::now();
    f();
    double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    ms.push_back(elapsed * 1e3);
    spent += elapsed;
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2], int(ms.size())};
}

std::vector<float> uniform(size_t n, unsigned seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(gen);
  return v;
}

/// Max |a - b| over max |b|; NaN anywhere makes it infinite.
double relativeError(const float *a, const double *b, size_t n) {
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < n; ++i) {
    double diff = std::fabs(double(a[i]) - b[i]);
    if (std::isnan(diff))
      return INFINITY;
    maxDiff = std::max(maxDiff, diff);
    maxRef = std::max(maxRef, std::fabs(b[i]));
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

/// The [B, H, T, D] problem, dense row-major.
struct Problem {
  int64_t T;
  std::vector<float> q, k, v, g;
  int64_t qkvShape[4] = {kBatch, kHeads, 0, kHeadDim};
  int64_t gShape[3] = {kBatch, kHeads, 0};

  explicit Problem(int64_t T)
      : T(T), q(uniform(kBatch * kHeads * T * kHeadDim, 1, -1, 1)),
        k(uniform(q.size(), 2, -1, 1)), v(uniform(q.size(), 3, -1, 1)),
        // Log-decays as Mamba-2's dt * A: small and negative.
        g(uniform(kBatch * kHeads * T, 4, -0.2f, -0.01f)) {
    qkvShape[2] = T;
    gShape[2] = T;
  }
  const float *head(const std::vector<float> &x, int64_t bh) const {
    return x.data() + bh * T * kHeadDim;
  }
};

/// Rows checked against the f64 references: chunk edges, the middle, the end.
std::vector<int64_t> checkedRows(int64_t T) {
  return {0, 1, kChunk - 1, kChunk, kChunk + 1, T / 2 + 7, T - 1};
}

/// f64 reference rows of causal softmax attention for head `bh`.
std::vector<double> softmaxReference(const Problem &p, int64_t bh) {
  const float *q = p.head(p.q, bh), *k = p.head(p.k, bh), *v = p.head(p.v, bh);
  double scale = 1 / std::sqrt(double(kHeadDim));
  std::vector<double> out;
  for (int64_t t : checkedRows(p.T)) {
    std::vector<double> s(t + 1);
    double max = -INFINITY, sum = 0;
    for (int64_t j = 0; j <= t; ++j) {
      s[j] = 0;
      for (int64_t d = 0; d < kHeadDim; ++d)
        s[j] += double(q[t * kHeadDim + d]) * k[j * kHeadDim + d];
      s[j] *= scale;
      max = std::max(max, s[j]);
    }
    for (double &x : s)
      sum += x = std::exp(x - max);
    for (int64_t d = 0; d < kHeadDim; ++d) {
      double o = 0;
      for (int64_t j = 0; j <= t; ++j)
        o += s[j] / sum * v[j * kHeadDim + d];
      out.push_back(o);
    }
  }
  return out;
}

#ifdef ATTN_BENCH_LINEAR
/// f64 reference rows of decayed linear attention for head `bh`:
/// o_t = sum_{s <= t} exp(G_t - G_s) (q_t . k_s) v_s, G the prefix sum of g.
std::vector<double> linearReference(const Problem &p, int64_t bh) {
  const float *q = p.head(p.q, bh), *k = p.head(p.k, bh), *v = p.head(p.v, bh);
  const float *g = p.g.data() + bh * p.T;
  std::vector<double> prefix(p.T);
  double running = 0;
  for (int64_t t = 0; t < p.T; ++t)
    prefix[t] = running += g[t];
  std::vector<double> out;
  for (int64_t t : checkedRows(p.T)) {
    std::vector<double> o(kHeadDim, 0);
    for (int64_t s = 0; s <= t; ++s) {
      double w = 0;
      for (int64_t d = 0; d < kHeadDim; ++d)
        w += double(q[t * kHeadDim + d]) * k[s * kHeadDim + d];
      w *= std::exp(prefix[t] - prefix[s]);
      for (int64_t d = 0; d < kHeadDim; ++d)
        o[d] += w * v[s * kHeadDim + d];
    }
    out.insert(out.end(), o.begin(), o.end());
  }
  return out;
}
#endif

/// The checked rows of `out` for head `bh`, in checkedRows order.
std::vector<float> rowsOf(const std::vector<float> &out, const Problem &p,
                          int64_t bh) {
  std::vector<float> rows;
  for (int64_t t : checkedRows(p.T)) {
    const float *row = p.head(out, bh) + t * kHeadDim;
    rows.insert(rows.end(), row, row + kHeadDim);
  }
  return rows;
}

/// Worst error of the checked rows of `out` over the first and last head.
double checkRows(const std::vector<float> &out, const Problem &p,
                 std::vector<double> (*reference)(const Problem &, int64_t)) {
  double worst = 0;
  for (int64_t bh : {int64_t(0), kBatch * kHeads - 1}) {
    std::vector<double> ref = reference(p, bh);
    worst = std::max(worst, relativeError(rowsOf(out, p, bh).data(), ref.data(),
                                          ref.size()));
  }
  return worst;
}

/// The unfused path: per (b, h), S = scale Q K^T in full, causal softmax by
/// rows, O = P V.
void unfusedSoftmax(const Problem &p, std::vector<float> &scores,
                    std::vector<float> &out) {
  float scale = 1 / std::sqrt(float(kHeadDim));
  int64_t T = p.T;
  for (int64_t bh = 0; bh < kBatch * kHeads; ++bh) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, kHeadDim, scale,
                p.head(p.q, bh), kHeadDim, p.head(p.k, bh), kHeadDim, 0,
                scores.data(), T);
    causalSoftmaxRows(scores.data(), T, T, /*offset=*/0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, kHeadDim, T, 1,
                scores.data(), T, p.head(p.v, bh), kHeadDim, 0,
                out.data() + bh * T * kHeadDim, kHeadDim);
  }
}

struct Row {
  int64_t T;
  std::string variant;
  double flops;
  std::optional<Timing> timing;
  std::string check; // The error against the reference, or why not timed.
};

std::string errorText(double error) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1e %s", error,
                error <= kTolerance ? "ok" : "WRONG");
  return text;
}

#if defined(ATTN_BENCH_SOFTMAX) || defined(ATTN_BENCH_LINEAR)
attn_tensor tensorOf(const std::vector<float> &data, const int64_t *shape) {
  return {const_cast<float *>(data.data()), shape, nullptr};
}
#endif

double softmaxFlops(int64_t T) {
  return 2.0 * kBatch * kHeads * T * T * kHeadDim;
}

/// What the chunked form computes per (b, h) and chunk: intra-chunk scores
/// and weighted values over the full chunk, the state update and the read
/// of the state carried in.
double linearFlops(int64_t T) {
  double C = kChunk, Dk = kHeadDim, Dv = kHeadDim;
  double perChunk =
      2 * C * C * Dk + 2 * C * C * Dv + 2 * C * Dk * Dv + 2 * C * Dk * Dv;
  return kBatch * kHeads * double(T / kChunk) * perChunk;
}

const Row &unfusedRow(const std::vector<Row> &rows, int64_t T) {
  return *std::find_if(rows.begin(), rows.end(), [&](const Row &r) {
    return r.T == T && r.variant.rfind("unfused", 0) == 0;
  });
}

/// GFLOP/s of the best of several square sgemms.
double sgemmCeiling(int reps) {
  int64_t n = kSgemmSize;
  std::vector<float> a = uniform(n * n, 5, -1, 1), b = uniform(n * n, 6, -1, 1),
                     c(n * n);
  Timing t = measure(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1,
                    a.data(), n, b.data(), n, 0, c.data(), n);
      },
      std::max(reps, 5), /*budgetS=*/60);
  return 2.0 * n * n * n / (t.bestMs * 1e-3) / 1e9;
}
} // namespace

int main(int argc, char **argv) {
  int reps = 5;
  double budgetS = 120;
  std::vector<int64_t> lengths;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--budget-s") && i + 1 < argc)
      budgetS = std::atof(argv[++i]);
    else
      lengths.push_back(std::atoll(argv[i]));
  }
  if (lengths.empty())
    lengths = {1024, 2048, 4096};
  for (int64_t T : lengths)
    if (T < 2 * kChunk || T % kChunk) {
      std::fprintf(stderr,
                   "bench_cpu: T = %lld is not a multiple of %lld "
                   ">= %lld\n",
                   (long long)T, (long long)kChunk, (long long)(2 * kChunk));
      return 2;
    }

  double ceiling = sgemmCeiling(reps);
  std::printf("OpenBLAS threads: %d; hardware threads: %u; sgemm ceiling "
              "(N = %lld, best of >= 5): %.1f GFLOP/s\n\n",
              openblas_get_num_threads(), std::thread::hardware_concurrency(),
              (long long)kSgemmSize, ceiling);
  std::fflush(stdout);

  std::vector<Row> rows;
  for (int64_t T : lengths) {
    Problem p(T);
    std::vector<float> scores(T * T), unfused(p.q.size());
    unfusedSoftmax(p, scores, unfused);
    double unfusedError = checkRows(unfused, p, softmaxReference);
    Row base{T, "unfused OpenBLAS softmax", softmaxFlops(T), std::nullopt,
             errorText(unfusedError)};
    if (unfusedError <= kTolerance)
      base.timing =
          measure([&] { unfusedSoftmax(p, scores, unfused); }, reps, budgetS);
    rows.push_back(base);
    std::fprintf(stderr, "T = %lld: unfused done\n", (long long)T);

#ifdef ATTN_BENCH_SOFTMAX
    {
      std::vector<float> out(p.q.size());
      attn_tensor q = tensorOf(p.q, p.qkvShape), k = tensorOf(p.k, p.qkvShape),
                  v = tensorOf(p.v, p.qkvShape), o = tensorOf(out, p.qkvShape);
      Row row{T, "attention-opt softmax_causal", softmaxFlops(T), std::nullopt,
              ""};
      if (int code = softmax_causal(&q, &k, &v, &o)) {
        row.check = "kernel error " + std::to_string(code);
      } else {
        // Against the f64 rows and against the unfused output everywhere.
        double error = std::max(checkRows(out, p, softmaxReference), [&] {
          std::vector<double> ref(unfused.begin(), unfused.end());
          return relativeError(out.data(), ref.data(), ref.size());
        }());
        row.check = errorText(error);
        if (error <= kTolerance)
          row.timing =
              measure([&] { softmax_causal(&q, &k, &v, &o); }, reps, budgetS);
      }
      rows.push_back(row);
      std::fprintf(stderr, "T = %lld: softmax_causal done\n", (long long)T);
    }
#else
    rows.push_back({T, "attention-opt softmax_causal", softmaxFlops(T),
                    std::nullopt, "not emitted (see above)"});
#endif

#ifdef ATTN_BENCH_LINEAR
    {
      std::vector<float> out(p.q.size());
      attn_tensor q = tensorOf(p.q, p.qkvShape), k = tensorOf(p.k, p.qkvShape),
                  v = tensorOf(p.v, p.qkvShape), g = tensorOf(p.g, p.gShape),
                  o = tensorOf(out, p.qkvShape);
      Row row{T, "attention-opt linear_decay (chunk 64)", linearFlops(T),
              std::nullopt, ""};
      if (int code = linear_decay(&q, &k, &v, &g, &o)) {
        row.check = "kernel error " + std::to_string(code);
      } else {
        double error = checkRows(out, p, linearReference);
        row.check = errorText(error);
        if (error <= kTolerance)
          row.timing =
              measure([&] { linear_decay(&q, &k, &v, &g, &o); }, reps, budgetS);
      }
      rows.push_back(row);
      std::fprintf(stderr, "T = %lld: linear_decay done\n", (long long)T);
    }
#else
    rows.push_back({T, "attention-opt linear_decay (chunk 64)", linearFlops(T),
                    std::nullopt, "not emitted (see above)"});
#endif
  }

  std::printf("| T | variant | runs | best ms | median ms | GFLOP/s | x sgemm "
              "| speedup over unfused softmax | check (max rel. error) |\n"
              "|---|---|---|---|---|---|---|---|---|\n");
  for (const Row &row : rows) {
    const Row &base = unfusedRow(rows, row.T);
    if (!row.timing) {
      std::printf("| %lld | %s | - | - | - | - | - | - | %s |\n",
                  (long long)row.T, row.variant.c_str(), row.check.c_str());
      continue;
    }
    const Timing &t = *row.timing;
    double gflops = row.flops / (t.bestMs * 1e-3) / 1e9;
    char speedup[32] = "-";
    if (base.timing)
      std::snprintf(speedup, sizeof speedup, "%.2fx",
                    base.timing->bestMs / t.bestMs);
    std::printf("| %lld | %s | %d | %.1f | %.1f | %.1f | %.2f | %s | %s |\n",
                (long long)row.T, row.variant.c_str(), t.runs, t.bestMs,
                t.medianMs, gflops, gflops / ceiling, speedup,
                row.check.c_str());
  }

  std::printf("\nTargets (best times):\n\n");
  for (const Row &row : rows) {
    bool softmax = row.variant.find("softmax_causal") != std::string::npos;
    bool linear = row.variant.find("linear_decay") != std::string::npos;
    if (!softmax && !linear)
      continue;
    const Row &base = unfusedRow(rows, row.T);
    double minRatio = softmax ? 0.6 : 0.5, minSpeedup = softmax ? 3 : 10;
    if (!row.timing || !base.timing) {
      std::printf("- T = %lld, %s: not measured\n", (long long)row.T,
                  row.variant.c_str());
      continue;
    }
    double ratio = row.flops / (row.timing->bestMs * 1e-3) / 1e9 / ceiling;
    double speedup = base.timing->bestMs / row.timing->bestMs;
    std::printf("- T = %lld, %s: %.2fx sgemm (target >= %.1fx: %s)",
                (long long)row.T, row.variant.c_str(), ratio, minRatio,
                ratio >= minRatio ? "met" : "missed");
    // The linear target's speedup is stated at T = 4096 only.
    if (softmax || row.T == 4096)
      std::printf(", %.2fx over unfused softmax (target >= %.0fx: %s)", speedup,
                  minSpeedup, speedup >= minSpeedup ? "met" : "missed");
    std::printf("\n");
  }
  return 0;
}
