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
constexpr const char *kConstants = R"cu(
// Each warp owns kRowTiles 16-row tiles of queries: more rows per warp
// reuse each key and value fragment read from shared memory more often.
constexpr int kWarps = $WARPS, kRowTiles = $ROW_TILES, kBlocksPerSM = $BLOCKS_PER_SM;
constexpr int kThreads = 32 * kWarps, kBM = 16 * kRowTiles * kWarps;
constexpr int kBN = $BN, kD = $D, kDV = $DV, kStages = $STAGES;
constexpr int kHeads = $H, kKvHeads = $HKV;
constexpr int kQBytes = kBM * kD * 2, kKBytes = kBN * kD * 2, kVBytes = kBN * kDV * 2;
constexpr int kSmemBytes = kQBytes + kStages * (kKBytes + kVBytes);
)cu";

constexpr const char *kKernel = R"cu(
static_assert(kSmemBytes <= 163 * 1024, "tiles exceed the shared memory of an sm_80 block");

namespace {

/// Byte offset of 16-byte chunk c of row r in a tile of kChunks chunks per
/// row: chunk c sits at c ^ (r % 8), so the 8 rows that an ldmatrix reads at
/// one column fall in 8 different bank groups.
template <int kChunks>
__device__ __forceinline__ unsigned tileOffset(int r, int c) {
  static_assert(kChunks % 8 == 0, "rows of at least 8 chunks");
  return (r * kChunks + (c ^ (r % 8))) * 16;
}

} // namespace

extern "C" __global__ void __launch_bounds__(kThreads, kBlocksPerSM)
${NAME}_kernel(const $ELEM *__restrict__ q, long long qsB, long long qsH, long long qsT,
             const $ELEM *__restrict__ k, long long ksB, long long ksH, long long ksT,
             const $ELEM *__restrict__ v, long long vsB, long long vsH, long long vsT,
             $ELEM *__restrict__ out, long long osB, long long osH, long long osT,
             float *__restrict__ lse, const $LENGTH_TYPE *__restrict__ lengths, int T, int S) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned char *sQ = smem, *sK = sQ + kQBytes, *sV = sK + kStages * kKBytes;

  // The heaviest query tiles (most keys under a causal mask) start first.
  const int mBlock = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hk = h / (kHeads / kKvHeads);
  const int L = attnKeyLength(lengths, b, S);
  const int tFirst = mBlock * kBM, tLast = min(tFirst + kBM, T) - 1;
  int tileBegin, tiles;
  attnKeyTiles<kBN>(tFirst, tLast, T, L, tileBegin, tiles);
  const int tileLast = tileBegin + tiles - 1;

  // Step i of the walk reads key tile tileLast - i from stage i % kStages.
  // Keys past L are zero-filled: values there may hold anything, and even a
  // zero weight times a NaN is NaN.
  const $ELEM *kHead = k + b * ksB + hk * ksH, *vHead = v + b * vsB + hk * vsH;
  const auto loadKeyTile = [&](int i) {
    const int s0 = (tileLast - i) * kBN, stage = i % kStages;
    cpAsyncTile<kThreads, kBN, kD>(reinterpret_cast<$ELEM *>(sK + stage * kKBytes), kHead + s0 * ksT, ksT, L - s0);
    cpAsyncTile<kThreads, kBN, kDV>(reinterpret_cast<$ELEM *>(sV + stage * kVBytes), vHead + s0 * vsT, vsT, L - s0);
  };
  cpAsyncTile<kThreads, kBM, kD>(reinterpret_cast<$ELEM *>(sQ), q + b * qsB + h * qsH + tFirst * qsT, qsT,
                                 T - tFirst);
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) {
    if (i < tiles)
      loadKeyTile(i);
    cpAsyncCommit(); // empty groups too: group i is always step i's tile
  }

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int wRow = warp * 16 * kRowTiles; // the warp's first row in the block's tile
  float o[kRowTiles][kDV / 2];
  float rowMax[kRowTiles][2], rowSum[kRowTiles][2];
#pragma unroll
  for (int m = 0; m < kRowTiles; ++m) {
#pragma unroll
    for (int j = 0; j < kDV / 2; ++j)
      o[m][j] = 0.f;
    rowMax[m][0] = rowMax[m][1] = -INFINITY;
    rowSum[m][0] = rowSum[m][1] = 0.f;
  }
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
    float s[kRowTiles][kBN / 2];
#pragma unroll
    for (int m = 0; m < kRowTiles; ++m)
#pragma unroll
      for (int j = 0; j < kBN / 2; ++j)
        s[m][j] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) {
      unsigned a[kRowTiles][4];
#pragma unroll
      for (int m = 0; m < kRowTiles; ++m)
        ldmatrixX4(a[m], qTile + tileOffset<kD / 8>(wRow + 16 * m + lane % 16, 2 * kk + lane / 16));
#pragma unroll
      for (int n = 0; n < kBN / 16; ++n) {
        unsigned bk[4];
        ldmatrixX4(bk, kTile + tileOffset<kD / 8>(16 * n + lane % 8 + 8 * (lane / 16),
                                                  2 * kk + lane / 8 % 2));
#pragma unroll
        for (int m = 0; m < kRowTiles; ++m) {
          mmaM16N8K16<$ELEM>(&s[m][8 * n], a[m], bk[0], bk[1]);
          mmaM16N8K16<$ELEM>(&s[m][8 * n + 4], a[m], bk[2], bk[3]);
        }
      }
    }

    unsigned p[kRowTiles][kBN / 16][4];
#pragma unroll
    for (int m = 0; m < kRowTiles; ++m) {
      const int mFirst = tFirst + wRow + 16 * m, mLast = min(mFirst + 15, T - 1);
      const int t0 = mFirst + lane / 4; // this thread's rows: t0, t0 + 8
      float tileMax[2] = {rowMax[m][0], rowMax[m][1]};
      if (mFirst <= mLast && attnTileVisible(mFirst, mLast, s0, s0 + kBN - 1, T, L))
        attnScoreTile<false, kBN>(s[m], b, {h, h}, {t0, t0 + 8}, s0, T, L, tileMax);
      else
        attnScoreTile<true, kBN>(s[m], b, {h, h}, {t0, t0 + 8}, s0, T, L, tileMax);
      attnOnlineSoftmax<$ELEM, kBN, kDV>(s[m], tileMax, rowMax[m], rowSum[m], o[m], p[m]);
    }

    // O += P V. V is key-major, so B comes through ldmatrix.trans: keys
    // lane % 16 at chunk 2n + lane / 16 give two 8-wide value-dim n-tiles.
    const unsigned vTile = sharedAddress(sV + stage * kVBytes);
#pragma unroll
    for (int kk = 0; kk < kBN / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kDV / 16; ++n) {
        unsigned bv[4];
        ldmatrixX4Trans(bv, vTile + tileOffset<kDV / 8>(16 * kk + lane % 16, 2 * n + lane / 16));
#pragma unroll
        for (int m = 0; m < kRowTiles; ++m) {
          mmaM16N8K16<$ELEM>(&o[m][8 * n], p[m][kk], bv[0], bv[1]);
          mmaM16N8K16<$ELEM>(&o[m][8 * n + 4], p[m][kk], bv[2], bv[3]);
        }
      }
  }
  cpAsyncWait<0>(); // no copy outlives the block, even when no tile was read

#pragma unroll
  for (int m = 0; m < kRowTiles; ++m)
    attnStoreRows<$ELEM, kDV>(o[m], rowMax[m], rowSum[m], out, osB, osH, osT, lse, kHeads, b, h,
                              tFirst + wRow + 16 * m + lane / 4, T);
}
)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, float *lse, void *stream) {
$CHECKS
  const void *qData = q->data, *kData = k->data, *vData = v->data, *lengthsData = $LENGTHS;
  void *outData = out->data;
  long long qs[3] = {q->strides[0], q->strides[1], q->strides[2]};
  long long ks[3] = {k->strides[0], k->strides[1], k->strides[2]};
  long long vs[3] = {v->strides[0], v->strides[1], v->strides[2]};
  long long os[3] = {out->strides[0], out->strides[1], out->strides[2]};
  int Ti = (int)T, Si = (int)S;
  void *args[] = {&qData, &qs[0], &qs[1], &qs[2], &kData, &ks[0], &ks[1], &ks[2],
                  &vData, &vs[0], &vs[1], &vs[2], &outData, &os[0], &os[1], &os[2],
                  &lse, &lengthsData, &Ti, &Si};
  const dim3 grid((unsigned)((T + kBM - 1) / kBM), $H, (unsigned)B);
  static const void *kernel = attn_rt::withSharedBytes(attnKernel(${NAME}_kernel), kSmemBytes);
  return attn_rt::launch(kernel, grid, dim3(kThreads), args, kSmemBytes, stream);
}
)cu";
} // namespace

FailureOr<KernelParts> cuda::emitSoftmaxSm80(const SoftmaxAttention &a,
                                             StringRef name) {
  // One block of 8 warps x 16 rows per SM, with 128-key tiles up to head
  // dim 128 and 32-key tiles at 256: the 128-row query tile and two stages
  // of keys and values then fit the 163 KB of shared memory an A100 block
  // may have, and the registers stay under 255 without spills. Measured on
  // an H100 (D = 128), this beat 64-key tiles by 10-15%, and both 4 warps
  // x 16 rows and 4 warps x 32 rows (64- and 32-key tiles) at 2 blocks per
  // SM. Two stages suffice: a tile's math takes longer than the next copy.
  int maxDim = std::max(a.headDim, a.valueDim);
  return assembleSoftmaxKernel(
      a, name,
      {{"BN", maxDim <= 128 ? "128" : "32"},
       {"WARPS", "8"},
       {"ROW_TILES", "1"},
       {"BLOCKS_PER_SM", "1"},
       {"STAGES", "2"}},
      {kConstants, "", kKernel, kLauncher, "sm80.cuh"});
}
