//===- ChunkedLinear.cpp - chunked linear attention as mma.sync kernels ---===//
//
// attn.chunked_scan on the GPU, for sm_80 and sm_90a alike (mma.sync
// m16n8k16, cp.async double buffering). One CTA of 4 warps owns a batch, a
// head, a 64-wide tile of the value dim and a run of consecutive 64-step
// chunks (a segment), and walks the chunks with the state in registers:
//   - the state is kept transposed, S^T [Dv tile x Dk] as mma accumulators
//     (warp w: 16 value rows), so it feeds the inter-chunk product
//     O^T += S^T (Q ⊙ exp(b))^T straight from registers as the A operand and
//     is never staged through shared memory;
//   - P = scale (Q K^T ⊙ D) is split by query rows over the warps and staged
//     in shared memory as the B operand of O^T += V^T P^T;
//   - S^T = exp(b_last) S^T + V^T (K ⊙ exp(b_last - b)) shares V^T's
//     fragments with the intra-chunk product.
// Cumulative gates are kept in log2 units from each chunk's start and only
// differences are exponentiated. Scalar decay applies exp(b_t - b_s) to the
// scores elementwise; per-key decay (GLA) cannot, so each 16 x 16 block of
// Q K^T is a product of Q ⊙ exp(b_t - b_r) and K ⊙ exp(b_r - b_s) with a
// reference step r between the blocks (both factors <= 1) or, on the
// diagonal, in the block's middle (factors bounded by the decay of 8 steps).
//
// Long sequences with few (batch, head) pairs get parallelism over
// segments: a first pass computes each segment's own state contribution
// (the same kernel without outputs), a scan over segments turns those into
// entering states, then every segment runs from its entering state.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

ChunkedScanOp cuda::returnedChunkedScan(func::FuncOp function) {
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (Value value : ret.getOperands())
    if (auto scan = value.getDefiningOp<ChunkedScanOp>())
      return scan;
  return {};
}

/// The argument number of `value`, or a diagnostic at `user`.
static FailureOr<unsigned> argumentOf(Value value, Operation *user,
                                      StringRef role) {
  return functionArgument(value, user,
                          "the CUDA backend's linear attention kernel", role);
}

FailureOr<ChunkedLinear> cuda::matchChunkedLinear(func::FuncOp function) {
  ChunkedLinear a;
  a.function = function;
  a.scan = returnedChunkedScan(function);
  ChunkedScanOp scan = a.scan;
  auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
  for (Value value : ret.getOperands()) {
    if (value == scan.getOutput())
      a.results.push_back(ChunkedLinear::Output);
    else if (value == scan.getFinalState())
      a.results.push_back(ChunkedLinear::FinalState);
    else
      return ret.emitError("the CUDA backend's linear attention kernel "
                           "returns the attn.chunked_scan's output and final "
                           "state, nothing else");
  }
  if (!llvm::is_contained(a.results, ChunkedLinear::Output))
    return ret.emitError("the CUDA backend's linear attention kernel needs "
                         "the chunked scan's output among the results");
  if (scan.getMaterialized())
    return scan.emitError("the CUDA backend does not return per-chunk states "
                          "(materialized); the kernel keeps them on chip");
  for (Operation &op : function.getBody().front())
    if (&op != scan && !isa<func::ReturnOp, arith::ConstantOp>(op))
      return op.emitError("the CUDA backend's linear attention kernel takes "
                          "q, k, v, gates and the initial state straight "
                          "from the arguments; compute this op before the "
                          "call");

  FailureOr<unsigned> q = argumentOf(scan.getQuery(), scan, "queries");
  FailureOr<unsigned> k = argumentOf(scan.getKey(), scan, "keys");
  FailureOr<unsigned> v = argumentOf(scan.getValue(), scan, "values");
  if (failed(q) || failed(k) || failed(v))
    return failure();
  a.query = *q, a.key = *k, a.value = *v;
  if (Value init = scan.getInit()) {
    FailureOr<unsigned> arg = argumentOf(init, scan, "initial state");
    if (failed(arg))
      return failure();
    a.init = *arg;
  }

  a.element = getElementTypeOrSelf(scan.getQuery().getType());
  for (Value t : {Value(scan.getQuery()), Value(scan.getKey()),
                  Value(scan.getValue()), Value(scan.getOutput())})
    if (getElementTypeOrSelf(t.getType()) != a.element ||
        !(a.element.isBF16() || a.element.isF16()))
      return scan.emitError("the CUDA backend's linear attention kernel "
                            "takes queries, keys, values and output all of "
                            "bf16 or all of f16 (accumulating in f32)");
  for (Value t : {Value(scan.getInit()), Value(scan.getFinalState())})
    if (t && !getElementTypeOrSelf(t.getType()).isF32())
      return scan.emitError("the CUDA backend's linear attention kernel "
                            "keeps states in f32");

  a.heads = dimSize(scan.getQuery(), 1);
  a.kvHeads = dimSize(scan.getKey(), 1);
  a.keyDim = dimSize(scan.getQuery(), 3);
  a.valueDim = dimSize(scan.getValue(), 3);
  if (ShapedType::isDynamic(a.heads) || ShapedType::isDynamic(a.kvHeads))
    return scan.emitError("the CUDA backend needs static head counts");
  if (a.keyDim != 64 && a.keyDim != 128)
    return scan.emitError() << "the CUDA backend's linear attention kernel "
                               "takes key dims 64 and 128, not "
                            << a.keyDim;
  if (a.valueDim % 64 != 0 || a.valueDim > 256)
    return scan.emitError() << "the CUDA backend's linear attention kernel "
                               "takes value dims 64, 128, 192 and 256, not "
                            << a.valueDim;

  if (Value gates = scan.getGates()) {
    if (!getElementTypeOrSelf(gates.getType()).isF32())
      return scan.emitError("the CUDA backend's linear attention kernel "
                            "takes f32 gates");
    int64_t rank = cast<RankedTensorType>(gates.getType()).getRank();
    a.gates = rank == 1   ? ChunkedLinear::Head
              : rank == 3 ? ChunkedLinear::Token
                          : ChunkedLinear::Key;
    DenseFPElementsAttr constant;
    if (rank == 1 && matchPattern(gates, m_Constant(&constant))) {
      for (APFloat value : constant.getValues<APFloat>())
        a.headGates.push_back(value.convertToDouble());
    } else {
      FailureOr<unsigned> arg = argumentOf(gates, scan, "gates");
      if (failed(arg))
        return failure();
      a.gateArgument = *arg;
    }
  }
  a.scale = scan.getScale().convertToDouble();
  return a;
}

std::string cuda::linearParameters(const ChunkedLinear &a) {
  std::string params =
      argumentParameters(a.function, [&](unsigned i) -> StringRef {
        return i == a.query          ? "q"
               : i == a.key          ? "k"
               : i == a.value        ? "v"
               : i == a.gateArgument ? "gates"
               : i == a.init         ? "init"
                                     : "";
      });
  for (auto [i, result] : llvm::enumerate(a.results))
    params += std::string(i ? ", " : "") + "attn_cuda_tensor *" +
              (result == ChunkedLinear::Output ? "out" : "final_state");
  return params;
}

namespace {
/// What both chunk kernels share, valid in host and device code (the
/// launcher's constants): sizes, the kernel's own ($SIZES), and the
/// parameters.
constexpr const char *kCommon = R"cu(
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "attn/Runtime/cuda/tensor_map.h"

namespace {
using Elem = $ELEM;
// Chunk length, key dim, value dim, the value tile of one CTA.
constexpr int kC = 64, kDk = $DK, kDv = $DV, kBV = $BV, kTiles = kDv / kBV;
constexpr int kHeads = $H, kGroup = $H / $HKV, kThreads = $THREADS;
constexpr float kScale = $SCALE, kLog2e = 1.44269504089f;
// Decode steps (${NAME}_step): up to kStepMaxT tokens, state columns in
// 32-wide slices over kStepWarps warps.
constexpr int kStepMaxT = 16, kStepWarps = 4, kStepThreads = 32 * kStepWarps;
static_assert(kDv % 32 == 0 && kDk % kStepWarps == 0, "whole state slices");
$SIZES
struct Params {
  const Elem *q, *k, *v;
  Elem *o;
  const float *g, *init;
  float *fin;
  // Segments: entering states [B, H, nseg, Dk, Dv] and each segment's total
  // log2 decay [B, H, nseg, $DECAY_WIDTH].
  float *segState, *segDecay;
  long long qb, qh, qt, kb, kh, kt, vb, vh, vt, ob, oh, ot;
  long long gb, gh, gt, ib, ih, id, fb, fh, fd;
  int T, segChunks, nseg;
$TENSOR_MAPS};
} // namespace
)cu";

/// Device functions both chunk kernels share.
constexpr const char *kStateFunctions = R"cu(
/// The state a chunk kernel starts from (row stride `ld`): its segment's
/// entering state, the initial state, or none (zero); the state pass starts
/// from zero.
template <bool kOut>
__device__ __forceinline__ const float *enteringState(const Params &p, long long bh, int seg, int b, int h,
                                                      long long &ld) {
  ld = kDv;
  if (kOut && p.nseg > 1)
    return p.segState + (bh * p.nseg + seg) * kDk * kDv;
  if (kOut && p.init)
    return ld = p.id, p.init + b * p.ib + h * p.ih;
  return nullptr;
}

/// Where it leaves its state: the state pass its segment's contribution,
/// the last segment of the main pass the final state (if asked for).
template <bool kOut>
__device__ __forceinline__ float *leavingState(const Params &p, long long bh, int seg, int b, int h,
                                               long long &ld) {
  ld = kDv;
  if (!kOut)
    return p.segState + (bh * p.nseg + seg) * kDk * kDv;
  if (p.fin && seg == p.nseg - 1)
    return ld = p.fd, p.fin + b * p.fb + h * p.fh;
  return nullptr;
}
)cu";

/// The mma.sync chunk kernel's shared memory (in kCommon's $SIZES): two
/// stages of Q, K, V and gate tiles; the chunk's scores P and its output
/// tile; then what the decay needs.
constexpr const char *kChunksMmaSizes =
    R"cu(constexpr int kTileQ = kC * kDk * 2, kTileV = kC * kBV * 2;
$GATE_DECLS
constexpr int kStage = 2 * kTileQ + kTileV + kGateBytes;
constexpr int kOffP = 2 * kStage, kOffO = kOffP + kC * kC * 2;
constexpr int kOffExtra = kOffO + kC * kBV * 2;
constexpr int kSmemBytes = kOffExtra + kExtraBytes;
static_assert(kSmemBytes <= $SMEM_LIMIT, "tiles exceed the shared memory of a block");
)cu";

/// The mma.sync chunk kernel (sm_80 and sm_90a), a template over the pass
/// (chunkPasses).
constexpr const char *kChunksMma = R"cu(
/// Walks one segment's chunks for batch blockIdx.z, head blockIdx.y and
/// value tile / segment blockIdx.x. With kOut (the main pass), from the
/// segment's entering state, writing outputs (and the final state from the
/// last segment); without (the segment pass), from zero, writing the
/// segment's own state contribution.
extern "C" __global__ void __launch_bounds__(kThreads, 1) ${NAME}_$PASS(const Params p) {
  constexpr bool kOut = $OUT;
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, c = lane % 4;
  const int tile = blockIdx.x % kTiles, seg = blockIdx.x / kTiles;
  const int h = blockIdx.y, b = blockIdx.z, hk = h / kGroup, dv0 = tile * kBV;
  const long long bh = (long long)b * kHeads + h;
  const int chunks = (p.T + kC - 1) / kC;
  const int chunkBegin = seg * p.segChunks;
  const int chunkEnd = min(chunks, chunkBegin + p.segChunks);
  const Elem *q = p.q + b * p.qb + h * p.qh;
  const Elem *k = p.k + b * p.kb + hk * p.kh;
  const Elem *v = p.v + b * p.vb + hk * p.vh + dv0;
  Elem *sP = reinterpret_cast<Elem *>(smem + kOffP);
  Elem *sO = reinterpret_cast<Elem *>(smem + kOffO);
  $GATE_SETUP

  // S^T: warp w holds value rows dv0 + 16w + g (+8), key columns
  // 8n + 2c (+1) in mma accumulator order.
  float st[kDk / 8][4] = {};
  {
    long long ld;
    if (const float *src = enteringState<kOut>(p, bh, seg, b, h, ld))
#pragma unroll
      for (int n = 0; n < kDk / 8; ++n)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          st[n][j] = src[(8 * n + 2 * c + (j & 1)) * ld + dv0 + 16 * warp + g + (j >> 1) * 8];
  }

  auto load = [&](int chunk, int stage) {
    Elem *sQ = reinterpret_cast<Elem *>(smem + stage * kStage);
    Elem *sK = sQ + kC * kDk, *sV = sK + kC * kDk;
    float *sG = reinterpret_cast<float *>(sV + kC * kBV);
    const int t0 = chunk * kC;
    (void)sG, (void)t0;
    if (kOut)
      for (int i = tid; i < kC * kDk / 8; i += kThreads) {
        const int r = i / (kDk / 8), col = i % (kDk / 8) * 8;
        const bool ok = t0 + r < p.T;
        cpAsync16(sQ + swizzle<kDk>(r, col), q + (ok ? (t0 + r) * p.qt + col : 0), ok);
      }
    for (int i = tid; i < kC * kDk / 8; i += kThreads) {
      const int r = i / (kDk / 8), col = i % (kDk / 8) * 8;
      const bool ok = t0 + r < p.T;
      cpAsync16(sK + swizzle<kDk>(r, col), k + (ok ? (t0 + r) * p.kt + col : 0), ok);
    }
    for (int i = tid; i < kC * kBV / 8; i += kThreads) {
      const int r = i / (kBV / 8), col = i % (kBV / 8) * 8;
      const bool ok = t0 + r < p.T;
      cpAsync16(sV + swizzle<kBV>(r, col), v + (ok ? (t0 + r) * p.vt + col : 0), ok);
    }
    // Steps past T load as zeros: zero gates keep b_last at the last step,
    // zero keys and values add nothing to the state.
$GATE_LOAD  };

  if (chunkBegin < chunkEnd)
    load(chunkBegin, 0);
  cpAsyncCommit();
  for (int chunk = chunkBegin; chunk < chunkEnd; ++chunk) {
    const int stage = (chunk - chunkBegin) & 1;
    if (chunk + 1 < chunkEnd)
      load(chunk + 1, stage ^ 1);
    cpAsyncCommit();
    cpAsyncWait<1>();
    __syncthreads();
    Elem *sQ = reinterpret_cast<Elem *>(smem + stage * kStage);
    Elem *sK = sQ + kC * kDk, *sV = sK + kC * kDk;
    float *sG = reinterpret_cast<float *>(sV + kC * kBV);
    (void)sQ;
    // Gates -> cumulative log2 decays from the chunk's start, in place.
$GATE_PREFIX    __syncthreads();
$PREPARE
    if (kOut) {
      // P = scale (Q K^T ⊙ D), causal: the 10 16 x 16 blocks (query block
      // tb, key block j <= tb) balanced over the warps, 3, 3, 2 and 2, as
      // 4-bit (tb, j) codes.
      const unsigned plan = warp == 0 ? 0x730u : warp == 1 ? 0xB51u : warp == 2 ? 0x62u : 0xFAu;
#pragma unroll 1
      for (int i = 0; i < (warp < 2 ? 3 : 2); ++i) {
        const int tb = plan >> 4 * i & 3, j = plan >> (4 * i + 2) & 3;
        // Two accumulator chains over the k-steps halve the dependent mma
        // latency.
        float part[2][2][4] = {};
$SCORES        float acc[2][4];
#pragma unroll
        for (int n = 0; n < 2; ++n)
#pragma unroll
          for (int x = 0; x < 4; ++x)
            acc[n][x] = part[0][n][x] + part[1][n][x];
#pragma unroll
        for (int n = 0; n < 2; ++n)
#pragma unroll
          for (int half = 0; half < 2; ++half) {
            const int t = 16 * tb + g + half * 8, s = 16 * j + 8 * n + 2 * c;
$SCORE_DECAY            *reinterpret_cast<unsigned *>(sP + swizzle<kC>(t, s)) = pack2<Elem>(x0, x1);
          }
      }
      __syncthreads();
    }

    // V^T as A fragments: value rows 16w.., steps 16kk..16kk+15.
    unsigned vt[kC / 16][4];
#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk)
      ldmatrixX4Trans(vt[kk], sharedAddress(sV + swizzle<kBV>(16 * kk + (lane & 7) + (lane >> 4) * 8, 16 * warp + (lane >> 3 & 1) * 8)));

    if (kOut) {
      // O^T = S^T (Q ⊙ exp(b))^T, the state straight from the accumulators.
      float o[kC / 8][4] = {};
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk) {
        const unsigned a[4] = {pack2<Elem>(st[2 * kk][0], st[2 * kk][1]), pack2<Elem>(st[2 * kk][2], st[2 * kk][3]),
                               pack2<Elem>(st[2 * kk + 1][0], st[2 * kk + 1][1]),
                               pack2<Elem>(st[2 * kk + 1][2], st[2 * kk + 1][3])};
#pragma unroll
        for (int np = 0; np < kC / 16; ++np) {
          unsigned r[4];
          ldmatrixX4(r, sharedAddress($INTER_Q + swizzle<kDk>(16 * np + (lane & 7) + (lane >> 4) * 8, 16 * kk + (lane >> 3 & 1) * 8)));
          mmaM16N8K16<Elem>(o[2 * np], a, r[0], r[1]);
          mmaM16N8K16<Elem>(o[2 * np + 1], a, r[2], r[3]);
        }
      }
#pragma unroll
      for (int n = 0; n < kC / 8; ++n)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          o[n][j] *= $INTER_SCALE;
      // O^T += V^T P^T over the key blocks at or before each query block.
#pragma unroll
      for (int kk = 0; kk < kC / 16; ++kk)
#pragma unroll
        for (int np = kk; np < kC / 16; ++np) {
          unsigned r[4];
          ldmatrixX4(r, sharedAddress(sP + swizzle<kC>(16 * np + (lane & 7) + (lane >> 4) * 8, 16 * kk + (lane >> 3 & 1) * 8)));
          mmaM16N8K16<Elem>(o[2 * np], vt[kk], r[0], r[1]);
          mmaM16N8K16<Elem>(o[2 * np + 1], vt[kk], r[2], r[3]);
        }
#pragma unroll
      for (int n = 0; n < kC / 8; ++n)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          sO[swizzle<kBV>(8 * n + 2 * c + (j & 1), 16 * warp + g + (j >> 1) * 8)] = Elem(o[n][j]);
    }

    // S^T = exp(b_last) S^T + V^T (K ⊙ exp(b_last - b)).
$STATE_DECAY#pragma unroll
    for (int kk = 0; kk < kC / 16; ++kk) {
$UPDATE_A#pragma unroll
      for (int np = 0; np < kDk / 16; ++np) {
        unsigned r[4];
        ldmatrixX4Trans(r, sharedAddress($UPDATE_K + swizzle<kDk>(16 * kk + (lane & 7) + (lane >> 3 & 1) * 8, 16 * np + (lane >> 4) * 8)));
        mmaM16N8K16<Elem>(st[2 * np], a, r[0], r[1]);
        mmaM16N8K16<Elem>(st[2 * np + 1], a, r[2], r[3]);
      }
    }
    __syncthreads();
    if (kOut) {
      const int t0 = chunk * kC;
      for (int i = tid; i < kC * kBV / 8; i += kThreads) {
        const int r = i / (kBV / 8), col = i % (kBV / 8) * 8;
        if (t0 + r < p.T)
          *reinterpret_cast<uint4 *>(p.o + b * p.ob + h * p.oh + (t0 + r) * p.ot + dv0 + col) =
              *reinterpret_cast<const uint4 *>(sO + swizzle<kBV>(r, col));
      }
    }
  }

  long long ld;
  if (float *dst = leavingState<kOut>(p, bh, seg, b, h, ld))
#pragma unroll
    for (int n = 0; n < kDk / 8; ++n)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        dst[(8 * n + 2 * c + (j & 1)) * ld + dv0 + 16 * warp + g + (j >> 1) * 8] = st[n][j];
  if (!kOut && tile == 0) {
$DECAY_STORE  }
}
)cu";

/// Decode: at most kStepMaxT new tokens, taken one at a time on the state
/// itself, which is read and written once (the chunk kernels would pad
/// them to a chunk). Block (x, h, b) keeps state columns [32 x, 32 x + 32)
/// of head h in registers: lane = column, warp w rows w, w + kStepWarps, ...
/// so each row is one coalesced 128-byte access.
constexpr const char *kStep = R"cu(
extern "C" __global__ void __launch_bounds__(kStepThreads) ${NAME}_step(const Params p) {
  constexpr int kRows = kDk / kStepWarps;
  __shared__ float sQ[kStepMaxT][kDk], sK[kStepMaxT][kDk], sDecay[kStepMaxT][$DECAY_WIDTH],
      sOut[kStepWarps][32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, c = blockIdx.x * 32 + lane;
  const int h = blockIdx.y, b = blockIdx.z, hk = h / kGroup;
  for (int i = threadIdx.x; i < p.T * kDk; i += kStepThreads) {
    const int t = i / kDk, r = i % kDk;
    sQ[t][r] = (float)p.q[b * p.qb + h * p.qh + t * p.qt + r] * kScale;
    sK[t][r] = (float)p.k[b * p.kb + hk * p.kh + t * p.kt + r];
  }
  for (int i = threadIdx.x; i < p.T * $DECAY_WIDTH; i += kStepThreads) {
    [[maybe_unused]] const int t = i / $DECAY_WIDTH, r = i % $DECAY_WIDTH;
    sDecay[t][r] = __expf($STEP_LOG_DECAY);
  }
  float s[kRows];
#pragma unroll
  for (int j = 0; j < kRows; ++j)
    s[j] = p.init ? p.init[b * p.ib + h * p.ih + (warp + j * kStepWarps) * p.id + c] : 0.f;
  __syncthreads();
  for (int t = 0; t < p.T; ++t) {
    const float v = (float)p.v[b * p.vb + hk * p.vh + t * p.vt + c];
    float o = 0.f;
#pragma unroll
    for (int j = 0; j < kRows; ++j) {
      const int r = warp + j * kStepWarps;
      s[j] = sDecay[t][$DECAY_WIDTH == 1 ? 0 : r] * s[j] + sK[t][r] * v;
      o += sQ[t][r] * s[j];
    }
    sOut[warp][lane] = o;
    __syncthreads();
    if (warp == 0) {
      float sum = 0.f;
#pragma unroll
      for (int w = 0; w < kStepWarps; ++w)
        sum += sOut[w][lane];
      p.o[b * p.ob + h * p.oh + t * p.ot + c] = Elem(sum);
    }
    __syncthreads();
  }
  if (p.fin)
#pragma unroll
    for (int j = 0; j < kRows; ++j)
      p.fin[b * p.fb + h * p.fh + (warp + j * kStepWarps) * p.fd + c] = s[j];
}
)cu";

constexpr const char *kScan = R"cu(
/// Turns each segment's own contribution into the state entering it:
/// S_0 = init, S_{j+1} = exp(decay_j) S_j + contribution_j.
extern "C" __global__ void ${NAME}_scan(const Params p) {
  const int e = blockIdx.x * blockDim.x + threadIdx.x;
  if (e >= kDk * kDv)
    return;
  const int dk = e / kDv, dv = e % kDv, h = blockIdx.y, b = blockIdx.z;
  const long long bh = (long long)b * kHeads + h;
  float s = p.init ? p.init[b * p.ib + h * p.ih + dk * p.id + dv] : 0.f;
  float *state = p.segState + bh * p.nseg * kDk * kDv + e;
  const float *decay = p.segDecay + bh * p.nseg * $DECAY_WIDTH + $DECAY_INDEX;
  for (int j = 0; j + 1 < p.nseg; ++j) {
    const float own = state[(long long)j * kDk * kDv];
    state[(long long)j * kDk * kDv] = s;
    s = exp2f(decay[j * $DECAY_WIDTH]) * s + own;
  }
  state[(long long)(p.nseg - 1) * kDk * kDv] = s;
}
)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, void *stream) {
  const int64_t B = q->shape[0], T = q->shape[2];
  if (q->shape[1] != kHeads || q->shape[3] != kDk)
    return attnFail(1, "queries are [%lld, %lld, %lld, %lld]; expected [B, $H, T, $DK]", ATTN_SHAPE(q));
  if (k->shape[0] != B || k->shape[1] != $HKV || k->shape[2] != T || k->shape[3] != kDk)
    return attnFail(1, "keys are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, %lld, $DK]", ATTN_SHAPE(k),
                    (long long)B, (long long)T);
  if (v->shape[0] != B || v->shape[1] != $HKV || v->shape[2] != T || v->shape[3] != kDv)
    return attnFail(1, "values are [%lld, %lld, %lld, %lld]; expected [%lld, $HKV, %lld, $DV]", ATTN_SHAPE(v),
                    (long long)B, (long long)T);
  if (out->shape[0] != B || out->shape[1] != kHeads || out->shape[2] != T || out->shape[3] != kDv)
    return attnFail(1, "the output is [%lld, %lld, %lld, %lld]; expected [%lld, $H, %lld, $DV]", ATTN_SHAPE(out),
                    (long long)B, (long long)T);
$CHECKS  if (B > 65535 || T > INT32_MAX - kC)
    return attnFail(1, "sizes past the kernel's grid and 32-bit step indexing (B <= 65535, T < 2^31 - 64)");
  const attn_cuda_tensor *tiles[4] = {q, k, v, out};
  for (const attn_cuda_tensor *t : tiles)
    if (t->strides[3] != 1 || t->strides[2] % 8 || t->strides[1] % 8 || t->strides[0] % 8 ||
        (uintptr_t)t->data % 16)
      return attnFail(2, "queries, keys, values and the output need a contiguous last dim, other strides "
                         "of multiples of 8 elements and 16-byte aligned data");
  if (B == 0)
    return 0;
  Params p = {};
  p.q = (const Elem *)q->data, p.k = (const Elem *)k->data, p.v = (const Elem *)v->data;
  p.o = (Elem *)out->data;
  p.qb = q->strides[0], p.qh = q->strides[1], p.qt = q->strides[2];
  p.kb = k->strides[0], p.kh = k->strides[1], p.kt = k->strides[2];
  p.vb = v->strides[0], p.vh = v->strides[1], p.vt = v->strides[2];
  p.ob = out->strides[0], p.oh = out->strides[1], p.ot = out->strides[2];
$PARAMS_FILL  p.T = (int)T;
  if (T <= kStepMaxT) { // decode: T = 0 still carries init to the final state
    static const void *step = attnKernel(${NAME}_step);
    void *args[] = {&p};
    return attn_rt::launch(step, dim3(kDv / 32, kHeads, (unsigned)B), dim3(kStepThreads), args, 0, stream);
  }
$MAPS
  static const void *mainPass = attn_rt::withSharedBytes(attnKernel(${NAME}_main), kSmemBytes);
  static const void *segmentPass = attn_rt::withSharedBytes(attnKernel(${NAME}_segments), kSmemBytes);
  static const void *scan = attnKernel(${NAME}_scan);
  if (!mainPass || !segmentPass || !scan)
    return 4; // the reason was recorded when loading them

  // Segments: when the (batch, head, value tile) triples leave CTA slots
  // idle, split T so that one wave fills them (a partial second wave would
  // double the time).
  int device = 0, sms = 132, perSm = 1;
  if (cudaGetDevice(&device) == cudaSuccess)
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, mainPass, kThreads, kSmemBytes);
  const long long chunks = (T + kC - 1) / kC, ctas = B * kHeads * kTiles;
  const long long slots = (long long)std::max(perSm, 1) * sms;
  const long long nseg = chunks > 1 ? std::min(chunks, std::max(1LL, slots / ctas)) : 1;
  p.segChunks = (int)std::max(1LL, (chunks + nseg - 1) / nseg);
  p.nseg = chunks ? (int)((chunks + p.segChunks - 1) / p.segChunks) : 1;

  void *args[] = {&p};
  void *scratch = nullptr;
  int result = 0;
  if (p.nseg > 1) {
    const size_t states = (size_t)B * kHeads * p.nseg * kDk * kDv;
    if (int rc = attn_rt::scratch(&scratch, (states + (size_t)B * kHeads * p.nseg * $DECAY_WIDTH) * 4, stream))
      return rc;
    p.segState = (float *)scratch, p.segDecay = p.segState + states;
    result = attn_rt::launch(segmentPass, dim3(kTiles * (p.nseg - 1), kHeads, (unsigned)B), dim3(kThreads), args,
                             kSmemBytes, stream);
    if (result == 0)
      result = attn_rt::launch(scan, dim3((kDk * kDv + 255) / 256, kHeads, (unsigned)B), dim3(256), args, 0, stream);
  }
  if (result == 0)
    result = attn_rt::launch(mainPass, dim3(kTiles * p.nseg, kHeads, (unsigned)B), dim3(kThreads), args, kSmemBytes,
                             stream);
  if (scratch) {
    const cudaError_t status = cudaFreeAsync(scratch, (cudaStream_t)stream);
    if (result == 0 && status != cudaSuccess)
      result = attnFail(4, "%s", cudaGetErrorString(status));
  }
  return result;
}
)cu";

/// The kernel's pieces that depend on the gates' form.
struct GatePieces {
  std::string decls, setup, load, prefix, prepare, scores, scoreDecay, interQ,
      interScale, stateDecay, updateA, updateK, decayStore;
  int decayWidth;
  std::string decayIndex;
};

/// Scalar decay (one log-decay per step, from [B, H, T] gates, [H] gates or
/// none): the scores take exp(b_t - b_s) elementwise.
GatePieces scalarPieces(const ChunkedLinear &a) {
  GatePieces p;
  p.decls = "constexpr int kGateBytes = kC * 4, kExtraBytes = 0;\n";
  if (a.gates == ChunkedLinear::Token) {
    p.setup = "const float *gates = p.g + b * p.gb + h * p.gh;\n";
    p.load = "    for (int i = tid; i < kC; i += kThreads) {\n"
             "      const bool ok = t0 + i < p.T;\n"
             "      cpAsync4(sG + i, gates + (ok ? (t0 + i) * p.gt : 0), ok);\n"
             "    }\n";
  } else {
    std::string value = a.gates == ChunkedLinear::None ? "0.f"
                        : a.headGates.empty()          ? "p.g[h * p.gh]"
                                                       : "kHeadGates[h]";
    p.setup = "const float headGate = " + value + ";\n";
    p.load = "    for (int i = tid; i < kC; i += kThreads)\n"
             "      sG[i] = t0 + i < p.T ? headGate : 0.f;\n";
  }
  p.setup += "  float decayTotal = 0.f;\n";
  // Warp 0 scans the chunk's 64 gates, two per lane.
  p.prefix = R"cu(    if (warp == 0) {
      const float x0 = sG[2 * lane] * kLog2e, x1 = sG[2 * lane + 1] * kLog2e;
      float incl = x0 + x1;
#pragma unroll
      for (int off = 1; off < 32; off *= 2) {
        const float y = __shfl_up_sync(0xffffffffu, incl, off);
        if (lane >= off)
          incl += y;
      }
      __syncwarp();
      sG[2 * lane] = incl - x1;
      sG[2 * lane + 1] = incl;
    }
)cu";
  p.scores = R"cu(#pragma unroll
        for (int kk = 0; kk < kDk / 16; ++kk) {
          unsigned qa[4], r[4];
          ldmatrixX4(qa, sharedAddress(sQ + swizzle<kDk>(16 * tb + (lane & 15), 16 * kk + (lane >> 4) * 8)));
          ldmatrixX4(r, sharedAddress(sK + swizzle<kDk>(16 * j + (lane & 7) + (lane >> 4) * 8, 16 * kk + (lane >> 3 & 1) * 8)));
          mmaM16N8K16<Elem>(part[kk & 1][0], qa, r[0], r[1]);
          mmaM16N8K16<Elem>(part[kk & 1][1], qa, r[2], r[3]);
        }
)cu";
  p.scoreDecay =
      "            const float x0 = s <= t ? acc[n][2 * half] * kScale * "
      "exp2Approx(sG[t] - sG[s]) : 0.f;\n"
      "            const float x1 = s + 1 <= t ? acc[n][2 * half + 1] * kScale "
      "* exp2Approx(sG[t] - sG[s + 1]) : 0.f;\n";
  p.interQ = "sQ";
  p.interScale = "kScale * exp2Approx(sG[8 * n + 2 * c + (j & 1)])";
  p.stateDecay =
      R"cu(    const float last = sG[kC - 1], chunkDecay = exp2Approx(last);
    decayTotal += last;
#pragma unroll
    for (int n = 0; n < kDk / 8; ++n)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        st[n][j] *= chunkDecay;
)cu";
  // The per-step factor exp(b_last - b_s) goes on V^T's columns.
  p.updateA = R"cu(      const int s0 = 16 * kk + 2 * c;
      const float w0 = exp2Approx(last - sG[s0]), w1 = exp2Approx(last - sG[s0 + 1]);
      const float w8 = exp2Approx(last - sG[s0 + 8]), w9 = exp2Approx(last - sG[s0 + 9]);
      const unsigned a[4] = {scale2<Elem>(vt[kk][0], w0, w1), scale2<Elem>(vt[kk][1], w0, w1),
                             scale2<Elem>(vt[kk][2], w8, w9), scale2<Elem>(vt[kk][3], w8, w9)};
)cu";
  p.updateK = "sK";
  p.decayStore = "    if (tid == 0)\n"
                 "      p.segDecay[bh * p.nseg + seg] = decayTotal;\n";
  p.decayWidth = 1;
  p.decayIndex = "0";
  return p;
}

/// Per-key decay (GLA, [B, H, T, Dk] gates): decayed copies of Q and K in
/// shared memory, and the scores as products of decayed blocks.
GatePieces perKeyPieces() {
  GatePieces p;
  // Gate rows padded by 8 floats: the fragment reads of 8 rows then fall in
  // distinct banks.
  p.decls = "constexpr int kGateRow = kDk + 8;\n"
            "constexpr int kGateBytes = kC * kGateRow * 4, kExtraBytes = 2 "
            "* kTileQ + kDk * 4;\n";
  p.setup = R"cu(const float *gates = p.g + b * p.gb + h * p.gh;
  Elem *sQd = reinterpret_cast<Elem *>(smem + kOffExtra), *sKd = sQd + kC * kDk;
  float *decayTotal = reinterpret_cast<float *>(sKd + kC * kDk);
  for (int d = tid; d < kDk; d += kThreads)
    decayTotal[d] = 0.f;
)cu";
  p.load = R"cu(    for (int i = tid; i < kC * kDk / 4; i += kThreads) {
      const int r = i / (kDk / 4), col = i % (kDk / 4) * 4;
      const bool ok = t0 + r < p.T;
      cpAsync16(sG + r * kGateRow + col, gates + (ok ? (t0 + r) * p.gt + col : 0), ok);
    }
)cu";
  p.prefix = R"cu(    for (int d = tid; d < kDk; d += kThreads) {
      float sum = 0.f;
#pragma unroll 16
      for (int t = 0; t < kC; ++t) {
        sum += sG[t * kGateRow + d] * kLog2e;
        sG[t * kGateRow + d] = sum;
      }
      decayTotal[d] += sum;
    }
)cu";
  // Q ⊙ exp(b) for the inter-chunk product and K ⊙ exp(b_last - b) for the
  // state update, both <= 1.
  p.prepare = R"cu(#pragma unroll 1
    for (int i = tid; i < kC * kDk / 2; i += kThreads) {
      const int r = i / (kDk / 2), col = i % (kDk / 2) * 2, at = swizzle<kDk>(r, col);
      const float2 bt = *reinterpret_cast<const float2 *>(sG + r * kGateRow + col);
      const float2 bl = *reinterpret_cast<const float2 *>(sG + (kC - 1) * kGateRow + col);
      *reinterpret_cast<unsigned *>(sKd + at) = scale2<Elem>(*reinterpret_cast<const unsigned *>(sK + at),
                                                             exp2Approx(bl.x - bt.x), exp2Approx(bl.y - bt.y));
      if (kOut)
        *reinterpret_cast<unsigned *>(sQd + at) = scale2<Elem>(*reinterpret_cast<const unsigned *>(sQ + at),
                                                               exp2Approx(bt.x), exp2Approx(bt.y));
    }
    __syncthreads();
)cu";
  // Block (query block w, key block j): Q ⊙ exp(b_t - b_r) against
  // K ⊙ exp(b_r - b_s); r = 16w (between the blocks) for j < w, the middle
  // of the block on the diagonal.
  p.scores =
      R"cu(        const float *bq0 = sG + (16 * tb + g) * kGateRow, *bq1 = bq0 + 8 * kGateRow;
        const float *br = sG + (j < tb ? 16 * tb : 16 * tb + 8) * kGateRow;
        const float *bk0 = sG + (16 * j + g) * kGateRow, *bk1 = bk0 + 8 * kGateRow;
#pragma unroll
        for (int kk = 0; kk < kDk / 16; ++kk) {
          const int d = 16 * kk + 2 * c;
          const float2 r0 = *reinterpret_cast<const float2 *>(br + d);
          const float2 r8 = *reinterpret_cast<const float2 *>(br + d + 8);
          auto fromRef = [&](const float *row, int col, float2 ref) {
            const float2 x = *reinterpret_cast<const float2 *>(row + col);
            return make_float2(exp2Approx(x.x - ref.x), exp2Approx(x.y - ref.y));
          };
          auto toRef = [&](const float *row, int col, float2 ref) {
            const float2 x = *reinterpret_cast<const float2 *>(row + col);
            return make_float2(exp2Approx(ref.x - x.x), exp2Approx(ref.y - x.y));
          };
          const float2 qa0 = fromRef(bq0, d, r0), qa1 = fromRef(bq1, d, r0);
          const float2 qa2 = fromRef(bq0, d + 8, r8), qa3 = fromRef(bq1, d + 8, r8);
          unsigned qf[4], r[4];
          ldmatrixX4(qf, sharedAddress(sQ + swizzle<kDk>(16 * tb + (lane & 15), 16 * kk + (lane >> 4) * 8)));
          const unsigned a[4] = {scale2<Elem>(qf[0], qa0.x, qa0.y), scale2<Elem>(qf[1], qa1.x, qa1.y),
                                 scale2<Elem>(qf[2], qa2.x, qa2.y), scale2<Elem>(qf[3], qa3.x, qa3.y)};
          ldmatrixX4(r, sharedAddress(sK + swizzle<kDk>(16 * j + (lane & 7) + (lane >> 4) * 8, 16 * kk + (lane >> 3 & 1) * 8)));
          const float2 k0 = toRef(bk0, d, r0), k1 = toRef(bk0, d + 8, r8);
          const float2 k2 = toRef(bk1, d, r0), k3 = toRef(bk1, d + 8, r8);
          mmaM16N8K16<Elem>(part[kk & 1][0], a, scale2<Elem>(r[0], k0.x, k0.y), scale2<Elem>(r[1], k1.x, k1.y));
          mmaM16N8K16<Elem>(part[kk & 1][1], a, scale2<Elem>(r[2], k2.x, k2.y), scale2<Elem>(r[3], k3.x, k3.y));
        }
)cu";
  p.scoreDecay = "            const float x0 = s <= t ? acc[n][2 * half] * "
                 "kScale : 0.f;\n"
                 "            const float x1 = s + 1 <= t ? acc[n][2 * half "
                 "+ 1] * kScale : 0.f;\n";
  p.interQ = "sQd";
  p.interScale = "kScale";
  p.stateDecay = R"cu(    const float *last = sG + (kC - 1) * kGateRow;
#pragma unroll
    for (int n = 0; n < kDk / 8; ++n)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        st[n][j] *= exp2Approx(last[8 * n + 2 * c + (j & 1)]);
)cu";
  p.updateA = "      const unsigned(&a)[4] = vt[kk];\n";
  p.updateK = "sKd";
  p.decayStore = "    for (int d = tid; d < kDk; d += kThreads)\n"
                 "      p.segDecay[(bh * p.nseg + seg) * kDk + d] = "
                 "decayTotal[d];\n";
  p.decayWidth = 0; // kDk, set by the caller
  p.decayIndex = "dk";
  return p;
}
} // namespace

std::string
cuda::chunkPasses(StringRef kernel,
                  ArrayRef<std::pair<StringRef, std::string>> names) {
  std::string passes;
  for (auto [pass, out] : {std::pair<StringRef, StringRef>{"main", "true"},
                           {"segments", "false"}}) {
    SmallVector<std::pair<StringRef, std::string>> all(names);
    all.push_back({"PASS", pass.str()});
    all.push_back({"OUT", out.str()});
    passes += substitute(kernel, all);
  }
  return passes;
}

/// Shared memory of one CTA, as the kernel lays it out: two stages of Q, K,
/// V (a 64-wide tile) and gates, P and the output tile; per-key decay adds
/// decayed Q and K and the segment's decay per key.
static int64_t sharedBytes(const ChunkedLinear &a) {
  const int64_t c = 64, dk = a.keyDim, bv = 64;
  bool perKey = a.gates == ChunkedLinear::Key;
  int64_t stage = 2 * c * dk * 2 + c * bv * 2 + (perKey ? c * (dk + 8) : c) * 4;
  return 2 * stage + c * c * 2 + c * bv * 2 +
         (perKey ? 2 * c * dk * 2 + dk * 4 : 0);
}

/// Constant [H] gates as a device array.
static std::string headGateArray(const ChunkedLinear &a) {
  if (a.headGates.empty())
    return "";
  std::string array = "__device__ const float kHeadGates[kHeads] = {";
  for (auto [i, value] : llvm::enumerate(a.headGates))
    array += (i ? ", " : "") + floatLiteral(value);
  return array + "};\n";
}

FailureOr<KernelParts> cuda::emitChunkedLinear(const ChunkedLinear &a,
                                               StringRef name, Arch arch) {
  bool wgmma = useWgmmaLinear(a, arch);
  // Opt-in shared memory per block: 227 KB on sm_90, 163 KB on sm_80.
  int64_t limit = arch == Arch::sm90a ? 232448 : 166912;
  if (!wgmma && sharedBytes(a) > limit)
    return ChunkedScanOp(a.scan).emitError()
           << "the CUDA backend's linear attention kernel needs "
           << sharedBytes(a) << " bytes of shared memory per block for this "
           << (a.gates == ChunkedLinear::Key ? "per-key decay" : "form")
           << " with key dim " << a.keyDim << "; "
           << (arch == Arch::sm90a ? "sm_90a" : "sm_80") << " allows " << limit;
  GatePieces pieces =
      a.gates == ChunkedLinear::Key ? perKeyPieces() : scalarPieces(a);
  if (a.gates == ChunkedLinear::Key)
    pieces.decayWidth = a.keyDim;
  std::string scale = floatLiteral(a.scale);
  std::vector<std::pair<StringRef, std::string>> common = {
      {"ELEM", elementTypeName(a.element).str()},
      {"DK", std::to_string(a.keyDim)},
      {"DV", std::to_string(a.valueDim)},
      {"H", std::to_string(a.heads)},
      {"HKV", std::to_string(a.kvHeads)},
      {"SCALE", scale},
      {"NAME", name.str()},
      {"BV", wgmma ? "128" : "64"},
      {"THREADS", wgmma ? "384" : "128"},
      {"TENSOR_MAPS",
       wgmma ? "  attn_rt::TensorMap tmQ, tmK, tmV, tmG;\n" : std::string()},
      {"DECAY_WIDTH", std::to_string(pieces.decayWidth)},
      {"DECAY_INDEX", pieces.decayIndex}};
  std::vector<std::pair<StringRef, std::string>> mma = common;
  llvm::append_range(mma, std::vector<std::pair<StringRef, std::string>>{
                              {"GATE_DECLS", pieces.decls},
                              {"GATE_SETUP", pieces.setup},
                              {"GATE_LOAD", pieces.load},
                              {"GATE_PREFIX", pieces.prefix},
                              {"PREPARE", pieces.prepare},
                              {"SCORES", pieces.scores},
                              {"SCORE_DECAY", pieces.scoreDecay},
                              {"INTER_Q", pieces.interQ},
                              {"INTER_SCALE", pieces.interScale},
                              {"STATE_DECAY", pieces.stateDecay},
                              {"UPDATE_A", pieces.updateA},
                              {"UPDATE_K", pieces.updateK},
                              {"DECAY_STORE", pieces.decayStore},
                              {"SMEM_LIMIT", std::to_string(limit)}});
  // The step kernel's log-decay of token t (and key row r).
  std::vector<std::pair<StringRef, std::string>> step = common;
  step.push_back(
      {"STEP_LOG_DECAY", a.gates == ChunkedLinear::Token
                             ? "p.g[b * p.gb + h * p.gh + t * p.gt]"
                         : a.gates == ChunkedLinear::Key
                             ? "p.g[b * p.gb + h * p.gh + t * p.gt + r]"
                         : a.gates == ChunkedLinear::None ? "0.f"
                         : a.headGates.empty()            ? "p.g[h * p.gh]"
                                                          : "kHeadGates[h]"});
  // The chunk kernel's sizes go with the common ones, valid in host code;
  // the device code holds its functions, then the kernels.
  ChunkKernel chunk = wgmma ? chunkedLinearWgmmaKernel(a, common)
                            : ChunkKernel{substitute(kChunksMmaSizes, mma), "",
                                          chunkPasses(kChunksMma, mma)};
  std::vector<std::pair<StringRef, std::string>> shared = common;
  shared.push_back({"SIZES", chunk.sizes});
  KernelParts parts;
  parts.constants = substitute(kCommon, shared);
  parts.device = "\nnamespace {\n" + headGateArray(a) + kStateFunctions +
                 chunk.functions + "} // namespace\n" + chunk.passes +
                 substitute(kScan, common) + substitute(kStep, step);

  // Launcher: the checks and parameters of the optional operands.
  std::string checks, fill;
  llvm::raw_string_ostream cs(checks), fs(fill);
  switch (a.gates) {
  case ChunkedLinear::None:
    break;
  case ChunkedLinear::Head:
    if (a.headGates.empty()) {
      cs << "  if (gates->shape[0] != kHeads)\n"
            "    return attnFail(1, \"gates have %lld entries; expected "
            "$H\", (long long)gates->shape[0]);\n";
      fs << "  p.g = (const float *)gates->data, p.gh = gates->strides[0];\n";
    }
    break;
  case ChunkedLinear::Token:
    cs << "  if (gates->shape[0] != B || gates->shape[1] != kHeads || "
          "gates->shape[2] != T)\n"
          "    return attnFail(1, \"gates are [%lld, %lld, %lld]; expected "
          "[%lld, $H, %lld]\", (long long)gates->shape[0], (long "
          "long)gates->shape[1], (long long)gates->shape[2], (long long)B, "
          "(long long)T);\n";
    fs << "  p.g = (const float *)gates->data, p.gb = gates->strides[0], "
          "p.gh = gates->strides[1], p.gt = gates->strides[2];\n";
    break;
  case ChunkedLinear::Key:
    cs << "  if (gates->shape[0] != B || gates->shape[1] != kHeads || "
          "gates->shape[2] != T || gates->shape[3] != kDk)\n"
          "    return attnFail(1, \"gates are [%lld, %lld, %lld, %lld]; "
          "expected [%lld, $H, %lld, $DK]\", ATTN_SHAPE(gates), (long long)B, "
          "(long long)T);\n"
          "  if (gates->strides[3] != 1 || gates->strides[2] % 4 || "
          "gates->strides[1] % 4 || gates->strides[0] % 4 || "
          "(uintptr_t)gates->data % 16)\n"
          "    return attnFail(2, \"per-key gates need a contiguous last dim, "
          "other strides of multiples of 4 and 16-byte aligned data\");\n";
    fs << "  p.g = (const float *)gates->data, p.gb = gates->strides[0], "
          "p.gh = gates->strides[1], p.gt = gates->strides[2];\n";
    break;
  }
  auto stateChecks = [&](StringRef t, StringRef what) {
    cs << "  if (" << t << "->shape[0] != B || " << t
       << "->shape[1] != kHeads || " << t << "->shape[2] != kDk || " << t
       << "->shape[3] != kDv)\n    return attnFail(1, \"" << what
       << " is [%lld, %lld, %lld, %lld]; expected [%lld, $H, $DK, $DV]\", "
          "ATTN_SHAPE("
       << t << "), (long long)B);\n  if (" << t
       << "->strides[3] != 1)\n    return attnFail(2, \"" << what
       << " needs a contiguous last dim\");\n";
  };
  if (a.init) {
    stateChecks("init", "the initial state");
    fs << "  p.init = (const float *)init->data, p.ib = init->strides[0], "
          "p.ih = init->strides[1], p.id = init->strides[2];\n";
  }
  if (llvm::is_contained(a.results, ChunkedLinear::FinalState)) {
    stateChecks("final_state", "the final state");
    fs << "  p.fin = (float *)final_state->data, p.fb = "
          "final_state->strides[0], p.fh = final_state->strides[1], p.fd = "
          "final_state->strides[2];\n";
  }
  std::vector<std::pair<StringRef, std::string>> names = {
      {"NAME", name.str()},
      {"H", std::to_string(a.heads)},
      {"HKV", std::to_string(a.kvHeads)},
      {"DK", std::to_string(a.keyDim)},
      {"DV", std::to_string(a.valueDim)},
      {"DECAY_WIDTH", std::to_string(pieces.decayWidth)}};
  names.push_back({"CHECKS", substitute(checks, names)});
  names.push_back(
      {"MAPS",
       wgmma
           ? "  const uint64_t rows = T > 0 ? T : 1; // maps need a valid "
             "shape\n"
             "  if (!attn_rt::encodeRowTiles(&p.tmQ, q->data, q->shape, "
             "q->strides, rows, kC) ||\n"
             "      !attn_rt::encodeRowTiles(&p.tmK, k->data, k->shape, "
             "k->strides, rows, kC) ||\n"
             "      !attn_rt::encodeRowTiles(&p.tmV, v->data, v->shape, "
             "v->strides, rows, kC)" +
                 std::string(a.gates == ChunkedLinear::Key
                                 ? " ||\n      !attn_rt::encodeRowTiles("
                                   "&p.tmG, gates->data, gates->shape, "
                                   "gates->strides, rows, kC, 4)"
                                 : "") +
                 ")\n"
                 "    return attnFail(3, \"encoding the TMA descriptors failed "
                 "(driver without cuTensorMapEncodeTiled, or sizes past its "
                 "limits)\");\n"
           : ""});
  names.push_back({"PARAMS_FILL", fill});
  names.push_back({"PARAMS", linearParameters(a)});
  parts.launcher = substitute(kLauncher, names);
  parts.parameters = linearParameters(a);
  parts.doc =
      "// Chunked linear attention. gates (if a parameter) are f32 "
      "log-decays; init and\n// final_state (if parameters) are f32 [B, "
      "H, Dk, Dv] states with a contiguous\n// last dim. Needs: q, k, v "
      "and out with a contiguous last dim, other strides\n// multiples of "
      "8 elements, 16-byte aligned data; per-key gates likewise with\n// "
      "multiples of 4. Long sequences over few heads use stream-ordered "
      "scratch\n// memory (cudaMallocAsync; the device's default pool is set "
      "to "
      "keep freed memory).";
  parts.runtimeHeader = wgmma ? "sm90.cuh" : "sm80.cuh";
  return parts;
}
