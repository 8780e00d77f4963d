//===- LatentAttention.cpp - MLA's attention over a latent cache (sm_90a) -===//
//
// Multi-head latent attention after weight absorption (attn-absorb-mla):
// every query head attends over one shared latent cache c (Dc wide) plus a
// RoPE key kr (Dr wide), and the values are the latent rows themselves,
//   o = softmax(scale (q c^T + qr kr^T)) c.
// Many query heads over one KV head make decode compute-bound (128 heads:
// about 240 FLOPs per cache byte), so the kernel is laid out for the tensor
// cores. A block takes 64 query rows (heads x new tokens) and a split of the
// keys; a producer warpgroup gathers the rows' [q | qr] once and streams
// 64-key tiles of [c | kr] with TMA into a two-stage ring. The 64 x Dc f32
// output only fits in registers split between two consumer warpgroups, by
// columns. Warpgroup 0 computes S = [q | qr] [c | kr]^T, the score chain and
// the online softmax, and multiplies P (from registers) by the tile's left
// half of c; it hands P and the rows' rescale factors through shared memory
// to warpgroup 1, which multiplies P by the right half. The same tile in
// shared memory is the scores' K operand and the products' V operand.
// Splits of the keys are merged by log-sum-exp, as in softmax decode. A
// paged cache (attn.paged_cache of both, one table; pages of a multiple of
// 64 slots, FlashMLA's layout) only changes where the producer finds a
// tile: rows of the page that the table names.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace attn;
using namespace attn::cuda;

namespace {
constexpr const char *kConstants = R"cu(
constexpr int kHeads = $H, kDc = $DC, kDr = $DR, kDk = kDc + kDr, kDV = kDc;
constexpr int kBM = 64, kBN = 64, kStages = 2, kHalf = kDc / 2, kLatentThreads = 384;$ROW_CONSTANTS
constexpr int kQBytes = kBM * kDk * 2, kKBytes = kBN * kDk * 2, kPBytes = kBM * kBN * 2;
// Q, the ring and P; the rows' rescale factors, maxima and sums; gathered
// tiles' key positions; the mbarriers; room to align to 1024 bytes (the
// 128-byte swizzle's period).
constexpr int kLatentSmem = kQBytes + kStages * kKBytes + kPBytes + 3 * kBM * 4 + kStages * kBN * 4 +
                            8 * (1 + 2 * kStages) + 1024;
)cu";

constexpr const char *kKernel = R"cu(
static_assert(kLatentSmem <= 227 * 1024, "latent tiles exceed the shared memory of a block");
static_assert(kDc % 128 == 0 && kDr % 64 == 0, "whole 128-byte slabs per warpgroup");

// Named barriers between the consumer warpgroups (0 is __syncthreads's).
constexpr int kPFull = 1, kPEmpty = 2, kRowStats = 3;
$ROW_MAP
/// Row block blockIdx.x (rows by latentRow), split blockIdx.y of the keys
/// that the queries may see (tilesPerSplit tiles each), sequence
/// blockIdx.z. With one split the rows go to out (and lse); otherwise,
/// unnormalized with their log2 max and sum, to `partial`
/// ([split][B][H][T][kDV + 2] f32) for ${NAME}_combine.
extern "C" __global__ void __launch_bounds__(kLatentThreads, 1)
${NAME}_latent($CACHE_PARAMS
               const $ELEM *__restrict__ q, long long qsB, long long qsH, long long qsT,
               const $ELEM *__restrict__ qr, long long rsB, long long rsH, long long rsT,
               $ELEM *__restrict__ out, long long osB, long long osH, long long osT,
               float *__restrict__ lse, const $LENGTH_TYPE *__restrict__ lengths, int T, int S,
               float *__restrict__ partial, int tilesPerSplit$PAGE_PARAMS) {
  using namespace attn_rt;
  extern __shared__ unsigned char smemRaw[];
  unsigned char *sQ = smemRaw + ((1024 - sharedAddress(smemRaw) % 1024) % 1024);
  unsigned char *sK = sQ + kQBytes, *sP = sK + kStages * kKBytes;
  float *sRescale = reinterpret_cast<float *>(sP + kPBytes), *sMax = sRescale + kBM, *sSum = sMax + kBM;
  int *sKeys = reinterpret_cast<int *>(sSum + kBM);
  unsigned long long *barQ = reinterpret_cast<unsigned long long *>(sKeys + kStages * kBN);
  unsigned long long *full = barQ + 1, *empty = full + kStages;

  const int split = blockIdx.y, b = blockIdx.z;
  const int L = attnKeyLength(lengths, b, S);
$TILE_RANGE
  const int first = tileBegin + split * tilesPerSplit;
  const int count = max(0, min(tilesPerSplit, tileBegin + tiles - first));

  if (threadIdx.x == 0) {
    mbarrierInit(barQ, 128);
    for (int i = 0; i < kStages; ++i) {
      mbarrierInit(&full[i], $FULL_ARRIVALS);
      mbarrierInit(&empty[i], 8); // one arrival per consumer warp
    }
    fenceBarrierInit();
  }
  __syncthreads();

  if (threadIdx.x < 128) { // producer
    // The block's rows of [q | qr], gathered in the 128-byte swizzled slabs
    // that wgmma reads; rows past kHeads x T are zero.
    for (int i = threadIdx.x; i < kBM * kDk / 8; i += 128) {
      const int r = i / (kDk / 8), c = i % (kDk / 8);
      int h, t;
      const bool valid = latentRow(r, T, h, t);
      const $ELEM *src = c < kDc / 8 ? q + b * qsB + h * qsH + t * qsT + c * 8
                                     : qr + b * rsB + h * rsH + t * rsT + (c - kDc / 8) * 8;
      cpAsync16(reinterpret_cast<$ELEM *>(sQ) + c / 8 * kBM * 64 + r * 64 + ((c % 8) ^ (r % 8)) * 8,
                valid ? src : q, valid);
    }
    cpAsyncCommit();
    cpAsyncWait<0>();
    fenceProxyAsync(); // wgmma reads Q through the async proxy
    mbarrierArrive(barQ);
    registersRelease<40>();
$TILE_LOADS
    return;
  }

  registersAcquire<232>();
  const int wg = threadIdx.x / 128 - 1, warp = threadIdx.x / 32 % 4, lane = threadIdx.x % 32;
  const int r0 = warp * 16 + lane / 4; // this thread's rows of the block: r0, r0 + 8
  float o[kHalf / 2];
#pragma unroll
  for (int j = 0; j < kHalf / 2; ++j)
    o[j] = 0.f;
  // V, the left or right half of the tile's latent columns: kHalf / 64 slabs.
  const int vOffset = wg * (kHalf / 64) * kBN * 128;
  mbarrierWait(barQ, 0);

  if (wg == 0) {
    // Padding rows stand for the block's first row in the score chain.
    int hs[2], ts[2];
#pragma unroll
    for (int r = 0; r < 2; ++r)
      if (!latentRow(r0 + 8 * r, T, hs[r], ts[r]))
        latentRow(0, T, hs[r], ts[r]);
    float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
    for (int i = 0; i < count; ++i) {
      const int stage = i % kStages, s0 = (first + count - 1 - i) * kBN;
      unsigned char *kTile = sK + stage * kKBytes;
      float s[kBN / 2];
      mbarrierWait(&full[stage], (i / kStages) & 1);$TILE_FENCE
      registerFence(s);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kDk / 16; ++kk)
        wgmmaScores(s, wgmmaDescriptor(sQ + (kk / 4) * kBM * 128 + (kk % 4) * 32, 16, 1024),
                    wgmmaDescriptor(kTile + (kk / 4) * kBN * 128 + (kk % 4) * 32, 16, 1024), kk > 0);
      wgmmaCommit();
      wgmmaWait<0>();
      registerFence(s);

      float tileMax[2] = {rowMax[0], rowMax[1]}, rescale[2];
$SCORE_TILE
      attnSoftmaxStep<kBN>(s, tileMax, rowMax, rowSum, rescale);
      attnRescale<kHalf>(o, rescale);
      unsigned p[kBN / 16][4];
      attnPackProbabilities<$ELEM, kBN>(s, p);
      registerFence(o);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kBN / 16; ++kk)
        wgmmaValues(o, p[kk], wgmmaDescriptor(kTile + vOffset + kk * 16 * 128, kBN * 128, 1024), 1);
      wgmmaCommit();

      // While those run: P and the rescale factors to warpgroup 1, once it
      // is done with the previous tile's. P goes in the A operand's
      // swizzled layout: p[kk][e] holds row r0 + 8 (e % 2), keys
      // 16 kk + 8 (e / 2) + 2 (lane % 4) and the next.
      namedBarrierSync(kPEmpty, 256);
#pragma unroll
      for (int kk = 0; kk < kBN / 16; ++kk)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int row = r0 + 8 * (e % 2), chunk = 2 * kk + e / 2;
          *reinterpret_cast<unsigned *>(sP + row * 128 + ((chunk ^ (row % 8)) << 4) + (lane % 4) * 4) = p[kk][e];
        }
      if (lane % 4 == 0)
        sRescale[r0] = rescale[0], sRescale[r0 + 8] = rescale[1];
      fenceProxyAsync();
      namedBarrierArrive(kPFull, 256);

      wgmmaWait<0>();
      registerFence(o);
      __syncwarp();
      if (lane == 0)
        mbarrierArrive(&empty[stage]);
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const float sum = quadSum(rowSum[r]);
      if (lane % 4 == 0)
        sMax[r0 + 8 * r] = rowMax[r], sSum[r0 + 8 * r] = sum;
    }
    __syncwarp();
    namedBarrierArrive(kRowStats, 256);
  } else {
    if (count > 0)
      namedBarrierArrive(kPEmpty, 256);
    for (int i = 0; i < count; ++i) {
      const int stage = i % kStages;
      namedBarrierSync(kPFull, 256);
      const float rescale[2] = {sRescale[r0], sRescale[r0 + 8]};
      attnRescale<kHalf>(o, rescale);
      mbarrierWait(&full[stage], (i / kStages) & 1);$TILE_FENCE
      registerFence(o);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kBN / 16; ++kk)
        wgmmaValuesShared(o, wgmmaDescriptor(sP + kk * 32, 16, 1024),
                          wgmmaDescriptor(sK + stage * kKBytes + vOffset + kk * 16 * 128, kBN * 128, 1024), 1);
      wgmmaCommit();
      wgmmaWait<0>();
      registerFence(o);
      if (i + 1 < count)
        namedBarrierArrive(kPEmpty, 256);
      __syncwarp();
      if (lane == 0)
        mbarrierArrive(&empty[stage]);
    }
    namedBarrierSync(kRowStats, 256);
  }

  // Each warpgroup writes its half of the columns.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int local = r0 + 8 * r;
    int h, t;
    if (!latentRow(local, T, h, t))
      continue;
    const int c0 = wg * kHalf + 2 * (lane % 4);
    const float m = sMax[local], sum = sSum[local];
    if (gridDim.y == 1) {
      const float inverse = sum > 0.f ? 1.f / sum : 0.f;
      $ELEM *dst = out + b * osB + h * osH + t * osT + c0;
#pragma unroll
      for (int n = 0; n < kHalf / 8; ++n)
        *reinterpret_cast<unsigned *>(dst + 8 * n) = pack2<$ELEM>(o[4 * n + 2 * r] * inverse, o[4 * n + 2 * r + 1] * inverse);
      if (lse && wg == 0 && lane % 4 == 0)
        lse[((long long)b * kHeads + h) * T + t] = sum > 0.f ? (m + log2f(sum)) * 0.69314718056f : -INFINITY;
    } else {
      float *dst = partial + ((((long long)split * gridDim.z + b) * kHeads + h) * T + t) * (kDV + 2);
#pragma unroll
      for (int n = 0; n < kHalf / 8; ++n)
        *reinterpret_cast<float2 *>(dst + c0 + 8 * n) = make_float2(o[4 * n + 2 * r], o[4 * n + 2 * r + 1]);
      if (wg == 0 && lane % 4 == 0)
        dst[kDV] = m, dst[kDV + 1] = sum;
    }
  }
}
)cu";

/// The caches [B, 1, S, D].
constexpr const char *kPlainCacheChecks =
    R"cu(  const int64_t B = q->shape[0], T = q->shape[2], S = c->shape[2];
  if (c->shape[0] != B || c->shape[1] != 1 || c->shape[3] != kDc)
    return attnFail(1, "the latent cache is [%lld, %lld, %lld, %lld]; expected [%lld, 1, S, $DC]", ATTN_SHAPE(c),
                    (long long)B);
  if (kr->shape[0] != B || kr->shape[1] != 1 || kr->shape[2] != S || kr->shape[3] != kDr)
    return attnFail(1, "RoPE keys are [%lld, %lld, %lld, %lld]; expected [%lld, 1, %lld, $DR]", ATTN_SHAPE(kr),
                    (long long)B, (long long)S);
)cu";

/// Pools of pages [N, P, 1, D] read through a table [B, M] (S = M P), with
/// the page size the kernel takes ($PAGE_SIZE_CHECK).
constexpr const char *kPagedCacheChecks =
    R"cu(  const int64_t B = q->shape[0], T = q->shape[2], N = c->shape[0], P = c->shape[1], S = table->shape[1] * P;
  if (c->shape[2] != 1 || c->shape[3] != kDc)
    return attnFail(1, "latent pages are [%lld, %lld, %lld, %lld]; expected [N, P, 1, $DC]", ATTN_SHAPE(c));
  if (kr->shape[0] != N || kr->shape[1] != P || kr->shape[2] != 1 || kr->shape[3] != kDr)
    return attnFail(1, "RoPE key pages are [%lld, %lld, %lld, %lld]; expected [%lld, %lld, 1, $DR]", ATTN_SHAPE(kr),
                    (long long)N, (long long)P);
$PAGE_SIZE_CHECK)cu";

/// Tiles of whole pages (TMA boxes of rows of one page).
constexpr const char *kTiledPageSizeCheck =
    R"cu(  if (P % kBN || P == 0 || N == 0 || N > INT32_MAX / 2 || P > INT32_MAX / 2)
    return attnFail(1, "%lld pages of %lld slots: the latent kernel takes 1 to 2^30 pages of a multiple of %d slots",
                    (long long)N, (long long)P, kBN);
)cu";

/// Gathered rows: pages of any size.
constexpr const char *kGatheredPageSizeCheck =
    R"cu(  if (P == 0 || N == 0 || N > INT32_MAX / 2 || P > INT32_MAX / 2)
    return attnFail(1, "%lld pages of %lld slots: the sparse latent kernel takes 1 to 2^30 pages of 1 to 2^30 slots",
                    (long long)N, (long long)P);
)cu";

constexpr const char *kChecks =
    R"cu($CACHE_CHECKS  if (q->shape[1] != kHeads || q->shape[3] != kDc)
    return attnFail(1, "latent queries are [%lld, %lld, %lld, %lld]; expected [B, $H, T, $DC]", ATTN_SHAPE(q));
  if (qr->shape[0] != B || qr->shape[1] != kHeads || qr->shape[2] != T || qr->shape[3] != kDr)
    return attnFail(1, "RoPE queries are [%lld, %lld, %lld, %lld]; expected [%lld, $H, %lld, $DR]", ATTN_SHAPE(qr),
                    (long long)B, (long long)T);
  if (out->shape[0] != B || out->shape[1] != kHeads || out->shape[2] != T || out->shape[3] != kDc)
    return attnFail(1, "the output is [%lld, %lld, %lld, %lld]; expected [%lld, $H, %lld, $DC]", ATTN_SHAPE(out),
                    (long long)B, (long long)T);
  if (T * kHeads > INT32_MAX / 2 || S > INT32_MAX / 2 || B > 65535)
    return attnFail(1, "sizes past the kernel's 32-bit indexing (B <= 65535, H T and S < 2^30)");
$LAYOUT_CHECKS)cu";

constexpr const char *kLauncher = R"cu(
extern "C" int $NAME($PARAMS, float *lse, void *stream) {
$CHECKS
  static const void *kernel = attn_rt::withSharedBytes(attnKernel(${NAME}_latent), kLatentSmem);
  if (!kernel)
    return 4;
$CACHE_SETUP  static attn_rt::BlockSlots slots;
  const long long rowBlocks = $ROW_BLOCKS;
  const long long tiles = std::max<long long>(1, ($KEYS + kBN - 1) / kBN);
  // A block's fixed cost: its 64 query rows (a tile's bytes), their partial
  // rows (two tiles' bytes, written and read back), the pipeline's fill.
  int tilesPerSplit = attn_rt::tilesPerSplit(tiles, B * rowBlocks,
                                             slots.of(kernel, kLatentThreads, kLatentSmem), kMaxSplits, 4.0);
  const int splits = (int)((tiles + tilesPerSplit - 1) / tilesPerSplit);
  const long long rowsTotal = B * kHeads * T;
  float *partial;
  if (int rc = attnPartials(&partial, splits, rowsTotal, stream))
    return rc;
  const void *qData = q->data, *qrData = qr->data, *lengthsData = $LENGTHS;
  void *outData = out->data;
  long long qs[3] = {q->strides[0], q->strides[1], q->strides[2]};
  long long rs[3] = {qr->strides[0], qr->strides[1], qr->strides[2]};
  long long os[3] = {out->strides[0], out->strides[1], out->strides[2]};
  int Ti = (int)T, Si = (int)S;
$PAGE_LOCALS  void *args[] = {$CACHE_ARGS&qData, &qs[0], &qs[1], &qs[2], &qrData, &rs[0], &rs[1], &rs[2],
                  &outData, &os[0], &os[1], &os[2], &lse, &lengthsData, &Ti, &Si, &partial, &tilesPerSplit$PAGE_ARGS};
  const int status = attn_rt::launch(kernel, dim3((unsigned)rowBlocks, splits, (unsigned)B),
                                     dim3(kLatentThreads), args, kLatentSmem, stream);
  const int merged = attnCombine(partial, status ? 1 : splits, rowsTotal, Ti, out, lse, stream);
$CACHE_RELEASE  return status ? status : merged;
}
)cu";
} // namespace

/// Kernels over tiles of consecutive keys: each block holds rows of
/// kHeads x T in order, walks the key tiles its queries may see, and one
/// producer thread loads each tile by TMA from the place $TILE_PLACE gives.
static std::vector<std::pair<StringRef, std::string>>
tiledNames(StringRef tilePlace, StringRef encodeMaps) {
  return {
      {"ROW_CONSTANTS", ""},
      {"ROW_MAP", R"cu(
/// Row `local` of this block: head h's query t (rows of kHeads x T in
/// order); false for padding past the last row.
__device__ __forceinline__ bool latentRow(int local, int T, int &h, int &t) {
  const int row = blockIdx.x * kBM + local;
  h = row / T, t = row % T;
  return row < kHeads * T;
}
)cu"},
      {"TILE_RANGE", R"cu(  int tileBegin, tiles;
  attnKeyTiles<kBN>(0, T - 1, T, L, tileBegin, tiles);)cu"},
      {"FULL_ARRIVALS", "1"},
      {"TILE_FENCE", ""},
      {"TILE_LOADS", substitute(R"cu(    if (threadIdx.x == 0)
      for (int i = 0; i < count; ++i) {
        const int tile = first + count - 1 - i, stage = i % kStages;
$TILE_PLACE
        if (i >= kStages)
          mbarrierWait(&empty[stage], ((i / kStages) & 1) ^ 1);
        mbarrierExpectBytes(&full[stage], kKBytes);
        unsigned char *dst = sK + stage * kKBytes;
        for (int c = 0; c < kDc / 64; ++c)
          tmaLoad4d(dst + c * kBN * 128, &tmC, &full[stage], c * 64, row, 0, batch);
        for (int c = 0; c < kDr / 64; ++c)
          tmaLoad4d(dst + (kDc / 64 + c) * kBN * 128, &tmR, &full[stage], c * 64, row, 0, batch);
      })cu",
                                {{"TILE_PLACE", tilePlace.str()}})},
      {"SCORE_TILE",
       R"cu(      if (attnTileVisible(0, T - 1, s0, s0 + kBN - 1, T, L))
        attnScoreTile<false, kBN>(s, b, hs, ts, s0, T, L, tileMax);
      else
        attnScoreTile<true, kBN>(s, b, hs, ts, s0, T, L, tileMax);)cu"},
      {"CACHE_PARAMS", R"cu(const __grid_constant__ attn_rt::TensorMap tmC,
               const __grid_constant__ attn_rt::TensorMap tmR,)cu"},
      {"CACHE_SETUP",
       "  attn_rt::TensorMap tmC, tmR;\n" + encodeMaps.str() +
           R"cu(    return attnFail(3, "encoding the TMA descriptors failed (driver without "
                       "cuTensorMapEncodeTiled, or sizes past its limits)");
)cu"},
      {"ROW_BLOCKS", "(kHeads * T + kBM - 1) / kBM"},
      {"KEYS", "S"},
      {"CACHE_ARGS", "&tmC, &tmR, "},
      {"CACHE_RELEASE", ""}};
}

/// The page table's kernel parameters and launcher locals, or none.
static std::vector<std::pair<StringRef, std::string>>
pageTableNames(const SoftmaxAttention &a) {
  if (!a.pageTable)
    return {{"PAGE_PARAMS", ""}, {"PAGE_LOCALS", ""}, {"PAGE_ARGS", ""}};
  return {{"PAGE_PARAMS", ", const " + indexType(a, a.pageTable) +
                              " *__restrict__ table, long long tableStride, "
                              "int pageSize, int pages"},
          {"PAGE_LOCALS", R"cu(  const void *tableData = table->data;
  long long tableStride = table->strides[0];
  int pageSize = (int)P, pages = (int)N;
)cu"},
          {"PAGE_ARGS", ", &tableData, &tableStride, &pageSize, &pages"}};
}

/// How the kernel finds a tile: rows of the sequence's cache, or rows of
/// the page the table names (a tile never straddles pages).
static std::vector<std::pair<StringRef, std::string>>
plainNames(const SoftmaxAttention &a) {
  auto names = tiledNames(
      "        const int row = tile * kBN, batch = b;",
      R"cu(  // Without keys no tile is read; the maps still need a valid shape.
  const uint64_t keyRows = S > 0 ? S : 1;
  if (!attn_rt::encodeRowTiles(&tmC, c->data, c->shape, c->strides, keyRows, kBN) ||
      !attn_rt::encodeRowTiles(&tmR, kr->data, kr->shape, kr->strides, keyRows, kBN))
)cu");
  names.push_back({"CACHE_CHECKS", kPlainCacheChecks});
  llvm::append_range(names, pageTableNames(a));
  return names;
}

static std::vector<std::pair<StringRef, std::string>>
pagedNames(const SoftmaxAttention &a) {
  auto names = tiledNames(
      R"cu(        // Page table[b][slot / pageSize], from row slot % pageSize; a page
        // outside the pool is past the map's end, where TMA reads zeros.
        const long long page = table[b * tableStride + tile * kBN / pageSize];
        const int row = tile * kBN % pageSize, batch = page >= 0 && page < pages ? (int)page : pages;)cu",
      // A pool [N, P, 1, D] is mapped as [N, 1, P, D]: boxes of rows of one
      // page.
      R"cu(  const int64_t cShape[4] = {N, 1, P, kDc}, cStrides[4] = {c->strides[0], c->strides[2], c->strides[1], 1};
  const int64_t rShape[4] = {N, 1, P, kDr}, rStrides[4] = {kr->strides[0], kr->strides[2], kr->strides[1], 1};
  if (!attn_rt::encodeRowTiles(&tmC, c->data, cShape, cStrides, P, kBN) ||
      !attn_rt::encodeRowTiles(&tmR, kr->data, rShape, rStrides, P, kBN))
)cu");
  names.push_back({"PAGE_SIZE_CHECK", kTiledPageSizeCheck});
  names.push_back({"CACHE_CHECKS", kPagedCacheChecks});
  llvm::append_range(names, pageTableNames(a));
  return names;
}

/// DSA: every query attends over its own selected keys, so a block holds
/// heads of one query, and a tile is the rows of 64 selected keys, gathered
/// by every producer thread with cp.async (TMA copies boxes, not rows),
/// from the sequence's cache or from the pages the table names.
static std::vector<std::pair<StringRef, std::string>>
selectedNames(const SoftmaxAttention &a) {
  std::vector<std::pair<StringRef, std::string>> names = {
      {"PAGE_SIZE_CHECK", kGatheredPageSizeCheck},
      {"CACHE_CHECKS",
       std::string(a.pageTable ? kPagedCacheChecks : kPlainCacheChecks) +
           "  if (int rc = attnSelectionChecks(iq, ik, iw, "
           "B, T, S))\n    return rc;\n"},
      // Key s is row s of the sequence's cache, or row s % P of the page
      // that the table names (none outside the pool); a warp's rows share
      // the sequence, not the page.
      {"ROW_PLACE", a.pageTable ? R"cu(      if (row.key >= 0) {
        const long long entry = table[b * tableStride + row.key / pageSize];
        if (entry >= 0 && entry < pages)
          row.page = (int)entry, row.slot = row.key % pageSize;
      })cu"
                                : "      row.page = b, row.slot = row.key;"},
      {"ROW_PAGE", a.pageTable ? "__shfl_sync(0xffffffffu, row.page, j)" : "b"},
      {"ROW_STRIDE", a.pageTable ? "1" : "2"},
      {"ROW_CONSTANTS", "\nconstexpr int kHeadBlocks = (kHeads + kBM - 1) / "
                        "kBM; // blocks of one query's heads"},
      {"ROW_MAP", R"cu(
/// Row `local` of this block: head h's query t, blocks holding kBM heads of
/// one query; false for padding past the last head.
__device__ __forceinline__ bool latentRow(int local, int T, int &h, int &t) {
  h = blockIdx.x % kHeadBlocks * kBM + local, t = blockIdx.x / kHeadBlocks;
  return h < kHeads;
}
)cu"},
      {"TILE_RANGE",
       R"cu(  // Tile i holds the query's selected keys [kBN i, kBN (i + 1)).
  const int query = blockIdx.x / kHeadBlocks, selected = selCounts[b * T + query];
  const int *keysOf = selection + ((long long)b * T + query) * kTop;
  const int tileBegin = 0, tiles = (selected + kBN - 1) / kBN;)cu"},
      {"FULL_ARRIVALS", "256"},
      {"TILE_FENCE", "\n      fenceProxyAsync(); // the tile came by cp.async"},
      {"TILE_LOADS",
       R"cu(    // Warp w copies slots [16 w, 16 w + 16) of a tile, a [c | kr] row at a
    // time with its lanes across the row, so that each copy instruction
    // reads whole 128-byte lines; lane l places slot 16 w + l % 16. A
    // tile is full once every producer thread's copies have landed (128
    // arrivals as they do) and its key positions are stored (128 more); the
    // consumers fence the copies for wgmma's async proxy. The next tile's
    // rows are placed before the wait for its stage.
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, own = warp * 16 + lane % 16;
    // Slot `own` of a tile: its key, and the row `slot` of page `page` that
    // holds it (slot < 0: none, zeros are read).
    struct Row {
      int key, page, slot;
    };
    const auto rowOf = [&](int tile) {
      Row row{tile * kBN + own < selected ? keysOf[tile * kBN + own] : -1, 0, -1};
$ROW_PLACE
      return row;
    };
    // This lane's chunks of a row (lane + 32 u): where they sit in the
    // row's source and in its slab of the tile (row r's chunk k at k ^ r % 8).
    constexpr int kLaneChunks = (kDk / 8 + 31) / 32;
    int slabOffset[kLaneChunks], chunkBits[kLaneChunks], srcOffset[kLaneChunks];
    bool fromC[kLaneChunks];
#pragma unroll
    for (int u = 0; u < kLaneChunks; ++u) {
      const int chunk = lane + 32 * u;
      slabOffset[u] = chunk / 8 * kBN * 128, chunkBits[u] = chunk % 8 * 16;
      fromC[u] = chunk < kDc / 8, srcOffset[u] = fromC[u] ? chunk * 8 : (chunk - kDc / 8) * 8;
    }
    Row row = count > 0 ? rowOf(first + count - 1) : Row{-1, 0, -1};
    for (int i = 0; i < count; ++i) {
      const int tile = first + count - 1 - i, stage = i % kStages;
      const Row next = i + 1 < count ? rowOf(tile - 1) : Row{-1, 0, -1};
      if (i >= kStages)
        mbarrierWait(&empty[stage], ((i / kStages) & 1) ^ 1);
      if (lane < 16)
        sKeys[stage * kBN + own] = row.key >= 0 ? row.key : L; // past L: masked
      unsigned char *rows = sK + stage * kKBytes + warp * 16 * 128;
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int slot = __shfl_sync(0xffffffffu, row.slot, j), page = $ROW_PAGE;
        const $ELEM *cRow = c + page * cs0 + max(slot, 0) * cs1, *rRow = kr + page * krs0 + max(slot, 0) * krs1;
#pragma unroll
        for (int u = 0; u < kLaneChunks; ++u)
          if (lane + 32 * u < kDk / 8)
            cpAsync16(rows + slabOffset[u] + j * 128 + (chunkBits[u] ^ (j % 8 * 16)),
                      (fromC[u] ? cRow : rRow) + srcOffset[u], slot >= 0);
      }
      cpAsyncArrive(&full[stage]);
      mbarrierArrive(&full[stage]);
      row = next;
    })cu"},
      {"SCORE_TILE",
       "      attnScoreTile<true, kBN>(s, b, hs, ts, s0, T, L, tileMax, sKeys "
       "+ stage * kBN);"},
      {"CACHE_PARAMS",
       R"cu(const $ELEM *__restrict__ c, long long cs0, long long cs1,
               const $ELEM *__restrict__ kr, long long krs0, long long krs1,
               const int *__restrict__ selection, const int *__restrict__ selCounts,)cu"},
      {"CACHE_SETUP", R"cu(  int *selection, *selCounts;
  if (int rc = attnSelectTokens(iq, ik, iw, $LENGTHS, B, T, S, &selection, &selCounts, stream))
    return rc;
  const void *cData = c->data, *krData = kr->data;
  long long cs[2] = {c->strides[0], c->strides[$ROW_STRIDE]}, krs[2] = {kr->strides[0], kr->strides[$ROW_STRIDE]};
)cu"},
      {"ROW_BLOCKS", "T * kHeadBlocks"},
      {"KEYS", "std::min<long long>(S, kTop)"},
      {"CACHE_ARGS",
       "&cData, &cs[0], &cs[1], &krData, &krs[0], &krs[1], &selection, "
       "&selCounts, "},
      {"CACHE_RELEASE", "  cudaFreeAsync(selection, (cudaStream_t)stream);\n"}};
  llvm::append_range(names, pageTableNames(a));
  return names;
}

FailureOr<KernelParts> cuda::emitLatentAttention(const SoftmaxAttention &a,
                                                 StringRef name, Arch arch) {
  AttentionOp score = a.op, aggregate = a.op;
  if (arch != Arch::sm90a)
    return score.emitError("MLA's latent attention (two query-key pairs) "
                           "has a CUDA kernel for sm_90a only");
  if (a.value != a.key)
    return aggregate.emitError(
        "the CUDA backend's latent attention takes the score's first keys "
        "(the latent cache) as the values");
  if (a.kvHeads != 1 || a.ropeKvHeads != 1)
    return score.emitError("the CUDA backend's latent attention takes one "
                           "latent head and one RoPE key head");
  if (a.headDim % 128 || a.headDim > 512 || a.ropeDim % 64 ||
      a.headDim + a.ropeDim > 576)
    return score.emitError()
           << "the CUDA backend's latent attention takes a latent width that "
              "is a multiple of 128 up to 512 and a RoPE width that is a "
              "multiple of 64, at most 576 together; not "
           << a.headDim << " + " << a.ropeDim;
  if (a.selection) {
    TokenSelection sel = *a.selection;
    IndexScoreOp index = sel.indexScore;
    Type weight = index.getWeights().getType().getElementType();
    if (index.getQuery().getType().getElementType() != a.element ||
        index.getKey().getType().getElementType() != a.element ||
        (weight != a.element && !weight.isF32()))
      return index.emitError("the CUDA backend's indexer takes queries and "
                             "keys of the attention's element type, weights "
                             "of it or f32");
    if (sel.heads > 64 || sel.dim % 64 || sel.dim > 256)
      return index.emitError()
             << "the CUDA backend's indexer takes up to 64 heads of a width "
                "that is a multiple of 64 up to 256; not "
             << sel.heads << " x " << sel.dim;
    if (sel.top > (1 << 24))
      return sel.attention.emitError(
          "the CUDA backend selects at most 2^24 tokens per query");
  }

  std::string params = argumentParameters(a.function, [&](unsigned i) {
    return i == a.query                ? "q"
           : i == a.ropeQuery          ? "qr"
           : i == a.key                ? "c"
           : i == a.ropeKey            ? "kr"
           : i == a.lengths            ? "lengths"
           : i == a.pageTable          ? "table"
           : !a.selection              ? ""
           : i == a.selection->query   ? "iq"
           : i == a.selection->key     ? "ik"
           : i == a.selection->weights ? "iw"
                                       : "";
  });
  params += "attn_cuda_tensor *out";
  SmallVector<StringRef> copied = {"q", "qr", "c", "kr"};
  if (a.selection)
    copied.append({"iq", "ik"});
  std::vector<std::pair<StringRef, std::string>> names = {
      {"H", std::to_string(a.heads)},
      {"DC", std::to_string(a.headDim)},
      {"DR", std::to_string(a.ropeDim)},
      {"NAME", name.str()},
      {"ELEM", elementTypeName(a.element).str()},
      {"LENGTH_TYPE", indexType(a, a.lengths)},
      {"LENGTHS", a.lengths ? "lengths->data" : "nullptr"},
      {"PARAMS", params},
      {"LAYOUT_CHECKS",
       launcherLayoutChecks(copied, "queries and caches", a.lengths.has_value(),
                            a.pageTable.has_value())}};
  for (auto &[key, text] : a.selection   ? selectedNames(a)
                           : a.pageTable ? pagedNames(a)
                                         : plainNames(a))
    names.push_back({key, substitute(text, names)});

  KernelParts parts;
  parts.constants = substitute(kConstants, names) +
                    substitute(splitCombineConstants(), names);
  llvm::raw_string_ostream device(parts.device);
  if (failed(emitSoftmaxFragments(a, device)))
    return failure();
  SelectionParts selection;
  if (a.selection) {
    selection = emitTokenSelection(a, names);
    parts.constants += selection.constants;
    device << selection.device;
  }
  StringRef ptxType = a.element.isBF16() ? "bf16" : "f16";
  device << wgmmaFunction("wgmmaScores", 64, ptxType, false, false)
         << wgmmaFunction("wgmmaValues", a.headDim / 2, ptxType, true, true)
         << wgmmaFunction("wgmmaValuesShared", a.headDim / 2, ptxType, false,
                          true)
         << substitute(kKernel, names)
         << substitute(splitCombineKernel(), names);
  names.push_back({"CHECKS", substitute(kChecks, names)});
  parts.launcher = substitute(splitCombineLauncher(), names) +
                   selection.launcher + substitute(kLauncher, names);
  parts.parameters = params + ", float *lse";
  parts.doc =
      "// MLA's attention over a latent cache: out = softmax(scale (q c^T + "
      "qr kr^T)) c,\n// one latent head c shared by every query head. lse, "
      "if not NULL, receives the\n// log-sum-exp of each query's scores, "
      "[B, H, T] contiguous f32 (-inf for fully\n// masked rows). Needs: q, "
      "qr, c, kr with a contiguous last dim, other strides\n// multiples of 8 "
      "elements, 16-byte aligned data; out with a contiguous last dim.";
  if (a.pageTable)
    parts.doc += "\n// c and kr are pools of pages [N, P, 1, D] (P a multiple "
                 "of 64), read\n// through table [B, M]: slot s of sequence "
                 "b is row s % P of page\n// table[b][s / P]; entries outside "
                 "[0, N) read zeros.";
  if (a.selection)
    parts.doc += "\n// DeepSeek sparse attention: each query attends over "
                 "only the keys that\n// the indexer (iq, ik, iw) scores "
                 "best, selected in scratch memory.";
  if (a.lengths)
    parts.doc += "\n// Keys past lengths[b], up to the end of that 64-key "
                 "tile, may be read: they\n// must be finite (they get no "
                 "weight, but 0 * NaN is NaN).";
  parts.runtimeHeader = "sm90.cuh";
  return parts;
}
