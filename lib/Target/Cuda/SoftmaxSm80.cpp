//===- SoftmaxSm80.cpp - softmax attention for Ampere (sm_80) ------------===//
//
// The FlashAttention-2 structure: a block of 8 warps per 128-query tile,
// each warp owning 16 query rows end to end (no exchange between warps).
// All threads stream the query tile once and the key and value tiles
// through a ring of shared-memory stages with cp.async, one commit group per
// key tile, so the copy of a later tile overlaps the math on this one. Each
// warp computes S = Q K^T with mma.sync from ldmatrix fragments, runs the
// score chain and the online softmax in registers, and adds P V with P taken
// straight from the score accumulators (their layout is the A operand's).
// Shared tiles are stored with their 16-byte chunks XOR-swizzled by row, so
// ldmatrix reads are free of bank conflicts. Key tiles are walked from the
// last, as on sm_90a: boundary tiles that need masking come first, and
// tiles that the masks hide entirely are never loaded.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
constexpr const char *kKernel = R"cu(
namespace {
constexpr int kWarps = 8, kThreads = 32 * kWarps, kBM = 16 * kWarps;
constexpr int kBN = $BN, kD = $D, kDV = $DV, kStages = $STAGES;
constexpr int kHeads = $H, kKvHeads = $HKV;
constexpr int kQBytes = kBM * kD * 2, kKBytes = kBN * kD * 2, kVBytes = kBN * kDV * 2;
constexpr int kSmemBytes = kQBytes + kStages * (kKBytes + kVBytes);

/// Byte offset of 16-byte chunk c of row r in a tile of kChunks chunks per
/// row: chunk c sits at c ^ (r % 8), so the 8 rows that an ldmatrix reads at
/// one column fall in 8 different bank groups.
template <int kChunks>
__device__ __forceinline__ unsigned tileOffset(int r, int c) {
  static_assert(kChunks % 8 == 0, "rows of at least 8 chunks");
  return (r * kChunks + (c ^ (r % 8))) * 16;
}

/// Starts copying the first kRows rows of a [rows, kCols] matrix (row
/// stride `stride` elements) into a swizzled tile; rows at or past `rows`
/// are zero-filled, so partial tiles read nothing out of bounds.
template <int kRows, int kCols>
__device__ __forceinline__ void loadTile(unsigned char *tile, const $ELEM *src, long long stride,
                                         int rows) {
  constexpr int kChunks = kCols / 8;
  static_assert(kRows * kChunks % kThreads == 0, "whole chunks per thread");
#pragma unroll
  for (int i = 0; i < kRows * kChunks / kThreads; ++i) {
    const int chunk = i * kThreads + threadIdx.x, r = chunk / kChunks, c = chunk % kChunks;
    const bool valid = r < rows;
    attn_rt::cpAsync16(tile + tileOffset<kChunks>(r, c), valid ? src + r * stride + c * 8 : src,
                       valid);
  }
}
} // namespace

extern "C" __global__ void __launch_bounds__(kThreads, 1)
${NAME}_kernel(const $ELEM *__restrict__ q, long long qsB, long long qsH, long long qsT,
             const $ELEM *__restrict__ k, long long ksB, long long ksH, long long ksT,
             const $ELEM *__restrict__ v, long long vsB, long long vsH, long long vsT,
             $ELEM *__restrict__ out, long long osB, long long osH, long long osT,
             float *__restrict__ lse, const long long *__restrict__ lengths, int T, int S) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned char *sQ = smem, *sK = sQ + kQBytes, *sV = sK + kStages * kKBytes;

  // The heaviest query tiles (most keys under a causal mask) start first.
  const int mBlock = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hk = h / (kHeads / kKvHeads);
  const int L = lengths ? (int)min(max(lengths[b], 0ll), (long long)S) : S;
  const int tFirst = mBlock * kBM, tLast = min(tFirst + kBM, T) - 1;
  int keyBegin, keyEnd;
  attnKeyRange(tFirst, tLast, T, L, keyBegin, keyEnd);
  keyBegin = max(keyBegin, 0);
  keyEnd = min(keyEnd, L);
  const int tileBegin = keyBegin / kBN;
  const int tiles = keyEnd > keyBegin ? (keyEnd + kBN - 1) / kBN - tileBegin : 0;
  const int tileLast = tileBegin + tiles - 1;

  // Step i of the walk reads key tile tileLast - i from stage i % kStages.
  // Keys past L are zero-filled: values there may hold anything, and even a
  // zero weight times a NaN is NaN.
  const $ELEM *kHead = k + b * ksB + hk * ksH, *vHead = v + b * vsB + hk * vsH;
  const auto loadKeyTile = [&](int i) {
    const int s0 = (tileLast - i) * kBN, stage = i % kStages;
    loadTile<kBN, kD>(sK + stage * kKBytes, kHead + s0 * ksT, ksT, L - s0);
    loadTile<kBN, kDV>(sV + stage * kVBytes, vHead + s0 * vsT, vsT, L - s0);
  };
  loadTile<kBM, kD>(sQ, q + b * qsB + h * qsH + tFirst * qsT, qsT, T - tFirst);
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) {
    if (i < tiles)
      loadKeyTile(i);
    cpAsyncCommit(); // empty groups too: group i is always step i's tile
  }

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wFirst = tFirst + warp * 16, wLast = min(wFirst + 15, T - 1);
  const int t0 = wFirst + lane / 4; // this thread's rows: t0, t0 + 8
  float o[kDV / 2];
#pragma unroll
  for (int i = 0; i < kDV / 2; ++i)
    o[i] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
  const unsigned qTile = sharedAddress(sQ);

  for (int i = 0; i < tiles; ++i) {
    const int stage = i % kStages, s0 = (tileLast - i) * kBN;
    cpAsyncWait<kStages - 2>();
    // Step i's tile is visible to every warp, and every warp is done with
    // the stage that step i - 1 read, which the next copy refills.
    __syncthreads();
    if (i + kStages - 1 < tiles)
      loadKeyTile(i + kStages - 1);
    cpAsyncCommit();

    // S = Q K^T. ldmatrix lanes: A takes rows lane % 16 at chunk 2kk +
    // lane / 16; B pairs two 8-key n-tiles: keys lane % 8 + 8 (lane / 16)
    // at chunk 2kk + (lane / 8) % 2.
    const unsigned kTile = sharedAddress(sK + stage * kKBytes);
    float s[kBN / 2];
#pragma unroll
    for (int j = 0; j < kBN / 2; ++j)
      s[j] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) {
      unsigned a[4];
      ldmatrixX4(a, qTile + tileOffset<kD / 8>(warp * 16 + lane % 16, 2 * kk + lane / 16));
#pragma unroll
      for (int n = 0; n < kBN / 16; ++n) {
        unsigned bk[4];
        ldmatrixX4(bk, kTile + tileOffset<kD / 8>(16 * n + lane % 8 + 8 * (lane / 16),
                                                  2 * kk + lane / 8 % 2));
        mmaM16N8K16<$ELEM>(&s[8 * n], a, bk[0], bk[1]);
        mmaM16N8K16<$ELEM>(&s[8 * n + 4], a, bk[2], bk[3]);
      }
    }

    float tileMax[2] = {rowMax[0], rowMax[1]};
    if (wFirst <= wLast && attnTileVisible(wFirst, wLast, s0, s0 + kBN - 1, T, L))
      attnScoreTile<false, kBN>(s, b, h, t0, s0, T, L, tileMax);
    else
      attnScoreTile<true, kBN>(s, b, h, t0, s0, T, L, tileMax);
    unsigned p[kBN / 16][4];
    attnOnlineSoftmax<$ELEM, kBN, kDV>(s, tileMax, rowMax, rowSum, o, p);

    // O += P V. V is key-major, so B comes through ldmatrix.trans: keys
    // lane % 16 at chunk 2n + lane / 16 give two 8-wide value-dim n-tiles.
    const unsigned vTile = sharedAddress(sV + stage * kVBytes);
#pragma unroll
    for (int kk = 0; kk < kBN / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kDV / 16; ++n) {
        unsigned bv[4];
        ldmatrixX4Trans(bv, vTile + tileOffset<kDV / 8>(16 * kk + lane % 16, 2 * n + lane / 16));
        mmaM16N8K16<$ELEM>(&o[8 * n], p[kk], bv[0], bv[1]);
        mmaM16N8K16<$ELEM>(&o[8 * n + 4], p[kk], bv[2], bv[3]);
      }
  }
  cpAsyncWait<0>(); // no copy outlives the block, even when no tile was read

  attnStoreRows<$ELEM, kDV>(o, rowMax, rowSum, out, osB, osH, osT, lse, kHeads, b, h, t0, T);
}
)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, float *lse, void *stream) {
$CHECKS
  static const cudaError_t attributeStatus = cudaFuncSetAttribute(
      ${NAME}_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (attributeStatus != cudaSuccess)
    return attnFail(4, "%s", cudaGetErrorString(attributeStatus));
  dim3 grid((unsigned)((T + kBM - 1) / kBM), $H, (unsigned)B);
  ${NAME}_kernel<<<grid, kThreads, kSmemBytes, (cudaStream_t)stream>>>(
      (const $ELEM *)q->data, q->strides[0], q->strides[1], q->strides[2],
      (const $ELEM *)k->data, k->strides[0], k->strides[1], k->strides[2],
      (const $ELEM *)v->data, v->strides[0], v->strides[1], v->strides[2],
      ($ELEM *)out->data, out->strides[0], out->strides[1], out->strides[2], lse,
      $LENGTHS, (int)T, (int)S);
  const cudaError_t status = cudaGetLastError();
  return status == cudaSuccess ? 0 : attnFail(4, "%s", cudaGetErrorString(status));
}
)cu";
} // namespace

LogicalResult cuda::emitSoftmaxSm80(const SoftmaxAttention &a, StringRef name,
                                    raw_ostream &os) {
  if (failed(emitSoftmaxFragments(a, os)))
    return failure();
  // 64-key tiles, 32 at head dim 256: the 128-row query tile and two stages
  // of keys and values then fit the 163 KB of shared memory an A100 block
  // may have. Two stages suffice: a tile's math takes far longer than the
  // next tile's copy.
  int maxDim = std::max(a.headDim, a.valueDim);
  std::string elem = elementTypeName(a.element).str();
  os << substitute(kKernel, {{"BN", maxDim <= 128 ? "64" : "32"},
                             {"D", std::to_string(a.headDim)},
                             {"DV", std::to_string(a.valueDim)},
                             {"STAGES", "2"},
                             {"H", std::to_string(a.heads)},
                             {"HKV", std::to_string(a.kvHeads)},
                             {"NAME", name.str()},
                             {"ELEM", elem}});

  std::string checks;
  llvm::raw_string_ostream checkStream(checks);
  emitSoftmaxChecks(a, checkStream);
  os << "\n#ifndef __CUDACC_RTC__\n";
  os << substitute(kLauncher,
                   {{"NAME", name.str()},
                    {"PARAMS", softmaxParameters(a)},
                    {"CHECKS", checks},
                    {"H", std::to_string(a.heads)},
                    {"ELEM", elem},
                    {"LENGTHS", a.lengths ? "(const long long *)lengths->data"
                                          : "nullptr"}});
  os << "#endif // __CUDACC_RTC__\n";
  return success();
}
