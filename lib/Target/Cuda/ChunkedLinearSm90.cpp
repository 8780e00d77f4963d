//===- ChunkedLinearSm90.cpp - chunked linear attention with wgmma --------===//
//
// attn.chunked_scan with a scalar decay on Hopper (sm_90a). One CTA owns a
// batch, a head, a 128-wide value tile and a segment of 64-step chunks, as
// the mma.sync kernel does, but with 3 warpgroups:
//   - warpgroup 0 produces: one thread streams each chunk's Q, K and V into
//     a ring of shared-memory stages with TMA, one warp turns the chunk's
//     gates into cumulative log2 decays in the same stage; both arrive on
//     the stage's mbarrier;
//   - warpgroups 1 and 2 each own 64 rows of the transposed state S^T
//     (value rows x key columns) as wgmma accumulators, so the inter-chunk
//     product O^T = S^T Q^T takes the state straight from registers (the
//     accumulator layout is the A operand's), and the update
//     S^T = exp(b_last) S^T + (V^T ⊙ exp(b_last - b)) K takes V^T from
//     registers (ldmatrix) with the decay applied there. The intra-chunk
//     scores P = scale (Q K^T ⊙ D) are split by key columns between the two
//     and exchanged through shared memory, where O^T += V^T P^T reads them.
// Every product is one warpgroup-wide wgmma chain whose B operand is read
// from shared memory once per warpgroup, not once per warp.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
constexpr const char *kChunks = R"cu(
// Shared memory: stages of Q, K (kDk / 64 slabs of 64 x 64) and V (two
// slabs), written by TMA with 128-byte swizzling, and the chunk's cumulative
// log2 gates; then P twice (consecutive chunks), each consumer's output
// tile and the mbarriers. Stages and slabs stay 1024-byte aligned (the
// swizzle pattern's period).
constexpr int kStages = 2, kSlab = kC * 64 * 2;
constexpr int kQBytes = kDk / 64 * kSlab, kVBytes = kBV / 64 * kSlab;
constexpr int kOffGates = 2 * kQBytes + kVBytes, kStage = kOffGates + 1024;
constexpr int kOffP = kStages * kStage, kOffO = kOffP + 2 * kSlab;
constexpr int kOffBarriers = kOffO + 2 * kSlab;
constexpr int kSmemBytes = kOffBarriers + 2 * kStages * 8 + 1024;
static_assert(kSmemBytes <= 227 * 1024, "tiles exceed the shared memory of a block");

/// The 128-byte swizzled byte offset of element (row, col) in a slab.
__device__ __forceinline__ int slabOffset(int row, int col) {
  return attn_rt::swizzle<64>(row, col) * 2;
}

/// Walks one segment's chunks for batch blockIdx.z, head blockIdx.y and
/// value tile / segment blockIdx.x. With kOut, from the segment's entering
/// state, writing outputs (and the final state from the last segment);
/// without, from zero, writing the segment's own state contribution.
template <bool kOut>
__global__ void __launch_bounds__(kThreads, 1) ${NAME}_chunks(const __grid_constant__ Params p) {
  using namespace attn_rt;
  extern __shared__ unsigned char smemRaw[];
  unsigned char *smem = smemRaw + ((1024 - sharedAddress(smemRaw) % 1024) % 1024);
  unsigned long long *full = reinterpret_cast<unsigned long long *>(smem + kOffBarriers), *empty = full + kStages;
  const int tile = blockIdx.x % kTiles, seg = blockIdx.x / kTiles;
  const int h = blockIdx.y, b = blockIdx.z, hk = h / kGroup, dv0 = tile * kBV;
  const long long bh = (long long)b * kHeads + h;
  const int chunkBegin = seg * p.segChunks;
  const int chunks = min((p.T + kC - 1) / kC, chunkBegin + p.segChunks) - chunkBegin;

  if (threadIdx.x == 0) {
    for (int i = 0; i < kStages; ++i) {
      mbarrierInit(&full[i], 2);   // the TMA thread and the gate warp
      mbarrierInit(&empty[i], 8);  // one arrival per consumer warp
    }
    fenceBarrierInit();
  }
  __syncthreads();

  if (threadIdx.x < 128) { // producer
    registersRelease<24>();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int i = 0; i < chunks && warp < 2; ++i) {
      const int stage = i % kStages, t0 = (chunkBegin + i) * kC;
      unsigned char *sQ = smem + stage * kStage, *sK = sQ + kQBytes, *sV = sK + kQBytes;
      if (i >= kStages)
        mbarrierWait(&empty[stage], ((i / kStages) & 1) ^ 1);
      if (warp == 0 && lane == 0) {
        mbarrierExpectBytes(&full[stage], (kOut ? 2 * kQBytes : kQBytes) + kVBytes);
        for (int c = 0; c < kDk / 64; ++c) {
          if (kOut)
            tmaLoad4d(sQ + c * kSlab, &p.tmQ, &full[stage], c * 64, t0, h, b);
          tmaLoad4d(sK + c * kSlab, &p.tmK, &full[stage], c * 64, t0, hk, b);
        }
        for (int c = 0; c < kBV / 64; ++c)
          tmaLoad4d(sV + c * kSlab, &p.tmV, &full[stage], dv0 + c * 64, t0, hk, b);
      } else if (warp == 1) {
        // Cumulative log2 decays from the chunk's start, two steps per lane;
        // steps past T decay by nothing (their keys and values load as 0).
        float *sG = reinterpret_cast<float *>(smem + stage * kStage + kOffGates);
        auto gate = [&](int t) { return t < p.T ? ($GATE) * kLog2e : 0.f; };
        const float x0 = gate(t0 + 2 * lane), x1 = gate(t0 + 2 * lane + 1);
        float incl = x0 + x1;
#pragma unroll
        for (int off = 1; off < 32; off *= 2) {
          const float y = __shfl_up_sync(0xffffffffu, incl, off);
          if (lane >= off)
            incl += y;
        }
        sG[2 * lane] = incl - x1;
        sG[2 * lane + 1] = incl;
        __syncwarp();
        if (lane == 0)
          mbarrierArrive(&full[stage]);
      }
    }
    return;
  }

  registersAcquire<240>();
  const int wg = threadIdx.x / 128 - 1, warp = threadIdx.x / 32 % 4, lane = threadIdx.x % 32;
  const int g = lane / 4, c = lane % 4;
  // This thread's state rows (value dims, within the tile): dvRow, dvRow + 8.
  const int dvRow = 64 * wg + 16 * warp + g;
  // S^T in accumulator order: st[4j + 2r + e] is value row dvRow + 8r, key
  // column 8j + 2c + e.
  float st[kDk / 2];
  {
    const float *src = nullptr;
    long long ld = kDv;
    if (kOut && p.nseg > 1)
      src = p.segState + (bh * p.nseg + seg) * kDk * kDv;
    else if (kOut && p.init)
      src = p.init + b * p.ib + h * p.ih, ld = p.id;
#pragma unroll
    for (int i = 0; i < kDk / 2; ++i)
      st[i] = src ? src[(8 * (i / 4) + 2 * c + (i & 1)) * ld + dv0 + dvRow + 8 * (i / 2 & 1)] : 0.f;
  }
  // S^T as bf16/f16 A fragments of O^T = S^T Q^T, one per 16 key columns.
  unsigned sa[kDk / 16][4];
  auto stateFragments = [&] {
#pragma unroll
    for (int kk = 0; kk < kDk / 16; ++kk)
#pragma unroll
      for (int x = 0; x < 4; ++x)
        sa[kk][x] = pack2<Elem>(st[8 * kk + 2 * x], st[8 * kk + 2 * x + 1]);
  };
  if (kOut)
    stateFragments();
  float decayTotal = 0.f;

  for (int i = 0; i < chunks; ++i) {
    const int stage = i % kStages, t0 = (chunkBegin + i) * kC;
    const unsigned char *sQ = smem + stage * kStage, *sK = sQ + kQBytes, *sV = sK + kQBytes;
    const float *sG = reinterpret_cast<const float *>(smem + stage * kStage + kOffGates);
    unsigned char *sP = smem + kOffP + (i & 1) * kSlab;
    mbarrierWait(&full[stage], (i / kStages) & 1);
    // The state's decay over the chunk, applied while no wgmma is in flight
    // (ptxas would otherwise wait for all of them first).
    const float last = sG[kC - 1];
    decayTotal += last;
    registerFence(st);
#pragma unroll
    for (int x = 0; x < kDk / 2; ++x)
      st[x] *= exp2Approx(last);

    // Q K^T for this warpgroup's 32 key columns, then S^T Q^T: both only
    // read shared memory and the state fragments, so they go first.
    float sc[16], o[kC / 2];
    if (kOut) {
      registerFence(sc);
      registerFence(o);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk)
        wgmmaScores(sc, wgmmaDescriptor(sQ + kk / 4 * kSlab + kk % 4 * 32, 16, 1024),
                    wgmmaDescriptor(sK + kk / 4 * kSlab + 32 * wg * 128 + kk % 4 * 32, 16, 1024), kk > 0);
      wgmmaCommit();
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk)
        wgmmaRows(o, sa[kk], wgmmaDescriptor(sQ + kk / 4 * kSlab + kk % 4 * 32, 16, 1024), kk > 0);
      wgmmaCommit();
    }

    // V^T (this warp's 16 value rows x the chunk's steps) as A fragments.
    unsigned vt[kC / 16][4];
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk)
      ldmatrixX4Trans(vt[kk], sharedAddress(sV + wg * kSlab +
                                            slabOffset(16 * kk + (lane & 7) + (lane >> 4) * 8,
                                                       16 * warp + (lane >> 3 & 1) * 8)));

    // S^T += (V^T ⊙ exp(b_last - b)) K.
    unsigned vw[kC / 16][4];
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk) {
      const int s0 = 16 * kk + 2 * c;
      const float w0 = exp2Approx(last - sG[s0]), w1 = exp2Approx(last - sG[s0 + 1]);
      const float w8 = exp2Approx(last - sG[s0 + 8]), w9 = exp2Approx(last - sG[s0 + 9]);
      vw[kk][0] = scale2<Elem>(vt[kk][0], w0, w1);
      vw[kk][1] = scale2<Elem>(vt[kk][1], w0, w1);
      vw[kk][2] = scale2<Elem>(vt[kk][2], w8, w9);
      vw[kk][3] = scale2<Elem>(vt[kk][3], w8, w9);
    }
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk)
      wgmmaUpdate(st, vw[kk], wgmmaDescriptor(sK + kk * 16 * 128, kSlab, 1024), 1);
    wgmmaCommit();

    if (kOut) {
      // P = scale (Q K^T ⊙ exp(b_t - b_s)) for s <= t, this warpgroup's
      // columns, into shared memory for both warpgroups.
      wgmmaWait<2>();
      registerFence(sc);
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const int t = 16 * warp + g + 8 * r, s = 32 * wg + 8 * j + 2 * c;
          const float x0 = s <= t ? sc[4 * j + 2 * r] * kScale * exp2Approx(sG[t] - sG[s]) : 0.f;
          const float x1 = s + 1 <= t ? sc[4 * j + 2 * r + 1] * kScale * exp2Approx(sG[t] - sG[s + 1]) : 0.f;
          *reinterpret_cast<unsigned *>(sP + slabOffset(t, s)) = pack2<Elem>(x0, x1);
        }
      fenceProxyAsync();
      namedBarrierSync(1, 256);

      // O^T = (S^T Q^T) scale exp(b_t) + V^T P^T.
      wgmmaWait<1>();
      registerFence(o);
#pragma unroll
      for (int x = 0; x < kC / 2; ++x)
        o[x] *= kScale * exp2Approx(sG[8 * (x / 4) + 2 * c + (x & 1)]);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kC / 16; ++kk)
        wgmmaRows(o, vt[kk], wgmmaDescriptor(sP + kk * 32, 16, 1024), 1);
      wgmmaCommit();
    }
    wgmmaWait<0>();
    registerFence(st);
    __syncwarp();
    if (lane == 0)
      mbarrierArrive(&empty[stage]);

    if (kOut) {
      registerFence(o);
      // O^T through shared memory (transposed) to rows of 64 value dims.
      unsigned char *sO = smem + kOffO + wg * kSlab;
#pragma unroll
      for (int x = 0; x < kC / 2; ++x)
        *reinterpret_cast<Elem *>(sO + slabOffset(8 * (x / 4) + 2 * c + (x & 1), 16 * warp + g + 8 * (x / 2 & 1))) =
            Elem(o[x]);
      namedBarrierSync(2 + wg, 128);
      for (int x = threadIdx.x % 128; x < kC * 8; x += 128) {
        const int row = x / 8, col = x % 8 * 8;
        if (t0 + row < p.T)
          *reinterpret_cast<uint4 *>(p.o + b * p.ob + h * p.oh + (t0 + row) * p.ot + dv0 + 64 * wg + col) =
              *reinterpret_cast<const uint4 *>(sO + slabOffset(row, col));
      }
      stateFragments();
    }
  }

  float *dst = nullptr;
  long long ld = kDv;
  if (!kOut)
    dst = p.segState + (bh * p.nseg + seg) * kDk * kDv;
  else if (p.fin && seg == p.nseg - 1)
    dst = p.fin + b * p.fb + h * p.fh, ld = p.fd;
  if (dst)
#pragma unroll
    for (int i = 0; i < kDk / 2; ++i)
      dst[(8 * (i / 4) + 2 * c + (i & 1)) * ld + dv0 + dvRow + 8 * (i / 2 & 1)] = st[i];
  if (!kOut && tile == 0 && threadIdx.x == 128)
    p.segDecay[bh * p.nseg + seg] = decayTotal;
}
)cu";
} // namespace

bool cuda::useWgmmaLinear(const ChunkedLinear &a, Arch arch) {
  return arch == Arch::sm90a && a.gates != ChunkedLinear::Key &&
         a.valueDim % 128 == 0;
}

std::string cuda::chunkedLinearWgmmaKernel(
    const ChunkedLinear &a, ArrayRef<std::pair<StringRef, std::string>> names) {
  StringRef ptxType = a.element.isBF16() ? "bf16" : "f16";
  std::string gate = a.gates == ChunkedLinear::Token
                         ? "p.g[b * p.gb + h * p.gh + (long long)t * p.gt]"
                     : a.gates == ChunkedLinear::None ? "0.f"
                     : a.headGates.empty()            ? "p.g[h * p.gh]"
                                                      : "kHeadGates[h]";
  SmallVector<std::pair<StringRef, std::string>> all(names);
  all.push_back({"GATE", gate});
  return wgmmaFunction("wgmmaScores", 32, ptxType, false, false) +
         wgmmaFunction("wgmmaRows", 64, ptxType, true, false) +
         wgmmaFunction("wgmmaUpdate", a.keyDim, ptxType, true, true) +
         substitute(kChunks, all);
}
