//===- Nsa.cpp - Native Sparse Attention (attn.nsa) for CUDA --------------===//
//
// attn.nsa runs as five kernels in one launcher:
//   1. compress: mean-pooled key and value blocks (Kc, Vc);
//   2. the compressed branch: the softmax kernel of a function that this file
//      builds, attention over (Kc, Vc) under a compressed mask, writing its
//      output and log-sum-exp;
//   3. the window branch: the softmax kernel of a sliding-window function;
//   4. select: one warp per token and KV head recomputes the compressed
//      scores of the group's heads, turns them into probabilities with the
//      branch's log-sum-exp, sums them into the selection blocks they
//      overlap by an MMA with a 0/1 key-to-block matrix, then over the
//      heads, and picks the top blocks (forced first and local
//      blocks, ties to the lower index), shared by a block's eight tokens
//      so the compressed keys stream once per eight tokens;
//   5. selected: one block per token and KV head, the group's heads as the
//      rows of one mma.sync tile over the token's selected blocks (the
//      softmax decode kernel's structure), then the gated sum of the three
//      branches.
// The branch kernels are the softmax backend's own: the compressed and
// window functions are ordinary attn programs compiled like any other, each
// in its own namespace of the file.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

FailureOr<NsaAttention> cuda::matchNsa(func::FuncOp function) {
  NsaAttention a;
  a.function = function;
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  if (ret.getNumOperands() != 1 ||
      !(a.op = ret.getOperand(0).getDefiningOp<NsaOp>()))
    return failure();
  NsaOp op = a.op;
  FailureOr<unsigned> q = functionArgument(op.getQuery(), op, "attn.nsa",
                                           "queries"),
                      k = functionArgument(op.getKey(), op, "attn.nsa", "keys"),
                      v = functionArgument(op.getValue(), op, "attn.nsa",
                                           "values"),
                      g = functionArgument(op.getGates(), op, "attn.nsa",
                                           "gates");
  if (failed(q) || failed(k) || failed(v) || failed(g))
    return failure();
  a.query = *q, a.key = *k, a.value = *v, a.gates = *g;
  auto type = [](Value value) {
    return cast<RankedTensorType>(value.getType());
  };
  a.element = type(op.getQuery()).getElementType();
  for (auto [weights, into] :
       {std::pair(op.getKeyWeights(), &a.keyWeights),
        std::pair(op.getValueWeights(), &a.valueWeights)})
    for (Value weight : weights) {
      FailureOr<unsigned> arg =
          functionArgument(weight, op, "attn.nsa", "MLP pooling weights");
      if (failed(arg))
        return failure();
      if (type(weight).getElementType() != a.element)
        return op.emitError("the CUDA backend takes NSA's MLP pooling "
                            "weights of the queries' element type");
      into->push_back(*arg);
    }
  if (op.getPooling() == PoolingKind::mlp) {
    a.hidden = type(op.getKeyWeights()[1]).getDimSize(1);
    if ((a.hidden != 64 && a.hidden != 128) ||
        type(op.getValueWeights()[1]).getDimSize(1) != a.hidden)
      return op.emitError("the CUDA backend's NSA pooling MLPs have a "
                          "static hidden width of 64 or 128, the same for "
                          "keys and values");
  }
  for (Value value : std::initializer_list<Value>{
           op.getQuery(), op.getKey(), op.getValue(), op.getResult()})
    if (type(value).getElementType() != a.element ||
        !(a.element.isBF16() || a.element.isF16()))
      return op.emitError("the CUDA backend's NSA kernels take queries, keys, "
                          "values and output all of bf16 or all of f16");
  a.gateElement = type(op.getGates()).getElementType();
  if (!a.gateElement.isF32() && a.gateElement != a.element)
    return op.emitError("the CUDA backend takes NSA gates of f32 or of the "
                        "queries' type");
  a.heads = type(op.getQuery()).getDimSize(1);
  a.kvHeads = type(op.getKey()).getDimSize(1);
  a.headDim = type(op.getQuery()).getDimSize(3);
  a.valueDim = type(op.getValue()).getDimSize(3);
  for (int64_t size : {a.heads, a.kvHeads, a.headDim, a.valueDim})
    if (ShapedType::isDynamic(size))
      return op.emitError("the CUDA backend needs static head counts and "
                          "head dims (dims 1 and 3)");
  for (int64_t dim : {a.headDim, a.valueDim})
    if (dim != 64 && dim != 128)
      return op.emitError() << "the CUDA backend's NSA kernels take head "
                               "dims 64 and 128, not "
                            << dim;
  if (a.heads / a.kvHeads > 16)
    return op.emitError() << "the CUDA backend's NSA kernels take at most 16 "
                             "query heads per KV head (one mma.sync row "
                             "tile), not "
                          << a.heads / a.kvHeads;
  return a;
}

namespace {
/// The kernels' sizes, valid in host code.
constexpr const char *kConstants = R"cu(
namespace ${NAME}_nsa {
constexpr int kHeads = $H, kKvHeads = $HKV, kGroup = $H / $HKV, kD = $D, kDV = $DV;
constexpr int kBlock = $BLOCK, kStride = $STRIDE, kSelBlock = $SELECT_BLOCK;
constexpr int kTop = $TOP, kInitial = $INITIAL, kLocal = $LOCAL;
constexpr int kGateCompressed = $GATE_COMPRESSED, kGateSelected = $GATE_SELECTED,
              kGateWindow = $GATE_WINDOW;
// select: eight tokens (warps) per block over 64-key tiles of Kc; each warp
// keeps its token's selection-block scores in shared memory, where its
// queries were before they went to registers.
constexpr int kSelWarps = 8, kSelThreads = 32 * kSelWarps, kSelBN = 64, kSelStages = 3;
constexpr int kSelFixedBytes = kSelStages * kSelBN * kD * 2 + 1024; // + alignment
constexpr int kSelQBytes = kSelWarps * 16 * kD * 2;
// The selection blocks that one tile's keys overlap, in 8-column MMA tiles;
// whether every tile overlaps them in the same pattern.
constexpr int kSelSpan = ((kSelBN - 1) * kStride + kBlock - 1) / kSelBlock + 2;
constexpr int kSelBlockTiles = (kSelSpan + 7) / 8;
constexpr bool kSelFixedPattern = kSelBN * kStride % kSelBlock == 0;
// selected: four warps take 16 keys each of every 64-key tile.
constexpr int kSlcWarps = 4, kSlcThreads = 32 * kSlcWarps, kSlcBN = 64;
constexpr int kSlcSubTiles = (kSelBlock + kSlcBN - 1) / kSlcBN;
constexpr int kSlcStages = 2;
constexpr int kSlcQBytes = 16 * kD * 2, kSlcRingBytes = kSlcStages * kSlcBN * (kD + kDV) * 2;
constexpr int kSlcSmem = kSlcQBytes + kSlcRingBytes;
// Blocks per multiprocessor that the shared memory of an sm_90 allows (for
// the register budget).
constexpr int kSlcBlocksPerSm = 227 * 1024 / (kSlcSmem + 1024);
static_assert(kSlcWarps * 16 * (kDV + 2) * 4 <= kSlcRingBytes, "the merge reuses the ring");
static_assert(kSlcSmem <= 163 * 1024 && kSelFixedBytes + kSelQBytes <= 163 * 1024,
              "NSA tiles exceed the shared memory of an sm_80 block");
} // namespace ${NAME}_nsa
)cu";

constexpr const char *kKernels = R"cu(
namespace ${NAME}_nsa {
using Elem = $ELEM;
constexpr float kScaleLog2 = $SCALE_LOG2;

/// Warp w of block (x, hk, b) ranks the selection blocks of token
/// t = x kSelWarps + w for KV head hk: its rows r < kGroup are query heads
/// hk kGroup + r. `lse` is the compressed branch's [B, H, T]; `indices`
/// [B, KV heads, T, kTop] receives the chosen blocks ascending, -1 after.
extern "C" __global__ void __launch_bounds__(kSelThreads, 2)
${NAME}_select(const Elem *__restrict__ q, long long qsB, long long qsH, long long qsT,
               const Elem *__restrict__ kc, const float *__restrict__ lse,
               int *__restrict__ indices, int T, int Nc, int nSel) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, c = lane % 4;
  const int hk = blockIdx.y, b = blockIdx.z, t0 = blockIdx.x * kSelWarps, t = t0 + warp;
  // The ring starts on 1024 bytes, where the 128-byte swizzle pattern does.
  Elem *sK = reinterpret_cast<Elem *>(smem + (1024 - sharedAddress(smem) % 1024) % 1024);
  Elem *sQ = sK + kSelStages * kSelBN * kD;
  float *score = reinterpret_cast<float *>(sQ) + warp * nSel;

  // The compressed keys that the block's last token sees.
  const int tLast = min(T - 1, t0 + kSelWarps - 1);
  const int seen = tLast < kBlock - 1 ? 0 : min(Nc, (tLast - kBlock + 1) / kStride + 1);
  const int tiles = (seen + kSelBN - 1) / kSelBN;
  for (int i = threadIdx.x; i < kSelWarps * 16 * kD / 8; i += kSelThreads) {
    const int row = i / (kD / 8), col = i % (kD / 8) * 8, r = row % 16, tt = t0 + row / 16;
    const bool valid = r < kGroup && tt < T;
    cpAsync16(sQ + row / 16 * 16 * kD + swizzle<kD>(r, col),
              valid ? q + b * qsB + (hk * kGroup + r) * qsH + tt * qsT + col : q, valid);
  }
  cpAsyncCommit();
  const Elem *kHead = kc + ((long long)b * kKvHeads + hk) * Nc * kD;
  const auto loadTile = [&](int i) {
    $SEL_TILE_COPY<kSelThreads, kSelBN, kD>(sK + i % kSelStages * kSelBN * kD, kHead + (long long)i * kSelBN * kD,
                                            kD, Nc - i * kSelBN);
  };
#pragma unroll
  for (int i = 0; i < kSelStages - 1; ++i) {
    if (i < tiles)
      loadTile(i);
    cpAsyncCommit();
  }
  cpAsyncWait<kSelStages - 1>();
  __syncthreads();
  unsigned qa[kD / 16][4];
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk)
    ldmatrixX4(qa[kk], sharedAddress(sQ + warp * 16 * kD + swizzle<kD>(lane % 16, 16 * kk + lane / 16 * 8)));
  __syncthreads(); // the queries' space now holds the scores
  const int own = t / kSelBlock;
  for (int j = lane; j < nSel; j += 32)
    score[j] = 0.f;
  // log2 of each row's normalizer; padding rows get +inf, so p = 0.
  float rowLse[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = g + 8 * i;
    rowLse[i] = r < kGroup && t < T ? lse[((long long)b * kHeads + hk * kGroup + r) * T + t] * 1.44269504089f
                                    : INFINITY;
  }
  // B fragments of the 0/1 matrix [key, block] of a tile: whether the
  // tile's compressed key k overlaps selection block (the tile's first) + n.
  // The same for every tile when tiles start on block boundaries.
  unsigned indicator[kSelBN / 16][kSelBlockTiles][2];
  const auto buildIndicator = [&](int key0) {
    const int selBase = key0 * kStride / kSelBlock;
    const auto covers = [&](int key, int sel) {
      return key * kStride < (sel + 1) * kSelBlock && key * kStride + kBlock > sel * kSelBlock ? 1.f : 0.f;
    };
#pragma unroll
    for (int m = 0; m < kSelBN / 16; ++m)
#pragma unroll
      for (int nt = 0; nt < kSelBlockTiles; ++nt)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          const int key = key0 + 16 * m + 8 * r + 2 * c, sel = selBase + 8 * nt + g;
          indicator[m][nt][r] = pack2<__half>(covers(key, sel), covers(key + 1, sel));
        }
  };
  if (kSelFixedPattern)
    buildIndicator(0);$SEL_SCORES_SETUP

  for (int i = 0; i < tiles; ++i) {
    cpAsyncWait<kSelStages - 2>();$SEL_TILE_FENCE
    __syncthreads();
    if (i + kSelStages - 1 < tiles)
      loadTile(i + kSelStages - 1);
    cpAsyncCommit();
    const Elem *kTile = sK + i % kSelStages * kSelBN * kD;
    float s[kSelBN / 8][4];$SEL_SCORES
    // The probabilities as f16 A fragments of 16 keys (invisible keys give
    // 0; most tiles have none, and skip the test)...
    const int key0 = i * kSelBN;
    unsigned pa[kSelBN / 16][4];
    const auto probabilities = [&](bool masked) {
#pragma unroll
      for (int n = 0; n < kSelBN / 8; ++n) {
        float p[4];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = key0 + 8 * n + 2 * c + e % 2;
          p[e] = exp2Approx(s[n][e] * kScaleLog2 - rowLse[e / 2]);
          if (masked && !(key < Nc && key * kStride + kBlock - 1 <= t))
            p[e] = 0.f;
        }
        pa[n / 2][n % 2 * 2] = pack2<__half>(p[0], p[1]);
        pa[n / 2][n % 2 * 2 + 1] = pack2<__half>(p[2], p[3]);
      }
    };
    const int tileEnd = key0 + kSelBN; // keys past the tile
    if (tileEnd <= Nc && (tileEnd - 1) * kStride + kBlock - 1 <= t)
      probabilities(false);
    else
      probabilities(true);
    // ... times the key-to-block indicator: the sums per (head, block)...
    if (!kSelFixedPattern)
      buildIndicator(key0);
    float blockSums[kSelBlockTiles][4] = {};
#pragma unroll
    for (int m = 0; m < kSelBN / 16; ++m)
#pragma unroll
      for (int nt = 0; nt < kSelBlockTiles; ++nt)
        mmaM16N8K16<__half>(blockSums[nt], pa[m], indicator[m][nt][0], indicator[m][nt][1]);
    // ... summed over the heads (rows) into the blocks' scores.
    const int selBase = key0 * kStride / kSelBlock;
#pragma unroll
    for (int nt = 0; nt < kSelBlockTiles; ++nt)
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        float sum = blockSums[nt][j] + blockSums[nt][2 + j];
        sum += __shfl_xor_sync(0xffffffffu, sum, 4);
        sum += __shfl_xor_sync(0xffffffffu, sum, 8);
        sum += __shfl_xor_sync(0xffffffffu, sum, 16);
        const int sel = selBase + 8 * nt + 2 * c + j;
        if (g == 0 && sel <= own)
          score[sel] += sum;
      }
  }
  cpAsyncWait<0>();
  __syncwarp();
  if (t >= T)
    return;

  // Chosen blocks are marked -1 (scores are >= 0): the forced ones in the
  // order the op defines (first blocks, then local ones from the token's
  // own), then the highest scores, ties to the lower block.
  int count = 0;
  for (int j = 0; j < kInitial && j <= own && count < kTop; ++j, ++count)
    if (lane == 0)
      score[j] = -1.f;
  for (int j = 0; j < kLocal && own - j >= 0 && count < kTop; ++j)
    if (own - j >= kInitial) {
      if (lane == 0)
        score[own - j] = -1.f;
      ++count;
    }
  __syncwarp();
  for (; count < kTop; ++count) {
    float best = -1.f;
    int bestIndex = 0x7fffffff;
    for (int j = lane; j <= own; j += 32)
      if (score[j] > best)
        best = score[j], bestIndex = j;
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(0xffffffffu, best, offset);
      const int otherIndex = __shfl_xor_sync(0xffffffffu, bestIndex, offset);
      if (other > best || (other == best && otherIndex < bestIndex))
        best = other, bestIndex = otherIndex;
    }
    if (best < 0.f)
      break; // every block up to the token's own is chosen
    if (lane == 0)
      score[bestIndex] = -1.f;
    __syncwarp();
  }
  __syncwarp();
  int *row = indices + (((long long)b * kKvHeads + hk) * T + t) * kTop;
  int written = 0;
  for (int base = 0; base <= own; base += 32) {
    const int j = base + lane;
    const bool chosen = j <= own && score[j] == -1.f;
    const unsigned ballot = __ballot_sync(0xffffffffu, chosen);
    if (chosen)
      row[written + __popc(ballot & ((1u << lane) - 1))] = j;
    written += __popc(ballot);
  }
  for (int slot = written + lane; slot < kTop; slot += 32)
    row[slot] = -1;
}

/// Block (t, hk, b): the selected branch of token t for KV head hk's query
/// heads (rows r < kGroup), over the token's selected blocks (causal inside
/// its own), then out = the three branches weighted by their sigmoid gates.
/// `compressed` and `window` are the other branches' outputs
/// [B, H, T, kDV] (contiguous).
extern "C" __global__ void __launch_bounds__(kSlcThreads, kSlcBlocksPerSm)
${NAME}_selected(const Elem *__restrict__ q, long long qsB, long long qsH, long long qsT,
                 const Elem *__restrict__ k, long long ksB, long long ksH, long long ksT,
                 const Elem *__restrict__ v, long long vsB, long long vsH, long long vsT,
                 const int *__restrict__ indices, const Elem *__restrict__ compressed,
                 const Elem *__restrict__ window, const $GATE_ELEM *__restrict__ gates, long long gsB,
                 long long gsH, long long gsT, Elem *__restrict__ out, long long osB, long long osH,
                 long long osT, int T) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  Elem *sQ = reinterpret_cast<Elem *>(smem);
  Elem *sK = sQ + 16 * kD, *sV = sK + kSlcStages * kSlcBN * kD;
  const int t = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  // The chosen blocks, read once in parallel (ascending, then -1).
  __shared__ int chosen[kTop];
  const int *row = indices + (((long long)b * kKvHeads + hk) * T + t) * kTop;
  const int picked = threadIdx.x < kTop ? row[threadIdx.x] : -1;
  if (threadIdx.x < kTop)
    chosen[threadIdx.x] = picked;
  const int tiles = __syncthreads_count(picked >= 0) * kSlcSubTiles;

  for (int i = threadIdx.x; i < 16 * kD / 8; i += kSlcThreads) {
    const int r = i / (kD / 8), col = i % (kD / 8) * 8;
    const bool valid = r < kGroup;
    cpAsync16(sQ + swizzle<kD>(r, col), valid ? q + b * qsB + (hk * kGroup + r) * qsH + t * qsT + col : q, valid);
  }
  const Elem *kHead = k + b * ksB + hk * ksH, *vHead = v + b * vsB + hk * vsH;
  // Tile i: keys [s0, s0 + kSlcBN) of selected block i / kSlcSubTiles, of
  // which the first `keys` are in the block and at or before t.
  const auto tileKeys = [&](int i, int &s0) {
    const int block = chosen[i / kSlcSubTiles], sub = i % kSlcSubTiles;
    s0 = block * kSelBlock + sub * kSlcBN;
    return min(min(kSlcBN, kSelBlock - sub * kSlcBN), t + 1 - s0);
  };
  const auto loadTile = [&](int i) {
    int s0;
    const int keys = tileKeys(i, s0), stage = i % kSlcStages;
    cpAsyncTile<kSlcThreads, kSlcBN, kD>(sK + stage * kSlcBN * kD, kHead + s0 * ksT, ksT, keys);
    cpAsyncTile<kSlcThreads, kSlcBN, kDV>(sV + stage * kSlcBN * kDV, vHead + s0 * vsT, vsT, keys);
  };
#pragma unroll
  for (int i = 0; i < kSlcStages - 1; ++i) {
    if (i < tiles)
      loadTile(i);
    cpAsyncCommit();
  }

  float o[kDV / 2];
#pragma unroll
  for (int j = 0; j < kDV / 2; ++j)
    o[j] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
  unsigned qa[kD / 16][4];
  // The warp's 16 keys of each tile, as ldmatrix rows of K and of V.
  const int keyLane = swizzleLane<kD>(16 * warp + lane % 8 + 8 * (lane / 16), lane / 8 % 2),
            valueLane = swizzleLane<kDV>(16 * warp + lane % 16, lane / 16);
  for (int i = 0; i < tiles; ++i) {
    const int stage = i % kSlcStages;
    cpAsyncWait<kSlcStages - 2>();
    __syncthreads();
    if (i + kSlcStages - 1 < tiles)
      loadTile(i + kSlcStages - 1);
    cpAsyncCommit();
    int s0;
    const int keys = tileKeys(i, s0) - 16 * warp; // this warp's keys
    const Elem *kTile = sK + stage * kSlcBN * kD, *vTile = sV + stage * kSlcBN * kDV;
    if (i == 0)
#pragma unroll
      for (int kk = 0; kk < kD / 16; ++kk)
        ldmatrixX4(qa[kk], sharedAddress(sQ + swizzle<kD>(lane % 16, 16 * kk + lane / 16 * 8)));
    float s[8] = {};
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) {
      unsigned bk[4];
      ldmatrixX4(bk, sharedAddress(kTile + swizzleStep(keyLane, kk)));
      mmaM16N8K16<Elem>(&s[0], qa[kk], bk[0], bk[1]);
      mmaM16N8K16<Elem>(&s[4], qa[kk], bk[2], bk[3]);
    }
    float tileMax[2] = {rowMax[0], rowMax[1]};
#pragma unroll
    for (int n = 0; n < 2; ++n)
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        float &x = s[4 * n + j];
        x = 8 * n + 2 * (lane % 4) + (j & 1) < keys ? x * kScaleLog2 : -INFINITY;
        tileMax[j / 2] = fmaxf(tileMax[j / 2], x);
      }
    unsigned p[1][4];
    ${NAME}_win_ns::attnOnlineSoftmax<Elem, 16, kDV>(s, tileMax, rowMax, rowSum, o, p);
#pragma unroll
    for (int n = 0; n < kDV / 16; ++n) {
      unsigned bv[4];
      ldmatrixX4Trans(bv, sharedAddress(vTile + swizzleStep(valueLane, n)));
      mmaM16N8K16<Elem>(&o[8 * n], p[0], bv[0], bv[1]);
      mmaM16N8K16<Elem>(&o[8 * n + 4], p[0], bv[2], bv[3]);
    }
  }
  cpAsyncWait<0>();
  __syncthreads(); // the ring is free: merge the warps' rows through it

  float *merge = reinterpret_cast<float *>(smem + kSlcQBytes);
  ${NAME}_win_ns::attnStashWarpRows<kSlcWarps, kDV>(merge, o, rowMax, rowSum);
  __syncthreads();
  // Eight outputs per thread: the other branches' rows (contiguous scratch)
  // come in as 16-byte vectors, the gates once.
  for (int e = threadIdx.x; e < kGroup * kDV / 8; e += kSlcThreads) {
    const int r = e / (kDV / 8), d0 = e % (kDV / 8) * 8, h = hk * kGroup + r;
    const $GATE_ELEM *gate = gates + b * gsB + h * gsH + t * gsT;
    const auto sigmoid = [](float x) { return 1.f / (1.f + __expf(-x)); };
    const float gc = sigmoid((float)gate[kGateCompressed]), gs = sigmoid((float)gate[kGateSelected]),
                gw = sigmoid((float)gate[kGateWindow]);
    const long long branchRow = (((long long)b * kHeads + h) * T + t) * kDV + d0;
    const uint4 cv = *reinterpret_cast<const uint4 *>(compressed + branchRow),
                wv = *reinterpret_cast<const uint4 *>(window + branchRow);
    const Elem *c8 = reinterpret_cast<const Elem *>(&cv), *w8 = reinterpret_cast<const Elem *>(&wv);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      float acc, sum, m;
      ${NAME}_win_ns::attnMergedRow<kSlcWarps, kDV>(merge, r, d0 + j, acc, sum, m);
      out[b * osB + h * osH + t * osT + d0 + j] =
          Elem(gc * (float)c8[j] + gs * (sum > 0.f ? acc / sum : 0.f) + gw * (float)w8[j]);
    }
  }
}
} // namespace ${NAME}_nsa
)cu";

/// select's scores S = Q Kc^T of a 64-key tile into s, in the m16n8
/// accumulator layout. mma.sync (sm_80): each warp reads the tile through
/// ldmatrix for its own 16 rows.
constexpr const char *kSelectScoresSetupMma = R"cu(
  const int keyLane = swizzleLane<kD>(lane % 8 + 8 * (lane / 16), lane / 8 % 2);)cu";
constexpr const char *kSelectScoresMma = R"cu(
#pragma unroll
    for (int n = 0; n < kSelBN / 8; ++n)
      s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk)
#pragma unroll
      for (int n = 0; n < kSelBN / 16; ++n) {
        unsigned bk[4];
        ldmatrixX4(bk, sharedAddress(kTile + swizzleStep(keyLane, kk) + 16 * n * kD));
        mmaM16N8K16<Elem>(s[2 * n], qa[kk], bk[0], bk[1]);
        mmaM16N8K16<Elem>(s[2 * n + 1], qa[kk], bk[2], bk[3]);
      })cu";

/// wgmma (sm_90a): each warpgroup's four tokens (64 rows, A from the warps'
/// registers) against the tile in the 128-byte-swizzled layout, read once
/// per warpgroup; cp.async writes it, so a proxy fence precedes the barrier.
constexpr const char *kSelectScoresWgmma = R"cu(
    float(&acc)[kSelBN / 2] = reinterpret_cast<float(&)[kSelBN / 2]>(s);
    wgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk)
      wgmmaSelectScores(acc, qa[kk], wgmmaDescriptor(kTile + kk / 4 * kSelBN * 64 + kk % 4 * 16, 16, 1024), kk);
    wgmmaCommit();
    wgmmaWait<0>();
    registerFence(acc);)cu";

/// Kc, Vc [B, KV heads, Nc, D] (contiguous) by mean pooling: block i is the
/// mean of tokens [i kStride, i kStride + kBlock).
constexpr const char *kMeanPooling = R"cu(
namespace ${NAME}_nsa {
extern "C" __global__ void __launch_bounds__(kD + kDV)
${NAME}_compress(const Elem *__restrict__ k, long long ksB, long long ksH, long long ksT,
                 const Elem *__restrict__ v, long long vsB, long long vsH, long long vsT,
                 Elem *__restrict__ kc, Elem *__restrict__ vc, int Nc) {
  const int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z, d = threadIdx.x;
  const bool key = d < kD;
  const Elem *src = key ? k + b * ksB + h * ksH + (long long)i * kStride * ksT + d
                        : v + b * vsB + h * vsH + (long long)i * kStride * vsT + d - kD;
  const long long ld = key ? ksT : vsT;
  float sum = 0.f;
  for (int j = 0; j < kBlock; ++j)
    sum += (float)src[j * ld];
  const long long row = ((long long)b * kKvHeads + h) * Nc + i;
  if (key)
    kc[row * kD + d] = Elem(sum / kBlock);
  else
    vc[row * kDV + d - kD] = Elem(sum / kBlock);
}

} // namespace ${NAME}_nsa
)cu";

constexpr const char *kMeanPoolingLaunch = R"cu(
    static const void *compress = attnKernel(${NAME}_compress);
    void *args[] = {&kData, &ks[0], &ks[1], &ks[2], &vData, &vs[0], &vs[1], &vs[2], &kc, &vc, &Nci};
    rc = attn_rt::launch(compress, dim3(Nc, kKvHeads, (unsigned)B), dim3(kD + kDV), args, 0, stream);
)cu";

/// MLP pooling: block i of Kc is relu(flat(K[i kStride + j] + pe[j], j <
/// kBlock) W1) W2. The position encoding's share, pe W1, is one bias vector;
/// the rest is a GEMM of 64 blocks at a time over the flattened tokens,
/// whose rows are strided windows of K, and a second GEMM from registers.
constexpr const char *kMlpConstants = R"cu(
namespace ${NAME}_nsa {
constexpr int kHidden = $HIDDEN, kMlpRows = 64, kMlpThreads = 128, kMlpStages = 3;
constexpr int kMlpSmem = kMlpStages * (kMlpRows * 64 + 64 * kHidden) * 2;
static_assert(kHidden * kD * 2 <= kMlpSmem && kHidden * kDV * 2 <= kMlpSmem, "W2 goes into the ring");
} // namespace ${NAME}_nsa
)cu";

constexpr const char *kMlpPooling = R"cu(
namespace ${NAME}_nsa {

/// bias[u] = sum_r pe[r] W1[r, u] over the flattened position encoding.
extern "C" __global__ void __launch_bounds__(kHidden)
${NAME}_mlp_bias(const Elem *__restrict__ pe, const Elem *__restrict__ w1, float *__restrict__ bias, int rows) {
  const int u = threadIdx.x;
  float sum = 0.f;
  for (int r = 0; r < rows; ++r)
    sum += (float)pe[r] * (float)w1[(long long)r * kHidden + u];
  bias[u] = sum;
}

/// Rows [i0, i0 + kMlpRows) of xc [B, KV heads, Nc, kDX] (contiguous); warp
/// w takes 16 of them.
template <int kDX>
__device__ __forceinline__ void compressMlp(const Elem *__restrict__ x, long long xsB, long long xsH, long long xsT,
                                            const Elem *__restrict__ w1, const Elem *__restrict__ w2,
                                            const float *__restrict__ bias, Elem *__restrict__ xc, int Nc) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  constexpr int kSteps = kBlock * kDX / 64; // 64 flattened columns per step
  Elem *sX = reinterpret_cast<Elem *>(smem), *sW = sX + kMlpStages * kMlpRows * 64;
  const int i0 = blockIdx.x * kMlpRows, h = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, c = lane % 4;
  const Elem *head = x + b * xsB + h * xsH;
  // Step s reads dims [d0, d0 + 64) of token j of every block, and rows
  // [64 s, 64 s + 64) of W1.
  const auto loadStep = [&](int step) {
    const int stage = step % kMlpStages, j = step / (kDX / 64), d0 = step % (kDX / 64) * 64;
    Elem *tileX = sX + stage * kMlpRows * 64;
    for (int e = threadIdx.x; e < kMlpRows * 8; e += kMlpThreads) {
      const int r = e / 8, col = e % 8 * 8;
      const bool valid = i0 + r < Nc;
      cpAsync16(tileX + swizzle<64>(r, col),
                valid ? head + (long long)((i0 + r) * kStride + j) * xsT + d0 + col : head, valid);
    }
    cpAsyncTile<kMlpThreads, 64, kHidden>(sW + stage * 64 * kHidden, w1 + (long long)step * 64 * kHidden, kHidden,
                                          64);
  };
#pragma unroll
  for (int step = 0; step < kMlpStages - 1; ++step) {
    if (step < kSteps)
      loadStep(step);
    cpAsyncCommit();
  }
  float acc[kHidden / 8][4] = {};
  for (int step = 0; step < kSteps; ++step) {
    cpAsyncWait<kMlpStages - 2>();
    __syncthreads();
    if (step + kMlpStages - 1 < kSteps)
      loadStep(step + kMlpStages - 1);
    cpAsyncCommit();
    const Elem *tileX = sX + step % kMlpStages * kMlpRows * 64, *tileW = sW + step % kMlpStages * 64 * kHidden;
#pragma unroll
    for (int kk = 0; kk < 4; ++kk) {
      unsigned xa[4];
      ldmatrixX4(xa, sharedAddress(tileX + swizzle<64>(16 * warp + lane % 16, 16 * kk + lane / 16 * 8)));
#pragma unroll
      for (int n = 0; n < kHidden / 16; ++n) {
        unsigned bw[4];
        ldmatrixX4Trans(bw, sharedAddress(tileW + swizzle<kHidden>(16 * kk + lane % 16, 16 * n + lane / 16 * 8)));
        mmaM16N8K16<Elem>(acc[2 * n], xa, bw[0], bw[1]);
        mmaM16N8K16<Elem>(acc[2 * n + 1], xa, bw[2], bw[3]);
      }
    }
  }
  cpAsyncWait<0>();
  __syncthreads();
  // W2 into the ring while the activations become A fragments.
  cpAsyncTile<kMlpThreads, kHidden, kDX>(sX, w2, kDX, kHidden);
  cpAsyncCommit();
  unsigned act[kHidden / 16][4];
#pragma unroll
  for (int n = 0; n < kHidden / 8; ++n) {
    const float b0 = bias[8 * n + 2 * c], b1 = bias[8 * n + 2 * c + 1];
    act[n / 2][n % 2 * 2] = pack2<Elem>(fmaxf(acc[n][0] + b0, 0.f), fmaxf(acc[n][1] + b1, 0.f));
    act[n / 2][n % 2 * 2 + 1] = pack2<Elem>(fmaxf(acc[n][2] + b0, 0.f), fmaxf(acc[n][3] + b1, 0.f));
  }
  cpAsyncWait<0>();
  __syncthreads();
  float out[kDX / 8][4] = {};
#pragma unroll
  for (int k = 0; k < kHidden / 16; ++k)
#pragma unroll
    for (int n = 0; n < kDX / 16; ++n) {
      unsigned bw[4];
      ldmatrixX4Trans(bw, sharedAddress(sX + swizzle<kDX>(16 * k + lane % 16, 16 * n + lane / 16 * 8)));
      mmaM16N8K16<Elem>(out[2 * n], act[k], bw[0], bw[1]);
      mmaM16N8K16<Elem>(out[2 * n + 1], act[k], bw[2], bw[3]);
    }
  Elem *rows = xc + ((long long)b * kKvHeads + h) * Nc * kDX;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int i = i0 + 16 * warp + lane / 4 + 8 * half;
    if (i < Nc)
#pragma unroll
      for (int n = 0; n < kDX / 8; ++n)
        *reinterpret_cast<unsigned *>(rows + (long long)i * kDX + 8 * n + 2 * c) =
            pack2<Elem>(out[n][2 * half], out[n][2 * half + 1]);
  }
}

extern "C" __global__ void __launch_bounds__(kMlpThreads)
${NAME}_compress_keys(const Elem *__restrict__ k, long long ksB, long long ksH, long long ksT,
                      const Elem *__restrict__ w1, const Elem *__restrict__ w2, const float *__restrict__ bias,
                      Elem *__restrict__ kc, int Nc) {
  compressMlp<kD>(k, ksB, ksH, ksT, w1, w2, bias, kc, Nc);
}

extern "C" __global__ void __launch_bounds__(kMlpThreads)
${NAME}_compress_values(const Elem *__restrict__ v, long long vsB, long long vsH, long long vsT,
                        const Elem *__restrict__ w1, const Elem *__restrict__ w2, const float *__restrict__ bias,
                        Elem *__restrict__ vc, int Nc) {
  compressMlp<kDV>(v, vsB, vsH, vsT, w1, w2, bias, vc, Nc);
}
} // namespace ${NAME}_nsa
)cu";

constexpr const char *kMlpPoolingCheck = R"cu(
  const attn_cuda_tensor *pooling[2][3] = {{pk, w1k, w2k}, {pv, w1v, w2v}};
  for (int x = 0; x < 2; ++x) {
    const int64_t dx = x ? kDV : kD;
    const attn_cuda_tensor *pe = pooling[x][0], *w1 = pooling[x][1], *w2 = pooling[x][2];
    if (pe->shape[0] != kBlock || pe->shape[1] != dx || w1->shape[0] != kBlock * dx || w1->shape[1] != kHidden ||
        w2->shape[0] != kHidden || w2->shape[1] != dx)
      return attnFail(1, "the %s pooling weights [%lld, %lld], [%lld, %lld], [%lld, %lld] are not [%d, %lld], "
                         "[%lld, %d] and [%d, %lld]", x ? "value" : "key", (long long)pe->shape[0],
                      (long long)pe->shape[1], (long long)w1->shape[0], (long long)w1->shape[1],
                      (long long)w2->shape[0], (long long)w2->shape[1], kBlock, (long long)dx,
                      (long long)(kBlock * dx), kHidden, kHidden, (long long)dx);
    for (const attn_cuda_tensor *w : pooling[x])
      if (w->strides[1] != 1 || w->strides[0] != w->shape[1] || (uintptr_t)w->data % 16)
        return attnFail(2, "the pooling weights must be contiguous with 16-byte aligned data");
  }
)cu";

constexpr const char *kMlpPoolingLaunch = R"cu(
    static const void *biasKernel = attnKernel(${NAME}_mlp_bias);
    static const void *compressKeys = attn_rt::withSharedBytes(attnKernel(${NAME}_compress_keys), kMlpSmem);
    static const void *compressValues = attn_rt::withSharedBytes(attnKernel(${NAME}_compress_values), kMlpSmem);
    float *keyBias = (float *)((char *)lse + lseBytes + selectionBytes), *valueBias = keyBias + kHidden;
    void *pkData = pk->data, *w1kData = w1k->data, *w2kData = w2k->data;
    void *pvData = pv->data, *w1vData = w1v->data, *w2vData = w2v->data;
    int keyRows = kBlock * kD, valueRows = kBlock * kDV;
    void *keyBiasArgs[] = {&pkData, &w1kData, &keyBias, &keyRows};
    void *valueBiasArgs[] = {&pvData, &w1vData, &valueBias, &valueRows};
    void *keyArgs[] = {&kData, &ks[0], &ks[1], &ks[2], &w1kData, &w2kData, &keyBias, &kc, &Nci};
    void *valueArgs[] = {&vData, &vs[0], &vs[1], &vs[2], &w1vData, &w2vData, &valueBias, &vc, &Nci};
    const dim3 grid((Nc + kMlpRows - 1) / kMlpRows, kKvHeads, (unsigned)B);
    rc = attn_rt::launch(biasKernel, dim3(1), dim3(kHidden), keyBiasArgs, 0, stream);
    if (rc == 0)
      rc = attn_rt::launch(biasKernel, dim3(1), dim3(kHidden), valueBiasArgs, 0, stream);
    if (rc == 0)
      rc = attn_rt::launch(compressKeys, grid, dim3(kMlpThreads), keyArgs, kMlpSmem, stream);
    if (rc == 0)
      rc = attn_rt::launch(compressValues, grid, dim3(kMlpThreads), valueArgs, kMlpSmem, stream);
)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, int *selection, void *stream) {
  using namespace ${NAME}_nsa;
  const int64_t B = q->shape[0], T = q->shape[2];
  if (q->shape[1] != kHeads || q->shape[3] != kD || k->shape[0] != B || k->shape[1] != kKvHeads ||
      k->shape[2] != T || k->shape[3] != kD || v->shape[0] != B || v->shape[1] != kKvHeads ||
      v->shape[2] != T || v->shape[3] != kDV)
    return attnFail(1, "q [%lld, %lld, %lld, %lld], k [%lld, %lld, %lld, %lld] and v [%lld, %lld, %lld, "
                       "%lld] do not fit [B, %d, T, %d], [B, %d, T, %d] and [B, %d, T, %d]",
                    ATTN_SHAPE(q), ATTN_SHAPE(k), ATTN_SHAPE(v), kHeads, kD, kKvHeads, kD, kKvHeads, kDV);
  if (gates->shape[0] != B || gates->shape[1] != kHeads || gates->shape[2] != T || gates->shape[3] != 3)
    return attnFail(1, "gates [%lld, %lld, %lld, %lld] are not [%lld, %d, %lld, 3]", ATTN_SHAPE(gates),
                    (long long)B, kHeads, (long long)T);
  if (out->shape[0] != B || out->shape[1] != kHeads || out->shape[2] != T || out->shape[3] != kDV)
    return attnFail(1, "out [%lld, %lld, %lld, %lld] is not [%lld, %d, %lld, %d]", ATTN_SHAPE(out),
                    (long long)B, kHeads, (long long)T, kDV);
  for (const attn_cuda_tensor *x : {q, k, v})
    if (x->strides[3] != 1 || x->strides[2] % 8 || x->strides[1] % 8 || x->strides[0] % 8 ||
        (uintptr_t)x->data % 16)
      return attnFail(2, "queries, keys and values need a contiguous last dim, other strides "
                         "of multiples of 8 elements and 16-byte aligned data");
  if (gates->strides[3] != 1 || out->strides[3] != 1)
    return attnFail(2, "gates and the output need a contiguous last dim");
$POOLING_CHECK  if (B == 0 || T == 0)
    return 0;
  const int Nc = T < kBlock ? 0 : (int)((T - kBlock) / kStride + 1);
  const int nSel = (int)((T + kSelBlock - 1) / kSelBlock);
  const int selectSmem = kSelFixedBytes + std::max(kSelQBytes, kSelWarps * nSel * 4);
  int device = 0, smemLimit = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&smemLimit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
  if (selectSmem > smemLimit)
    return attnFail(1, "T = %lld has too many selection blocks (%d) for the block selection kernel's "
                       "shared memory", (long long)T, nSel);

  // Scratch: Kc, Vc, the compressed and window outputs, the compressed
  // log-sum-exp and (unless the caller takes them) the selections.
  const auto align = [](size_t bytes) { return (bytes + 255) / 256 * 256; };
  const size_t kcBytes = align((size_t)B * kKvHeads * Nc * kD * 2), vcBytes = align((size_t)B * kKvHeads * Nc * kDV * 2);
  const size_t branchBytes = align((size_t)B * kHeads * T * kDV * 2), lseBytes = align((size_t)B * kHeads * T * 4);
  const size_t selectionBytes = selection ? 0 : align((size_t)B * kKvHeads * T * kTop * 4);
  const size_t poolingBytes = $POOLING_BYTES;
  cudaStream_t s = (cudaStream_t)stream;
  char *scratch = nullptr;
  if (int rc = attn_rt::scratch((void **)&scratch, kcBytes + vcBytes + 2 * branchBytes + lseBytes + selectionBytes + poolingBytes, s))
    return rc;
  void *kc = scratch, *vc = scratch + kcBytes;
  void *compressed = scratch + kcBytes + vcBytes, *window = (char *)compressed + branchBytes;
  float *lse = (float *)((char *)window + branchBytes);
  int *chosen = selection ? selection : (int *)((char *)lse + lseBytes);
  const auto tensor = [&](void *data, int64_t h, int64_t length, int64_t d) {
    return attn_cuda_tensor{data, {B, h, length, d}, {h * length * d, length * d, d, 1}};
  };
  attn_cuda_tensor kcT = tensor(kc, kKvHeads, Nc, kD), vcT = tensor(vc, kKvHeads, Nc, kDV);
  attn_cuda_tensor compressedT = tensor(compressed, kHeads, T, kDV), windowT = tensor(window, kHeads, T, kDV);

  static const void *select = attn_rt::withSharedBytes(attnKernel(${NAME}_select), smemLimit);
  static const void *selected = attn_rt::withSharedBytes(attnKernel(${NAME}_selected), kSlcSmem);
  void *kData = k->data, *vData = v->data, *qData = q->data, *gData = gates->data, *outData = out->data;
  long long qs[3] = {q->strides[0], q->strides[1], q->strides[2]};
  long long ks[3] = {k->strides[0], k->strides[1], k->strides[2]};
  long long vs[3] = {v->strides[0], v->strides[1], v->strides[2]};
  long long gs[3] = {gates->strides[0], gates->strides[1], gates->strides[2]};
  long long os[3] = {out->strides[0], out->strides[1], out->strides[2]};
  int Ti = (int)T, Nci = Nc, nSeli = nSel;
  int rc = 0;
  if (Nc > 0) {$POOLING_LAUNCH    if (rc == 0)
      rc = ${NAME}_cmp_ns::${NAME}_cmp(q, &kcT, &vcT, &compressedT, lse, stream);
  } else if (cudaMemsetAsync(compressed, 0, branchBytes, s) != cudaSuccess) {
    rc = attnFail(4, "%s", cudaGetErrorString(cudaGetLastError()));
  }
  if (rc == 0)
    rc = ${NAME}_win_ns::${NAME}_win(q, k, v, &windowT, nullptr, stream);
  if (rc == 0) {
    void *args[] = {&qData, &qs[0], &qs[1], &qs[2], &kc, &lse, &chosen, &Ti, &Nci, &nSeli};
    rc = attn_rt::launch(select, dim3((unsigned)((T + kSelWarps - 1) / kSelWarps), kKvHeads, (unsigned)B),
                         dim3(kSelThreads), args, selectSmem, stream);
  }
  if (rc == 0) {
    void *args[] = {&qData, &qs[0], &qs[1], &qs[2], &kData, &ks[0], &ks[1], &ks[2], &vData, &vs[0], &vs[1],
                    &vs[2], &chosen, &compressed, &window, &gData, &gs[0], &gs[1], &gs[2], &outData,
                    &os[0], &os[1], &os[2], &Ti};
    rc = attn_rt::launch(selected, dim3((unsigned)T, kKvHeads, (unsigned)B), dim3(kSlcThreads), args,
                         kSlcSmem, stream);
  }
  cudaFreeAsync(scratch, s);
  return rc;
}
)cu";

/// A softmax attention function over q [B, H, T, D] and keys and values of
/// `kvHeads` heads under `mask`, compiled by the softmax backend for `arch`
/// as `name` and wrapped in namespace `name`_ns.
FailureOr<KernelParts> branchKernel(const NsaAttention &a, KeyMaskAttr mask,
                                    StringRef name, Arch arch,
                                    OwningOpRef<ModuleOp> &module) {
  NsaOp nsa(a.op);
  Location loc = nsa.getLoc();
  OpBuilder builder(nsa->getContext());
  int64_t dynamic = ShapedType::kDynamic;
  auto tensor = [&](int64_t heads, int64_t dim) {
    return RankedTensorType::get({dynamic, heads, dynamic, dim}, a.element);
  };
  Type qType = tensor(a.heads, a.headDim), kType = tensor(a.kvHeads, a.headDim),
       vType = tensor(a.kvHeads, a.valueDim),
       oType = tensor(a.heads, a.valueDim);
  auto lseType =
      RankedTensorType::get({dynamic, a.heads, dynamic}, builder.getF32Type());
  module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto function = func::FuncOp::create(
      builder, loc, "branch",
      builder.getFunctionType({qType, kType, vType}, {oType}));
  Block *entry = function.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  auto attention = AttentionOp::create(
      builder, loc, oType, lseType, ValueRange{entry->getArgument(0)},
      ValueRange{entry->getArgument(1)}, entry->getArgument(2), Value(),
      Value(), nsa.getScaleAttr(), builder.getArrayAttr({mask}), IntegerAttr());
  func::ReturnOp::create(builder, loc, attention.getOutput());
  FailureOr<SoftmaxAttention> softmax = matchSoftmaxAttention(function);
  if (failed(softmax))
    return failure();
  FailureOr<KernelParts> parts = arch == Arch::sm90a
                                     ? emitSoftmaxSm90(*softmax, name)
                                     : emitSoftmaxSm80(*softmax, name);
  if (failed(parts))
    return failure();
  std::string open = "\nnamespace " + name.str() + "_ns {\n",
              close = "} // namespace " + name.str() + "_ns\n";
  parts->constants = open + parts->constants + close;
  parts->device = open + parts->device + close;
  parts->launcher = open + parts->launcher + close;
  return parts;
}
} // namespace

FailureOr<KernelParts> cuda::emitNsa(const NsaAttention &a, StringRef name,
                                     Arch arch) {
  NsaOp op = a.op;
  OwningOpRef<ModuleOp> cmpModule, winModule;
  FailureOr<KernelParts> cmp = branchKernel(
      a,
      KeyMaskAttr::get(op->getContext(), MaskKind::compressed,
                       op.getCompressBlock(), op.getCompressStride()),
      (name + "_cmp").str(), arch, cmpModule);
  FailureOr<KernelParts> win =
      branchKernel(a,
                   KeyMaskAttr::get(op->getContext(), MaskKind::sliding_window,
                                    op.getWindow(), 0),
                   (name + "_win").str(), arch, winModule);
  if (failed(cmp) || failed(win))
    return failure();
  bool mlp = op.getPooling() == PoolingKind::mlp;
  std::string params =
      argumentParameters(
          a.function,
          [&](unsigned i) -> StringRef {
            static constexpr StringRef keyWeights[] = {"pk", "w1k", "w2k"},
                                       valueWeights[] = {"pv", "w1v", "w2v"};
            for (unsigned w = 0; w < a.keyWeights.size(); ++w)
              if (i == a.keyWeights[w])
                return keyWeights[w];
              else if (i == a.valueWeights[w])
                return valueWeights[w];
            return i == a.query   ? "q"
                   : i == a.key   ? "k"
                   : i == a.value ? "v"
                   : i == a.gates ? "gates"
                                  : "";
          }) +
      "attn_cuda_tensor *out";
  std::vector<std::pair<StringRef, std::string>> names = {
      {"NAME", name.str()},
      {"H", std::to_string(a.heads)},
      {"HKV", std::to_string(a.kvHeads)},
      {"D", std::to_string(a.headDim)},
      {"DV", std::to_string(a.valueDim)},
      {"BLOCK", std::to_string(op.getCompressBlock())},
      {"STRIDE", std::to_string(op.getCompressStride())},
      {"SELECT_BLOCK", std::to_string(op.getSelectBlock())},
      {"TOP", std::to_string(op.getTop())},
      {"INITIAL", std::to_string(op.getInitial())},
      {"LOCAL", std::to_string(op.getLocal())},
      {"GATE_COMPRESSED", std::to_string(op.getGateColumn(NsaOp::Compressed))},
      {"GATE_SELECTED", std::to_string(op.getGateColumn(NsaOp::Selected))},
      {"GATE_WINDOW", std::to_string(op.getGateColumn(NsaOp::Window))},
      {"ELEM", elementTypeName(a.element).str()},
      {"GATE_ELEM",
       a.gateElement.isF32() ? "float" : elementTypeName(a.gateElement).str()},
      {"SCALE_LOG2", floatLiteral(op.getScale().convertToDouble() * M_LOG2E)},
      {"HIDDEN", std::to_string(a.hidden)},
      {"POOLING_BYTES", mlp ? "2 * kHidden * 4" : "0"},
      {"SEL_TILE_COPY",
       arch == Arch::sm90a ? "cpAsyncTileSw128" : "cpAsyncTile"},
      {"SEL_TILE_FENCE", arch == Arch::sm90a ? "\n    fenceProxyAsync();" : ""},
      {"SEL_SCORES_SETUP", arch == Arch::sm90a ? "" : kSelectScoresSetupMma},
      {"SEL_SCORES",
       arch == Arch::sm90a ? kSelectScoresWgmma : kSelectScoresMma},
      {"PARAMS", params}};
  names.push_back({"POOLING_CHECK",
                   mlp ? substitute(kMlpPoolingCheck, names) : std::string()});
  names.push_back(
      {"POOLING_LAUNCH",
       substitute(mlp ? kMlpPoolingLaunch : kMeanPoolingLaunch, names)});
  KernelParts parts;
  parts.runtimeHeader = cmp->runtimeHeader;
  parts.constants = cmp->constants + win->constants +
                    substitute(kConstants, names) +
                    (mlp ? substitute(kMlpConstants, names) : std::string());
  std::string selectWgmma =
      arch == Arch::sm90a
          ? "namespace " + name.str() + "_nsa {\n" +
                wgmmaFunction("wgmmaSelectScores", 64,
                              a.element.isBF16() ? "bf16" : "f16", true,
                              false) +
                "} // namespace " + name.str() + "_nsa\n"
          : std::string();
  parts.device = cmp->device + win->device + selectWgmma +
                 substitute(kKernels, names) +
                 substitute(mlp ? kMlpPooling : kMeanPooling, names);
  parts.launcher = cmp->launcher + win->launcher + substitute(kLauncher, names);
  parts.parameters = params + ", int *selection";
  parts.doc =
      "// Native Sparse Attention (attn.nsa). selection, if not NULL, "
      "receives each\n// token's selected blocks per KV head, [B, Hkv, T, "
      "top] contiguous int32,\n// ascending, -1 after the last. Needs: q, k, "
      "v with a contiguous last dim,\n// other strides multiples of 8 "
      "elements, 16-byte aligned data; gates and\n// out with a contiguous "
      "last dim. Uses stream-ordered scratch memory (cudaMallocAsync;\n// "
      "the device's default pool is set to keep freed memory).";
  return parts;
}
