//===- TokenSelection.cpp - DSA's indexer and top-k kernels --------------===//
//
// DeepSeek sparse attention picks, for each query, the keys its attention
// reads: the lightning indexer scores every visible key,
//   I[t][s] = sum_j w[j][t] relu(iq[j][t] . ik[s]),
// and the top kTop scores are kept (ties to the lower key). Two kernels
// write the selection to scratch memory for the sparse latent kernel:
// ${NAME}_index, the scores by mma.sync (a block of one warp per 16
// indexer heads streams 64-key tiles of ik through two cp.async stages and
// sums the heads' weighted, rectified scores), and ${NAME}_topk, a radix
// select per query (four passes of 8-bit digits over the scores as
// ordered keys find the kTop-th score, the first also counting the
// unmasked ones; one ordered pass then writes the keys above it and the
// first of those equal to it, ascending).
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
constexpr const char *kConstants = R"cu(
constexpr int kIndexHeads = $HI, kIndexDim = $DI, kTop = $TOP;
constexpr int kIndexWarps = (kIndexHeads + 15) / 16, kIndexThreads = 32 * kIndexWarps;
// A block scores kIndexTiles tiles of kIndexBN keys for one query.
constexpr int kIndexBN = 64, kIndexTiles = 16, kIndexStages = 2;
constexpr int kIndexSmem = (16 * kIndexWarps + kIndexStages * kIndexBN) * kIndexDim * 2 + kIndexWarps * kIndexBN * 4;
// Top-k: a block per query, kTopWidth consecutive scores per thread a step.
constexpr int kTopThreads = 1024, kTopWidth = 4;
)cu";

constexpr const char *kKernels = R"cu(
static_assert(kIndexDim % 64 == 0 && kIndexDim <= 256, "indexer rows of 64 to 256 elements, whole 128-byte lines");
static_assert(kIndexSmem <= 227 * 1024, "indexer tiles exceed the shared memory of a block");

/// Indexer scores of query t = blockIdx.y of sequence b = blockIdx.z for
/// keys [blockIdx.x kIndexBN kIndexTiles, + kIndexBN kIndexTiles) below L,
/// into scores[b][t][s] (f32): -inf where the indexer's masks hide key s.
extern "C" __global__ void __launch_bounds__(kIndexThreads)
${NAME}_index(const $ELEM *__restrict__ iq, long long qsB, long long qsH, long long qsT,
              const $ELEM *__restrict__ ik, long long ksB, long long ksS,
              const $WEIGHT *__restrict__ iw, long long wsB, long long wsH, long long wsT,
              const $LENGTH_TYPE *__restrict__ lengths, int T, int S, float *__restrict__ scores) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  $ELEM *sQ = reinterpret_cast<$ELEM *>(smem), *sK = sQ + 16 * kIndexWarps * kIndexDim;
  float *sSum = reinterpret_cast<float *>(sK + kIndexStages * kIndexBN * kIndexDim);
  const int t = blockIdx.y, b = blockIdx.z;
  const int L = attnKeyLength(lengths, b, S);
  const int sBegin = blockIdx.x * kIndexBN * kIndexTiles, sEnd = min(L, sBegin + kIndexBN * kIndexTiles);
  if (sBegin >= sEnd)
    return;
  float *row = scores + ((long long)b * T + t) * S;
  // The block's tiles [first, first + tiles) hold the keys the query may
  // see; keys outside them are masked without being read.
  int begin, end;
  attnIndexKeyRange(t, T, L, begin, end);
  begin = max(begin, sBegin), end = min(end, sEnd);
  const int first = begin / kIndexBN, tiles = end > begin ? (end + kIndexBN - 1) / kIndexBN - first : 0;
  for (int s = sBegin + threadIdx.x; s < sEnd; s += kIndexThreads)
    if (s < first * kIndexBN || s >= (first + tiles) * kIndexBN)
      row[s] = -INFINITY;
  if (tiles == 0)
    return;

  const $ELEM *keys = ik + b * ksB;
  cpAsyncTile<kIndexThreads, 16 * kIndexWarps, kIndexDim>(sQ, iq + b * qsB + t * qsT, qsH, kIndexHeads);
  cpAsyncTile<kIndexThreads, kIndexBN, kIndexDim>(sK, keys + (long long)first * kIndexBN * ksS, ksS,
                                                  L - first * kIndexBN);
  cpAsyncCommit();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  // This thread's score rows: indexer heads h0 and h0 + 8 (zero weight past
  // the last head, whose queries are zero-filled).
  const int h0 = warp * 16 + lane / 4;
  const float w0 = h0 < kIndexHeads ? (float)iw[b * wsB + h0 * wsH + t * wsT] : 0.f;
  const float w1 = h0 + 8 < kIndexHeads ? (float)iw[b * wsB + (h0 + 8) * wsH + t * wsT] : 0.f;
  unsigned a[kIndexDim / 16][4];
  for (int i = 0; i < tiles; ++i) {
    const int stage = i % kIndexStages, s0 = (first + i) * kIndexBN;
    // The other stage was last read before the previous tile's final barrier.
    if (i + 1 < tiles)
      cpAsyncTile<kIndexThreads, kIndexBN, kIndexDim>(sK + (stage ^ 1) * kIndexBN * kIndexDim,
                                                      keys + (long long)(s0 + kIndexBN) * ksS, ksS,
                                                      L - s0 - kIndexBN);
    cpAsyncCommit();
    cpAsyncWait<1>();
    __syncthreads();
    if (i == 0)
#pragma unroll
      for (int kk = 0; kk < kIndexDim / 16; ++kk)
        ldmatrixX4(a[kk], sharedAddress(sQ + swizzle<kIndexDim>(warp * 16 + lane % 16, 16 * kk + 8 * (lane / 16))));

    // The warp's 16 heads x 64 keys; B pairs two 8-key n-tiles as in the
    // softmax kernels: keys lane % 8 + 8 (lane / 16) at half (lane / 8) % 2.
    const $ELEM *kTile = sK + stage * kIndexBN * kIndexDim;
    float s[kIndexBN / 2];
#pragma unroll
    for (int j = 0; j < kIndexBN / 2; ++j)
      s[j] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kIndexDim / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kIndexBN / 16; ++n) {
        unsigned bk[4];
        ldmatrixX4(bk, sharedAddress(kTile + swizzle<kIndexDim>(16 * n + lane % 8 + 8 * (lane / 16),
                                                               16 * kk + 8 * (lane / 8 % 2))));
        mmaM16N8K16<$ELEM>(&s[8 * n], a[kk], bk[0], bk[1]);
        mmaM16N8K16<$ELEM>(&s[8 * n + 4], a[kk], bk[2], bk[3]);
      }
    // s[4n + 2i + j]: head h0 + 8i, key 8n + 2 (lane % 4) + j. Weighted and
    // rectified, summed over the warp's heads (lanes of one lane % 4).
    float sum[kIndexBN / 4];
#pragma unroll
    for (int n = 0; n < kIndexBN / 8; ++n)
#pragma unroll
      for (int j = 0; j < 2; ++j)
        sum[2 * n + j] = w0 * fmaxf(s[4 * n + j], 0.f) + w1 * fmaxf(s[4 * n + 2 + j], 0.f);
#pragma unroll
    for (int m = 4; m < 32; m *= 2)
#pragma unroll
      for (int e = 0; e < kIndexBN / 4; ++e)
        sum[e] += __shfl_xor_sync(0xffffffffu, sum[e], m);
    if (lane < 4)
#pragma unroll
      for (int n = 0; n < kIndexBN / 8; ++n)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          sSum[warp * kIndexBN + 8 * n + 2 * lane + j] = sum[2 * n + j];
    __syncthreads();
    for (int c = threadIdx.x; c < kIndexBN; c += kIndexThreads) {
      float total = 0.f;
#pragma unroll
      for (int w = 0; w < kIndexWarps; ++w)
        total += sSum[w * kIndexBN + c];
      const int key = s0 + c;
      if (key < sEnd)
        row[key] = attnIndexVisible(t, key, T, L) ? total : -INFINITY;
    }
  }
}

/// A score as a key that orders like it, 0 for a masked one (-inf or NaN):
/// -0 counts as +0 so that equal scores tie.
__device__ __forceinline__ unsigned attnTopKey(float x) {
  if (!(x > -INFINITY))
    return 0u;
  const unsigned bits = __float_as_uint(x + 0.f);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

/// x summed over this lane and the lanes below it.
__device__ __forceinline__ int attnWarpInclusiveSum(int x) {
  const int lane = threadIdx.x % 32;
#pragma unroll
  for (int o = 1; o < 32; o *= 2) {
    const int y = __shfl_up_sync(0xffffffffu, x, o);
    if (lane >= o)
      x += y;
  }
  return x;
}

/// This thread's `count` (of the kTopWidth elements it holds) added up over
/// the threads before it, and over the block (`total`). Every thread of the
/// block calls it.
__device__ __forceinline__ int attnBlockPrefix(int count, int &total, int *warpTotals) {
  constexpr int kWarps = kTopThreads / 32;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int inclusive = attnWarpInclusiveSum(count);
  if (lane == 31)
    warpTotals[warp] = inclusive;
  __syncthreads();
  if (warp == 0) {
    const int own = lane < kWarps ? warpTotals[lane] : 0;
    const int before = attnWarpInclusiveSum(own);
    if (lane < kWarps)
      warpTotals[lane] = before - own;
    if (lane == 31)
      warpTotals[kWarps] = before;
  }
  __syncthreads();
  const int prefix = warpTotals[warp] + inclusive - count;
  total = warpTotals[kWarps];
  __syncthreads(); // the next call rewrites warpTotals
  return prefix;
}

/// The keys of elements [base + kTopWidth threadIdx.x, + kTopWidth) of a row
/// of L scores (0 past L): independent loads, in flight together.
__device__ __forceinline__ void attnTopKeys(const float *x, int base, int L, unsigned (&keys)[kTopWidth]) {
#pragma unroll
  for (int j = 0; j < kTopWidth; ++j) {
    const int s = base + kTopWidth * threadIdx.x + j;
    keys[j] = s < L ? attnTopKey(x[s]) : 0u;
  }
}

/// The kTop best keys below L of query row = blockIdx.x (sequence row / T):
/// selection[row] gets them ascending, then -1; counts[row] their number.
extern "C" __global__ void __launch_bounds__(kTopThreads)
${NAME}_topk(const float *__restrict__ scores, const $LENGTH_TYPE *__restrict__ lengths, int T, int S,
             int *__restrict__ selection, int *__restrict__ counts) {
  constexpr int kSpan = kTopWidth * kTopThreads; // elements per pass step
  __shared__ int histogram[256], warpTotals[kTopThreads / 32 + 1];
  __shared__ unsigned chosenPrefix;
  __shared__ int chosenRemaining, chosenCount, unmasked;
  const long long row = blockIdx.x;
  const int L = attnKeyLength(lengths, (int)(row / T), S);
  const float *x = scores + row * S;
  int *out = selection + row * kTop;

  // Radix select, 8 bits a pass from the top: the threshold key `prefix`
  // and how many keys equal to it to take. The first pass counts the
  // unmasked keys; with at most kTop of them, all are taken (every key is
  // above the prefix 0).
  unsigned prefix = 0u, mask = 0u;
  int remaining = kTop, equalKeys = 0; // keys with the prefix's digits so far
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += kTopThreads)
      histogram[i] = 0;
    __syncthreads();
    for (int base = 0; base < L; base += kSpan) {
      unsigned keys[kTopWidth];
      attnTopKeys(x, base, L, keys);
#pragma unroll
      for (int j = 0; j < kTopWidth; ++j)
        if (keys[j] != 0u && (keys[j] & mask) == prefix)
          atomicAdd(&histogram[keys[j] >> shift & 255], 1);
    }
    __syncthreads();
    // Warp 0 finds the digit at which the count from the top reaches
    // `remaining`: lane l holds digits 255 - 8l down to 248 - 8l.
    if (threadIdx.x < 32) {
      const int lane = threadIdx.x;
      int digits[8], own = 0;
#pragma unroll
      for (int j = 0; j < 8; ++j)
        own += digits[j] = histogram[255 - 8 * lane - j];
      const int inclusive = attnWarpInclusiveSum(own);
      if (shift == 24 && lane == 31)
        unmasked = inclusive;
      if (inclusive - own < remaining && inclusive >= remaining) {
        int left = remaining - (inclusive - own), digit = 0, count = 0;
        bool found = false;
#pragma unroll
        for (int j = 0; j < 8; ++j)
          if (!found && digits[j] >= left)
            digit = 255 - 8 * lane - j, count = digits[j], found = true;
          else if (!found)
            left -= digits[j];
        chosenPrefix = prefix | (unsigned)digit << shift;
        chosenRemaining = left, chosenCount = count;
      }
    }
    __syncthreads();
    if (unmasked <= kTop) {
      prefix = 0u, remaining = 0;
      break;
    }
    prefix = chosenPrefix, remaining = chosenRemaining, equalKeys = chosenCount;
    mask |= 255u << shift;
  }

  // Keys above the threshold, and the first `remaining` equal to it, in key
  // order: each thread's elements are consecutive.
  // Ranks among the keys equal to the threshold are needed only when some
  // of them are left out (ties across the cut); the test is block-uniform.
  const bool takeEqual = remaining == equalKeys;
  int taken = 0, equalBefore = 0;
  for (int base = 0; base < L; base += kSpan) {
    unsigned keys[kTopWidth];
    attnTopKeys(x, base, L, keys);
    int equalRank = 0, equalTotal = 0, takenTotal;
    if (!takeEqual) {
      int equal = 0;
#pragma unroll
      for (int j = 0; j < kTopWidth; ++j)
        equal += keys[j] != 0u && keys[j] == prefix;
      equalRank = equalBefore + attnBlockPrefix(equal, equalTotal, warpTotals);
    }
    bool take[kTopWidth];
    int takes = 0;
#pragma unroll
    for (int j = 0; j < kTopWidth; ++j) {
      const bool isEqual = keys[j] != 0u && keys[j] == prefix;
      take[j] = keys[j] > prefix || (isEqual && (takeEqual || equalRank < remaining));
      equalRank += isEqual;
      takes += take[j];
    }
    int position = taken + attnBlockPrefix(takes, takenTotal, warpTotals);
#pragma unroll
    for (int j = 0; j < kTopWidth; ++j)
      if (take[j])
        out[position++] = base + kTopWidth * threadIdx.x + j;
    taken += takenTotal, equalBefore += equalTotal;
  }
  for (int i = taken + threadIdx.x; i < kTop; i += kTopThreads)
    out[i] = -1;
  if (threadIdx.x == 0)
    counts[row] = taken;
}
)cu";

constexpr const char *kLauncher = R"cu(
/// The indexer's shapes against the queries' B and T and the caches' S.
static int attnSelectionChecks(const attn_cuda_tensor *iq, const attn_cuda_tensor *ik, const attn_cuda_tensor *iw,
                               int64_t B, int64_t T, int64_t S) {
  if (iq->shape[0] != B || iq->shape[1] != kIndexHeads || iq->shape[2] != T || iq->shape[3] != kIndexDim)
    return attnFail(1, "indexer queries are [%lld, %lld, %lld, %lld]; expected [%lld, $HI, %lld, $DI]", ATTN_SHAPE(iq),
                    (long long)B, (long long)T);
  if (ik->shape[0] != B || ik->shape[1] != 1 || ik->shape[2] != S || ik->shape[3] != kIndexDim)
    return attnFail(1, "indexer keys are [%lld, %lld, %lld, %lld]; expected [%lld, 1, %lld, $DI]", ATTN_SHAPE(ik),
                    (long long)B, (long long)S);
  if (iw->shape[0] != B || iw->shape[1] != kIndexHeads || iw->shape[2] != T)
    return attnFail(1, "indexer weights are [%lld, %lld, %lld]; expected [%lld, $HI, %lld]", (long long)iw->shape[0],
                    (long long)iw->shape[1], (long long)iw->shape[2], (long long)B, (long long)T);
  if (T > 65535)
    return attnFail(1, "%lld queries per sequence: the indexer takes at most 65535", (long long)T);
  return 0;
}

/// Scores every query's keys and selects the best kTop: *selection gets B T
/// rows of kTop keys (ascending, then -1), *counts = *selection + B T kTop
/// their numbers. Free *selection with cudaFreeAsync on `stream`.
static int attnSelectTokens(const attn_cuda_tensor *iq, const attn_cuda_tensor *ik, const attn_cuda_tensor *iw,
                            const void *lengthsData, int64_t B, int64_t T, int64_t S, int **selection, int **counts,
                            void *stream) {
  static const void *index = attn_rt::withSharedBytes(attnKernel(${NAME}_index), kIndexSmem);
  static const void *topk = attnKernel(${NAME}_topk);
  if (!index || !topk)
    return 4;
  const long long rows = B * T;
  float *scores;
  if (int rc = attn_rt::scratch((void **)&scores, (size_t)rows * (S > 0 ? S : 1) * 4, stream))
    return rc;
  if (int rc = attn_rt::scratch((void **)selection, (size_t)rows * (kTop + 1) * 4, stream)) {
    cudaFreeAsync(scores, (cudaStream_t)stream);
    return rc;
  }
  *counts = *selection + rows * kTop;
  const void *qData = iq->data, *kData = ik->data, *wData = iw->data, *lengths = lengthsData;
  long long qs[3] = {iq->strides[0], iq->strides[1], iq->strides[2]};
  long long ks[2] = {ik->strides[0], ik->strides[2]};
  long long ws[3] = {iw->strides[0], iw->strides[1], iw->strides[2]};
  int Ti = (int)T, Si = (int)S;
  void *indexArgs[] = {&qData, &qs[0], &qs[1], &qs[2], &kData, &ks[0], &ks[1], &wData, &ws[0], &ws[1], &ws[2],
                       &lengths, &Ti, &Si, &scores};
  const long long keyBlocks = std::max<long long>(1, (S + kIndexBN * kIndexTiles - 1) / (kIndexBN * kIndexTiles));
  int status = attn_rt::launch(index, dim3((unsigned)keyBlocks, (unsigned)T, (unsigned)B), dim3(kIndexThreads),
                               indexArgs, kIndexSmem, stream);
  void *topArgs[] = {&scores, &lengths, &Ti, &Si, selection, counts};
  if (!status)
    status = attn_rt::launch(topk, dim3((unsigned)rows), dim3(kTopThreads), topArgs, 0, stream);
  cudaFreeAsync(scores, (cudaStream_t)stream);
  if (status)
    cudaFreeAsync(*selection, (cudaStream_t)stream);
  return status;
}
)cu";
} // namespace

SelectionParts cuda::emitTokenSelection(
    const SoftmaxAttention &a,
    ArrayRef<std::pair<StringRef, std::string>> latentNames) {
  TokenSelection sel = *a.selection;
  Type weight = sel.indexScore.getWeights().getType().getElementType();
  std::vector<std::pair<StringRef, std::string>> names(latentNames.begin(),
                                                       latentNames.end());
  names.push_back({"HI", std::to_string(sel.heads)});
  names.push_back({"DI", std::to_string(sel.dim)});
  names.push_back({"TOP", std::to_string(sel.top)});
  names.push_back(
      {"WEIGHT", weight.isF32() ? "float" : elementTypeName(weight).str()});
  SelectionParts parts;
  parts.constants = substitute(kConstants, names);
  llvm::raw_string_ostream device(parts.device);
  emitSelectionMasks(sel, device);
  device << substitute(kKernels, names);
  parts.launcher = substitute(kLauncher, names);
  return parts;
}
