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
/// The kernel's sizes, valid in host code (the launcher's constants).
constexpr const char *kSizes =
    R"cu(// Per-key decay (GLA): gates [B, H, T, Dk] instead of one per step.
constexpr bool kPerKey = $PER_KEY;
// Shared memory: stages of Q, K (kDk / 64 slabs of 64 x 64) and V (two
// slabs), written by TMA with 128-byte swizzling, and the chunk's gates
// (per-key: kDk / 32 slabs of 64 x 32 f32, swizzled alike) turned into
// cumulative log2 decays in place; per-key, the decayed Q and K; then P
// twice (consecutive chunks), each consumer's output tile and the
// mbarriers. Stages and slabs stay 1024-byte aligned (the swizzle pattern's
// period).
constexpr int kStages = 2, kSlab = kC * 64 * 2;
constexpr int kQBytes = kDk / 64 * kSlab, kVBytes = kBV / 64 * kSlab;
constexpr int kGateBytes = kPerKey ? kC * kDk * 4 : 1024;
constexpr int kOffGates = 2 * kQBytes + kVBytes, kStage = kOffGates + kGateBytes;
constexpr int kOffDecayed = kStages * kStage, kOffP = kOffDecayed + (kPerKey ? 2 * kQBytes : 0);
constexpr int kOffO = kOffP + 2 * kSlab, kOffBarriers = kOffO + 2 * kSlab;
constexpr int kSmemBytes = kOffBarriers + 3 * kStages * 8 + 1024;
static_assert(kSmemBytes <= 227 * 1024, "tiles exceed the shared memory of a block");
)cu";

constexpr const char *kFunctions = R"cu(
/// Byte offsets in 128-byte swizzled tiles: element (row, col) of a 16-bit
/// tile of 64-column slabs, and of an f32 tile of 32-column slabs.
__device__ __forceinline__ int tileOffset(int row, int col) {
  return col / 64 * kSlab + attn_rt::swizzle<64>(row, col % 64) * 2;
}
__device__ __forceinline__ int gateOffset(int row, int col) {
  return col / 32 * kSlab + attn_rt::swizzle<64>(row, col % 32 * 2) * 2;
}
)cu";

/// The kernel, a template over the pass (chunkPasses).
constexpr const char *kChunks = R"cu(
/// Walks one segment's chunks for batch blockIdx.z, head blockIdx.y and
/// value tile / segment blockIdx.x. With kOut (the main pass), from the
/// segment's entering state, writing outputs (and the final state from the
/// last segment); without (the segment pass), from zero, writing the
/// segment's own state contribution.
extern "C" __global__ void __launch_bounds__(kThreads, 1) ${NAME}_$PASS(const __grid_constant__ Params p) {
  constexpr bool kOut = $OUT;
  using namespace attn_rt;
  extern __shared__ unsigned char smemRaw[];
  unsigned char *smem = smemRaw + ((1024 - sharedAddress(smemRaw) % 1024) % 1024);
  unsigned long long *full = reinterpret_cast<unsigned long long *>(smem + kOffBarriers);
  unsigned long long *empty = full + kStages, *gatesLoaded = empty + kStages;
  const int tile = blockIdx.x % kTiles, seg = blockIdx.x / kTiles;
  const int h = blockIdx.y, b = blockIdx.z, hk = h / kGroup, dv0 = tile * kBV;
  const long long bh = (long long)b * kHeads + h;
  const int chunkBegin = seg * p.segChunks;
  const int chunks = min((p.T + kC - 1) / kC, chunkBegin + p.segChunks) - chunkBegin;

  if (threadIdx.x == 0) {
    for (int i = 0; i < kStages; ++i) {
      // The TMA thread and the warps that turn gates into decays.
      mbarrierInit(&full[i], kPerKey ? 5 : 2);
      mbarrierInit(&empty[i], 8); // one arrival per consumer warp
      mbarrierInit(&gatesLoaded[i], 1);
    }
    fenceBarrierInit();
  }
  if (kPerKey && kOut)
    // P above the diagonal blocks stays 0: only blocks at or below it are
    // written per chunk.
    for (int x = threadIdx.x; x < 2 * kC * kC; x += kThreads) {
      const int t = x / kC % kC, s = x % kC;
      if (s / 16 > t / 16)
        *reinterpret_cast<Elem *>(smem + kOffP + x / (kC * kC) * kSlab + tileOffset(t, s)) = Elem(0.f);
    }
  __syncthreads();

  if (threadIdx.x < 128) { // producer
    // What the producer gives up is what the consumers take: setmaxnreg.inc
    // waits until the block's own registers suffice.
    registersRelease<24>();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    // The segment's total log2 decay: per key column (thread d) or per step.
    float decayTotal = 0.f;
    for (int i = 0; i < chunks && (kPerKey || warp < 2); ++i) {
      const int stage = i % kStages, t0 = (chunkBegin + i) * kC;
      unsigned char *sQ = smem + stage * kStage, *sK = sQ + kQBytes, *sV = sK + kQBytes;
      unsigned char *sG = smem + stage * kStage + kOffGates;
      if (i >= kStages)
        mbarrierWait(&empty[stage], ((i / kStages) & 1) ^ 1);
      if (threadIdx.x == 0) {
        mbarrierExpectBytes(&full[stage], (kOut ? 2 * kQBytes : kQBytes) + kVBytes);
        for (int c = 0; c < kDk / 64; ++c) {
          if (kOut)
            tmaLoad4d(sQ + c * kSlab, &p.tmQ, &full[stage], c * 64, t0, h, b);
          tmaLoad4d(sK + c * kSlab, &p.tmK, &full[stage], c * 64, t0, hk, b);
        }
        for (int c = 0; c < kBV / 64; ++c)
          tmaLoad4d(sV + c * kSlab, &p.tmV, &full[stage], dv0 + c * 64, t0, hk, b);
        if (kPerKey) {
          mbarrierExpectBytes(&gatesLoaded[stage], kGateBytes);
          for (int c = 0; c < kDk / 32; ++c)
            tmaLoad4d(sG + c * kSlab, &p.tmG, &gatesLoaded[stage], c * 32, t0, h, b);
        }
      }
      if (kPerKey) {
        // Column d's cumulative log2 decays, in place; steps past T load as
        // zeros and decay by nothing.
        mbarrierWait(&gatesLoaded[stage], (i / kStages) & 1);
        const int d = threadIdx.x;
        if (d < kDk) {
          float sum = 0.f;
#pragma unroll 4
          for (int t = 0; t < kC; ++t) {
            float *x = reinterpret_cast<float *>(sG + gateOffset(t, d));
            sum += *x * kLog2e;
            *x = sum;
          }
          decayTotal += sum;
        }
        __syncwarp();
        if (lane == 0)
          mbarrierArrive(&full[stage]);
      } else if (warp == 1) {
        // Cumulative log2 decays from the chunk's start, two steps per lane;
        // steps past T decay by nothing (their keys and values load as 0).
        float *g = reinterpret_cast<float *>(sG);
        auto gate = [&](int t) { return t < p.T ? ($GATE) * kLog2e : 0.f; };
        const float x0 = gate(t0 + 2 * lane), x1 = gate(t0 + 2 * lane + 1);
        float incl = x0 + x1;
#pragma unroll
        for (int off = 1; off < 32; off *= 2) {
          const float y = __shfl_up_sync(0xffffffffu, incl, off);
          if (lane >= off)
            incl += y;
        }
        g[2 * lane] = incl - x1;
        g[2 * lane + 1] = incl;
        decayTotal += incl;
        __syncwarp();
        if (lane == 0)
          mbarrierArrive(&full[stage]);
      }
    }
    if (!kOut && tile == 0) {
      if (kPerKey && threadIdx.x < kDk)
        p.segDecay[(bh * p.nseg + seg) * kDk + threadIdx.x] = decayTotal;
      else if (!kPerKey && threadIdx.x == 63)
        p.segDecay[bh * p.nseg + seg] = decayTotal;
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
    long long ld;
    const float *src = enteringState<kOut>(p, bh, seg, b, h, ld);
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
  // Per-key decay: Q ⊙ exp(b) for Q S and K ⊙ exp(b_last - b) for the
  // update, both <= 1, one copy for both consumers.
  unsigned char *sQd = smem + kOffDecayed, *sKd = sQd + kQBytes;

  for (int i = 0; i < chunks; ++i) {
    const int stage = i % kStages, t0 = (chunkBegin + i) * kC;
    const unsigned char *sQ = smem + stage * kStage, *sK = sQ + kQBytes, *sV = sK + kQBytes;
    const unsigned char *sG = smem + stage * kStage + kOffGates;
    auto decay = [&](int t, int d) {
      return *reinterpret_cast<const float *>(sG + (kPerKey ? gateOffset(t, d) : 4 * t));
    };
    unsigned char *sP = smem + kOffP + (i & 1) * kSlab;
    mbarrierWait(&full[stage], (i / kStages) & 1);
    // The state's decay over the chunk, applied while no wgmma is in flight
    // (ptxas would otherwise wait for all of them first).
    registerFence(st);
#pragma unroll
    for (int x = 0; x < kDk / 2; ++x)
      st[x] *= exp2Approx(decay(kC - 1, 8 * (x / 4) + 2 * c + (x & 1)));

    if (kPerKey) {
      // Both consumers are past the previous chunk's products.
      namedBarrierSync(1, 256);
      for (int x = threadIdx.x - 128; x < kC * kDk / 2; x += 256) {
        const int t = x / (kDk / 2), d = x % (kDk / 2) * 2, at = tileOffset(t, d);
        const float2 bt = *reinterpret_cast<const float2 *>(sG + gateOffset(t, d));
        const float2 bl = *reinterpret_cast<const float2 *>(sG + gateOffset(kC - 1, d));
        *reinterpret_cast<unsigned *>(sKd + at) = scale2<Elem>(*reinterpret_cast<const unsigned *>(sK + at),
                                                               exp2Approx(bl.x - bt.x), exp2Approx(bl.y - bt.y));
        if (kOut)
          *reinterpret_cast<unsigned *>(sQd + at) = scale2<Elem>(*reinterpret_cast<const unsigned *>(sQ + at),
                                                                 exp2Approx(bt.x), exp2Approx(bt.y));
      }
      fenceProxyAsync();
      namedBarrierSync(1, 256);
    }

    // V^T (this warp's 16 value rows x the chunk's steps) as A fragments.
    unsigned vt[kC / 16][4];
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk)
      ldmatrixX4Trans(vt[kk], sharedAddress(sV + tileOffset(16 * kk + (lane & 7) + (lane >> 4) * 8,
                                                            64 * wg + 16 * warp + (lane >> 3 & 1) * 8)));

    // Scalar decay: Q K^T for this warpgroup's 32 key columns. Then S^T Q^T
    // and the state update, which only read shared memory and fragments.
    float sc[16], o[kC / 2];
    registerFence(sc);
    registerFence(o);
    wgmmaFence();
    if (kOut && !kPerKey) {
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk)
        wgmmaScores(sc, wgmmaDescriptor(sQ + kk / 4 * kSlab + kk % 4 * 32, 16, 1024),
                    wgmmaDescriptor(sK + kk / 4 * kSlab + 32 * wg * 128 + kk % 4 * 32, 16, 1024), kk > 0);
      wgmmaCommit();
    }
    if (kOut) {
      const unsigned char *interQ = kPerKey ? sQd : sQ;
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk)
        wgmmaRows(o, sa[kk], wgmmaDescriptor(interQ + kk / 4 * kSlab + kk % 4 * 32, 16, 1024), kk > 0);
      wgmmaCommit();
    }
    // S^T += (V^T ⊙ exp(b_last - b)) K, or V^T (K ⊙ exp(b_last - b)).
    unsigned vw[kC / 16][4];
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk) {
      if (kPerKey) {
#pragma unroll
        for (int x = 0; x < 4; ++x)
          vw[kk][x] = vt[kk][x];
        continue;
      }
      const int s0 = 16 * kk + 2 * c;
      const float last = decay(kC - 1, 0);
      const float w0 = exp2Approx(last - decay(s0, 0)), w1 = exp2Approx(last - decay(s0 + 1, 0));
      const float w8 = exp2Approx(last - decay(s0 + 8, 0)), w9 = exp2Approx(last - decay(s0 + 9, 0));
      vw[kk][0] = scale2<Elem>(vt[kk][0], w0, w1);
      vw[kk][1] = scale2<Elem>(vt[kk][1], w0, w1);
      vw[kk][2] = scale2<Elem>(vt[kk][2], w8, w9);
      vw[kk][3] = scale2<Elem>(vt[kk][3], w8, w9);
    }
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk)
      wgmmaUpdate(st, vw[kk], wgmmaDescriptor((kPerKey ? sKd : sK) + kk * 16 * 128, kSlab, 1024), 1);
    wgmmaCommit();

    if (kOut) {
      if (kPerKey) {
$PER_KEY_SCORES
      } else {
        // P = scale (Q K^T ⊙ exp(b_t - b_s)) for s <= t, this warpgroup's
        // columns, into shared memory for both warpgroups.
        wgmmaWait<2>();
        registerFence(sc);
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
          for (int r = 0; r < 2; ++r) {
            const int t = 16 * warp + g + 8 * r, s = 32 * wg + 8 * j + 2 * c;
            const float x0 = s <= t ? sc[4 * j + 2 * r] * kScale * exp2Approx(decay(t, 0) - decay(s, 0)) : 0.f;
            const float x1 =
                s + 1 <= t ? sc[4 * j + 2 * r + 1] * kScale * exp2Approx(decay(t, 0) - decay(s + 1, 0)) : 0.f;
            *reinterpret_cast<unsigned *>(sP + tileOffset(t, s)) = pack2<Elem>(x0, x1);
          }
      }
      fenceProxyAsync();
      namedBarrierSync(1, 256);

      // O^T = (S^T (Q ⊙ exp(b))^T) scale + V^T P^T.
      wgmmaWait<1>();
      registerFence(o);
#pragma unroll
      for (int x = 0; x < kC / 2; ++x)
        o[x] *= kPerKey ? kScale : kScale * exp2Approx(decay(8 * (x / 4) + 2 * c + (x & 1), 0));
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
        *reinterpret_cast<Elem *>(sO + tileOffset(8 * (x / 4) + 2 * c + (x & 1), 16 * warp + g + 8 * (x / 2 & 1))) =
            Elem(o[x]);
      namedBarrierSync(2 + wg, 128);
      for (int x = threadIdx.x % 128; x < kC * 8; x += 128) {
        const int row = x / 8, col = x % 8 * 8;
        if (t0 + row < p.T)
          *reinterpret_cast<uint4 *>(p.o + b * p.ob + h * p.oh + (t0 + row) * p.ot + dv0 + 64 * wg + col) =
              *reinterpret_cast<const uint4 *>(sO + tileOffset(row, col));
      }
      stateFragments();
    }
  }

  long long ld;
  if (float *dst = leavingState<kOut>(p, bh, seg, b, h, ld))
#pragma unroll
    for (int i = 0; i < kDk / 2; ++i)
      dst[(8 * (i / 4) + 2 * c + (i & 1)) * ld + dv0 + dvRow + 8 * (i / 2 & 1)] = st[i];
}
)cu";

constexpr const char *kPerKeyScores =
    R"cu(        // Per-key: the 10 causal 16 x 16 blocks of P by mma.sync, one or two
        // per warp, while the tensor cores run Q S and the update. Block
        // (query block tb, key block j) is (Q ⊙ exp(b_t - b_r)) against
        // (K ⊙ exp(b_r - b_s)): r = 16 tb for j < tb (both factors <= 1),
        // the block's middle on the diagonal (bounded by 8 steps of decay).
        for (int blk = 4 * wg + warp; blk < 10; blk += 8) {
          const int tb = blk < 1 ? 0 : blk < 3 ? 1 : blk < 6 ? 2 : 3, j = blk - tb * (tb + 1) / 2;
          const int ref = j < tb ? 16 * tb : 16 * tb + 8;
          // Two accumulator chains over the k-steps halve the dependent mma
          // latency.
          float part[2][2][4] = {};
#pragma unroll
          for (int kk = 0; kk < kDk / 16; ++kk) {
            const int d = 16 * kk + 2 * c;
            auto at = [&](int row, int col) { return *reinterpret_cast<const float2 *>(sG + gateOffset(row, col)); };
            const float2 r0 = at(ref, d), r8 = at(ref, d + 8);
            auto fromRef = [&](int row, int col, float2 base) {
              const float2 x = at(row, col);
              return make_float2(exp2Approx(x.x - base.x), exp2Approx(x.y - base.y));
            };
            auto toRef = [&](int row, int col, float2 base) {
              const float2 x = at(row, col);
              return make_float2(exp2Approx(base.x - x.x), exp2Approx(base.y - x.y));
            };
            const int tq = 16 * tb + g, sk = 16 * j + g;
            const float2 qa0 = fromRef(tq, d, r0), qa1 = fromRef(tq + 8, d, r0);
            const float2 qa2 = fromRef(tq, d + 8, r8), qa3 = fromRef(tq + 8, d + 8, r8);
            unsigned qf[4], kf[4];
            ldmatrixX4(qf, sharedAddress(sQ + tileOffset(16 * tb + (lane & 15), 16 * kk + (lane >> 4) * 8)));
            const unsigned a[4] = {scale2<Elem>(qf[0], qa0.x, qa0.y), scale2<Elem>(qf[1], qa1.x, qa1.y),
                                   scale2<Elem>(qf[2], qa2.x, qa2.y), scale2<Elem>(qf[3], qa3.x, qa3.y)};
            ldmatrixX4(kf, sharedAddress(sK + tileOffset(16 * j + (lane & 7) + (lane >> 4) * 8,
                                                         16 * kk + (lane >> 3 & 1) * 8)));
            const float2 k0 = toRef(sk, d, r0), k1 = toRef(sk, d + 8, r8);
            const float2 k2 = toRef(sk + 8, d, r0), k3 = toRef(sk + 8, d + 8, r8);
            mmaM16N8K16<Elem>(part[kk & 1][0], a, scale2<Elem>(kf[0], k0.x, k0.y), scale2<Elem>(kf[1], k1.x, k1.y));
            mmaM16N8K16<Elem>(part[kk & 1][1], a, scale2<Elem>(kf[2], k2.x, k2.y), scale2<Elem>(kf[3], k3.x, k3.y));
          }
#pragma unroll
          for (int n = 0; n < 2; ++n)
#pragma unroll
            for (int half = 0; half < 2; ++half) {
              const int t = 16 * tb + g + 8 * half, s = 16 * j + 8 * n + 2 * c;
              const float x0 = s <= t ? (part[0][n][2 * half] + part[1][n][2 * half]) * kScale : 0.f;
              const float x1 = s + 1 <= t ? (part[0][n][2 * half + 1] + part[1][n][2 * half + 1]) * kScale : 0.f;
              *reinterpret_cast<unsigned *>(sP + tileOffset(t, s)) = pack2<Elem>(x0, x1);
            }
        })cu";
} // namespace

bool cuda::useWgmmaLinear(const ChunkedLinear &a, Arch arch) {
  return arch == Arch::sm90a && a.valueDim % 128 == 0;
}

ChunkKernel cuda::chunkedLinearWgmmaKernel(
    const ChunkedLinear &a, ArrayRef<std::pair<StringRef, std::string>> names) {
  StringRef ptxType = a.element.isBF16() ? "bf16" : "f16";
  std::string gate = a.gates == ChunkedLinear::Token
                         ? "p.g[b * p.gb + h * p.gh + (long long)t * p.gt]"
                     : a.gates == ChunkedLinear::None ? "0.f"
                     : a.headGates.empty()            ? "p.g[h * p.gh]"
                                                      : "kHeadGates[h]";
  SmallVector<std::pair<StringRef, std::string>> all(names);
  all.push_back({"GATE", gate});
  all.push_back({"PER_KEY", a.gates == ChunkedLinear::Key ? "true" : "false"});
  all.push_back({"PER_KEY_SCORES", kPerKeyScores});
  return {substitute(kSizes, all),
          wgmmaFunction("wgmmaScores", 32, ptxType, false, false) +
              wgmmaFunction("wgmmaRows", 64, ptxType, true, false) +
              wgmmaFunction("wgmmaUpdate", a.keyDim, ptxType, true, true) +
              substitute(kFunctions, all),
          chunkPasses(kChunks, all)};
}
