//===- SoftmaxSm90.cpp - softmax attention for Hopper (sm_90a) -----------===//
//
// The FlashAttention-3 structure: a block of 3 warpgroups per 128-query
// tile. Warpgroup 0 is the producer: one thread streams the key and value
// tiles into a ring of shared-memory stages with TMA, each stage's arrival
// signalled on an mbarrier, and waits on the consumers' release before
// reusing a stage. Warpgroups 1 and 2 each own 64 query rows: S = Q K^T by
// wgmma from shared memory, the score chain and the online softmax in
// registers, then O += P V by wgmma with P taken from registers (the score
// accumulator's layout is the A operand's). While one consumer runs its
// softmax the other's matmuls keep the tensor cores busy. Key tiles are
// walked from the last: the boundary tiles that need masking come first,
// and tiles that the masks hide entirely are never loaded.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
constexpr const char *kConstants = R"cu(
constexpr int kBM = 128, kBN = $BN, kD = $D, kDV = $DV, kStages = $STAGES;
constexpr int kHeads = $H, kKvHeads = $HKV;
constexpr int kQBytes = kBM * kD * 2, kKBytes = kBN * kD * 2, kVBytes = kBN * kDV * 2;
// Tiles, then 1 + 3 * kStages mbarriers, plus room to align to 1024 bytes
// (the 128-byte swizzle pattern repeats every 1024).
constexpr int kSmemBytes = kQBytes + kStages * (kKBytes + kVBytes) + 256 + 1024;
)cu";

constexpr const char *kKernel = R"cu(
static_assert(kSmemBytes <= 227 * 1024, "tiles exceed the shared memory of a block");


extern "C" __global__ void __launch_bounds__(384, 1)
${NAME}_kernel(const __grid_constant__ attn_rt::TensorMap tmQ,
             const __grid_constant__ attn_rt::TensorMap tmK,
             const __grid_constant__ attn_rt::TensorMap tmV,
             $ELEM *__restrict__ out, long long osB, long long osH, long long osT,
             float *__restrict__ lse, const $LENGTH_TYPE *__restrict__ lengths, int T, int S) {
  using namespace attn_rt;
  extern __shared__ unsigned char smemRaw[];
  unsigned char *sQ = smemRaw + ((1024 - sharedAddress(smemRaw) % 1024) % 1024);
  unsigned char *sK = sQ + kQBytes;
  unsigned char *sV = sK + kStages * kKBytes;
  unsigned long long *barQ = reinterpret_cast<unsigned long long *>(sV + kStages * kVBytes);
  unsigned long long *fullK = barQ + 1, *fullV = fullK + kStages, *empty = fullV + kStages;

  // The heaviest query tiles (most keys under a causal mask) start first.
  const int mBlock = gridDim.x - 1 - blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const int hk = h / (kHeads / kKvHeads);
  const int L = attnKeyLength(lengths, b, S);
  const int tFirst = mBlock * kBM, tLast = min(tFirst + kBM, T) - 1;
  int tileBegin, tiles;
  attnKeyTiles<kBN>(tFirst, tLast, T, L, tileBegin, tiles);
  const int tileLast = tileBegin + tiles - 1;

  if (threadIdx.x == 0) {
    mbarrierInit(barQ, 1);
    for (int i = 0; i < kStages; ++i) {
      mbarrierInit(&fullK[i], 1);
      mbarrierInit(&fullV[i], 1);
      mbarrierInit(&empty[i], 8); // one arrival per consumer warp
    }
    fenceBarrierInit();
  }
  __syncthreads();

  if (threadIdx.x < 128) { // producer
    registersRelease<24>();
    if (threadIdx.x == 0) {
      mbarrierExpectBytes(barQ, kQBytes);
      for (int c = 0; c < kD / 64; ++c)
        tmaLoad4d(sQ + c * kBM * 128, &tmQ, barQ, c * 64, tFirst, h, b);
      for (int i = 0; i < tiles; ++i) {
        const int tile = tileLast - i, stage = i % kStages;
        if (i >= kStages)
          mbarrierWait(&empty[stage], ((i / kStages) & 1) ^ 1);
        mbarrierExpectBytes(&fullK[stage], kKBytes);
        for (int c = 0; c < kD / 64; ++c)
          tmaLoad4d(sK + stage * kKBytes + c * kBN * 128, &tmK, &fullK[stage], c * 64,
                    tile * kBN, hk, b);
        mbarrierExpectBytes(&fullV[stage], kVBytes);
        for (int c = 0; c < kDV / 64; ++c)
          tmaLoad4d(sV + stage * kVBytes + c * kBN * 128, &tmV, &fullV[stage], c * 64,
                    tile * kBN, hk, b);
      }
    }
    return;
  }

  registersAcquire<240>();
  const int wg = threadIdx.x / 128 - 1, warp = threadIdx.x / 32 % 4, lane = threadIdx.x % 32;
  const int wgFirst = tFirst + wg * 64, wgLast = min(wgFirst + 63, T - 1);
  const int t0 = wgFirst + warp * 16 + lane / 4; // this thread's rows: t0, t0 + 8
  float o[kDV / 2];
#pragma unroll
  for (int i = 0; i < kDV / 2; ++i)
    o[i] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
  mbarrierWait(barQ, 0);
  // One tile at a time: S = Q K^T, the score chain and the online softmax in
  // registers, then O += P V. The other consumer's matmuls fill the tensor
  // cores during this one's softmax. (Overlapping the next tile's Q K^T with
  // this tile's P V inside a warpgroup measured 4-14% slower: NOTES-softmax.)
  for (int i = 0; i < tiles; ++i) {
    const int s0 = (tileLast - i) * kBN, stage = i % kStages;
    const unsigned phase = (i / kStages) & 1;
    float s[kBN / 2];
    mbarrierWait(&fullK[stage], phase);
    registerFence(s);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk)
      wgmmaScores(s,
                  wgmmaDescriptor(sQ + (kk / 4) * kBM * 128 + wg * 64 * 128 + (kk % 4) * 32, 16, 1024),
                  wgmmaDescriptor(sK + stage * kKBytes + (kk / 4) * kBN * 128 + (kk % 4) * 32, 16, 1024),
                  kk > 0);
    wgmmaCommit();
    wgmmaWait<0>();
    registerFence(s);

    float tileMax[2] = {rowMax[0], rowMax[1]};
    if (wgFirst <= wgLast && attnTileVisible(wgFirst, wgLast, s0, s0 + kBN - 1, T, L))
      attnScoreTile<false, kBN>(s, b, {h, h}, {t0, t0 + 8}, s0, T, L, tileMax);
    else
      attnScoreTile<true, kBN>(s, b, {h, h}, {t0, t0 + 8}, s0, T, L, tileMax);
    unsigned p[kBN / 16][4];
    attnOnlineSoftmax<$ELEM, kBN, kDV>(s, tileMax, rowMax, rowSum, o, p);

    // P is read from registers: the A operand's layout is the accumulator's.
    mbarrierWait(&fullV[stage], phase);
    registerFence(o);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kBN / 16; ++kk)
      wgmmaValues(o, p[kk], wgmmaDescriptor(sV + stage * kVBytes + kk * 16 * 128, kBN * 128, 1024), 1);
    wgmmaCommit();
    wgmmaWait<0>();
    registerFence(o);
    __syncwarp();
    if (lane == 0)
      mbarrierArrive(&empty[stage]);
  }

  attnStoreRows<$ELEM, kDV>(o, rowMax, rowSum, out, osB, osH, osT, lse, kHeads, b, h, t0, T);
}
)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, float *lse, void *stream) {
$CHECKS
  attn_rt::TensorMap tmQ, tmK, tmV;
  // Without keys no tile is read; the maps still need a valid shape.
  const uint64_t keyRows = S > 0 ? S : 1;
  if (!attn_rt::encodeRowTiles(&tmQ, q->data, q->shape, q->strides, T, kBM) ||
      !attn_rt::encodeRowTiles(&tmK, k->data, k->shape, k->strides, keyRows, kBN) ||
      !attn_rt::encodeRowTiles(&tmV, v->data, v->shape, v->strides, keyRows, kBN))
    return attnFail(3, "encoding the TMA descriptors failed (driver without "
                       "cuTensorMapEncodeTiled, or sizes past its limits)");
  void *outData = out->data;
  const void *lengthsData = $LENGTHS;
  long long osB = out->strides[0], osH = out->strides[1], osT = out->strides[2];
  int Ti = (int)T, Si = (int)S;
  void *args[] = {&tmQ, &tmK, &tmV, &outData, &osB, &osH, &osT, &lse, &lengthsData, &Ti, &Si};
  const dim3 grid((unsigned)((T + kBM - 1) / kBM), $H, (unsigned)B);
  static const void *kernel = attn_rt::withSharedBytes(attnKernel(${NAME}_kernel), kSmemBytes);
  return attn_rt::launch(kernel, grid, dim3(384), args, kSmemBytes, stream);
}
)cu";
} // namespace

FailureOr<KernelParts> cuda::emitSoftmaxSm90(const SoftmaxAttention &a,
                                             StringRef name) {
  int maxDim = std::max(a.headDim, a.valueDim);
  int bn = maxDim <= 128 ? 128 : 64;
  StringRef ptxType = a.element.isBF16() ? "bf16" : "f16";
  // The wgmma instructions of the kernel's two products.
  std::string instructions =
      wgmmaFunction("wgmmaScores", bn, ptxType, false, false) +
      wgmmaFunction("wgmmaValues", a.valueDim, ptxType, true, true);
  return assembleSoftmaxKernel(
      a, name, {{"BN", std::to_string(bn)}, {"STAGES", "2"}},
      {kConstants, instructions, kKernel, kLauncher, "sm90.cuh"});
}
