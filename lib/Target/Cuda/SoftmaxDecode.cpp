//===- SoftmaxDecode.cpp - softmax attention over a cache, split by keys --===//
//
// Decode: few queries (T new tokens) against a long key/value cache. The
// tiled kernels give each (head, 128-query tile) one block, which leaves
// the GPU idle and reads each KV head's cache once per query head. Here a
// block takes all the queries of one KV head's group (kGroup heads x T
// queries, at most 16 rows: one mma.sync row tile) and one split of the
// keys, so the cache is read once per group and splits fill the GPU; a
// second kernel merges the splits' partial outputs by their log-sum-exp.
// Inside a block the four warps take 16 keys each of every 64-key tile,
// streamed through a cp.async ring, each with its own online softmax, and
// merge through shared memory at the end. The score chain (masks, score
// mods) and the online-softmax step are the tiled kernels' device
// functions. mma.sync and cp.async: the same code for sm_80 and sm_90a.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace attn;
using namespace attn::cuda;

/// The decode kernels' sizes, valid in host code.
static constexpr const char *kDecodeConstants = R"cu(
constexpr int kGroup = kHeads / kKvHeads, kDecodeRows = 16, kDecodeWarps = 4;
constexpr int kDecodeThreads = 32 * kDecodeWarps, kDecodeBN = 16 * kDecodeWarps;
// Three stages at head dims up to 128 leave room for two blocks per SM.
constexpr int kDecodeStages = kD + kDV <= 256 ? 3 : 2;
constexpr int kDecodeQBytes = kDecodeRows * kD * 2;
constexpr int kDecodeRingBytes = kDecodeStages * kDecodeBN * (kD + kDV) * 2;
constexpr int kDecodeSmem = kDecodeQBytes + kDecodeRingBytes;
static_assert(kDecodeWarps * kDecodeRows * (kDV + 2) * 4 <= kDecodeRingBytes,
              "the merge reuses the ring");
static_assert(kDecodeSmem <= 163 * 1024, "decode tiles exceed the shared memory of an sm_80 block");
)cu";

/// The split merge's sizes: one block per query row, splits up to a few
/// waves of blocks.
static constexpr const char *kCombineConstants = R"cu(
constexpr int kCombineThreads = 128, kMaxSplits = 1024;
)cu";

static constexpr const char *kDecodeKernel = R"cu(
/// Rows r < kGroup T of the block are head hk kGroup + r / T's query r % T.
/// Split blockIdx.x of the keys that those queries may see, in runs of
/// tilesPerSplit tiles; with one split the merged rows go to out (and lse),
/// otherwise, unnormalized with their log2 max and sum, to `partial`
/// ([split][B][H][T][kDV + 2] f32) for ${NAME}_combine.
extern "C" __global__ void __launch_bounds__(kDecodeThreads, 1)
${NAME}_decode(const $ELEM *__restrict__ q, long long qsB, long long qsH, long long qsT,
             const $ELEM *__restrict__ k, long long ksB, long long ksH, long long ksT,
             const $ELEM *__restrict__ v, long long vsB, long long vsH, long long vsT,
             $ELEM *__restrict__ out, long long osB, long long osH, long long osT,
             float *__restrict__ lse, const $LENGTH_TYPE *__restrict__ lengths, int T, int S,
             float *__restrict__ partial, int tilesPerSplit$DECODE_PAGE_PARAMS) {
  using namespace attn_rt;
  extern __shared__ __align__(128) unsigned char smem[];
  $ELEM *sQ = reinterpret_cast<$ELEM *>(smem);
  $ELEM *sK = sQ + kDecodeRows * kD, *sV = sK + kDecodeStages * kDecodeBN * kD;
  const int split = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4;
  const int rows = kGroup * T;
  const int L = attnKeyLength(lengths, b, S);
  int tileBegin, tiles;
  attnKeyTiles<kDecodeBN>(0, T - 1, T, L, tileBegin, tiles);
  const int first = tileBegin + split * tilesPerSplit;
  const int count = max(0, min(tilesPerSplit, tileBegin + tiles - first));

  for (int i = threadIdx.x; i < kDecodeRows * kD / 8; i += kDecodeThreads) {
    const int r = i / (kD / 8), c = i % (kD / 8) * 8;
    const bool valid = r < rows;
    cpAsync16(sQ + swizzle<kD>(r, c),
              valid ? q + b * qsB + (hk * kGroup + r / T) * qsH + r % T * qsT + c : q, valid);
  }
  // Step i reads tile first + count - 1 - i (the boundary tile first, as
  // the tiled kernels do). Keys past L are zero-filled.
$KEY_TILE_LOADER#pragma unroll
  for (int i = 0; i < kDecodeStages - 1; ++i) {
    if (i < count)
      loadKeyTile(i);
    cpAsyncCommit(); // Q joins step 0's group; empty groups keep the count
  }

  // Padding rows (r >= rows) have zero queries and stand for the last real
  // row in the score chain; they are never stored.
  const int rowA = min(g, rows - 1), rowB = min(g + 8, rows - 1);
  const int hs[2] = {hk * kGroup + rowA / T, hk * kGroup + rowB / T};
  const int ts[2] = {rowA % T, rowB % T};
  float o[kDV / 2];
#pragma unroll
  for (int j = 0; j < kDV / 2; ++j)
    o[j] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};
  // The queries' fragments stay in registers; the warp's 16 keys of each
  // tile are ldmatrix rows of K and V at fixed lane offsets.
  unsigned qa[kD / 16][4];
  const int keyLane = swizzleLane<kD>(16 * warp + lane % 8 + 8 * (lane / 16), lane / 8 % 2),
            valueLane = swizzleLane<kDV>(16 * warp + lane % 16, lane / 16);

  for (int i = 0; i < count; ++i) {
    const int stage = i % kDecodeStages;
    const int s0 = (first + count - 1 - i) * kDecodeBN + 16 * warp; // this warp's 16 keys
    cpAsyncWait<kDecodeStages - 2>();
    __syncthreads();
    if (i + kDecodeStages - 1 < count)
      loadKeyTile(i + kDecodeStages - 1);
    cpAsyncCommit();

    const $ELEM *kTile = sK + stage * kDecodeBN * kD, *vTile = sV + stage * kDecodeBN * kDV;
    if (i == 0)
#pragma unroll
      for (int kk = 0; kk < kD / 16; ++kk)
        ldmatrixX4(qa[kk], sharedAddress(sQ + swizzle<kD>(lane % 16, 16 * kk + lane / 16 * 8)));
    float s[8] = {};
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) {
      unsigned bk[4];
      ldmatrixX4(bk, sharedAddress(kTile + swizzleStep(keyLane, kk)));
      mmaM16N8K16<$ELEM>(&s[0], qa[kk], bk[0], bk[1]);
      mmaM16N8K16<$ELEM>(&s[4], qa[kk], bk[2], bk[3]);
    }
    float tileMax[2] = {rowMax[0], rowMax[1]};
    if (attnTileVisible(0, T - 1, s0, s0 + 15, T, L))
      attnScoreTile<false, 16>(s, b, hs, ts, s0, T, L, tileMax);
    else
      attnScoreTile<true, 16>(s, b, hs, ts, s0, T, L, tileMax);
    unsigned p[1][4];
    attnOnlineSoftmax<$ELEM, 16, kDV>(s, tileMax, rowMax, rowSum, o, p);
#pragma unroll
    for (int n = 0; n < kDV / 16; ++n) {
      unsigned bv[4];
      ldmatrixX4Trans(bv, sharedAddress(vTile + swizzleStep(valueLane, n)));
      mmaM16N8K16<$ELEM>(&o[8 * n], p[0], bv[0], bv[1]);
      mmaM16N8K16<$ELEM>(&o[8 * n + 4], p[0], bv[2], bv[3]);
    }
  }
  cpAsyncWait<0>();
  __syncthreads(); // the ring is free: merge the warps' rows through it

  float *merge = reinterpret_cast<float *>(smem + kDecodeQBytes);
  attnStashWarpRows<kDecodeWarps, kDV>(merge, o, rowMax, rowSum);
  __syncthreads();
  for (int e = threadIdx.x; e < rows * kDV; e += kDecodeThreads) {
    const int row = e / kDV, d = e % kDV, h = hk * kGroup + row / T, t = row % T;
    float acc, sum, m;
    attnMergedRow<kDecodeWarps, kDV>(merge, row, d, acc, sum, m);
    if (gridDim.x == 1) {
      out[b * osB + h * osH + t * osT + d] = $ELEM(sum > 0.f ? acc / sum : 0.f);
      if (lse && d == 0)
        lse[((long long)b * kHeads + h) * T + t] = sum > 0.f ? (m + log2f(sum)) * 0.69314718056f : -INFINITY;
    } else {
      float *dst = partial + ((((long long)split * gridDim.z + b) * kHeads + h) * T + t) * (kDV + 2);
      dst[d] = acc;
      if (d == 0)
        dst[kDV] = m, dst[kDV + 1] = sum;
    }
  }
}

)cu";

/// The merge of split-key partial rows ([split][B][kHeads][T][kDV + 2] f32:
/// unnormalized outputs, log2 max, sum) into out and lse.
static constexpr const char *kCombineKernel = R"cu(
/// Merges the splits' partial rows: one block of kCombineThreads per
/// (b, h, t) row. The splits' weights come first, in parallel and into
/// shared memory, so the sums over splits are independent loads.
extern "C" __global__ void __launch_bounds__(kCombineThreads)
${NAME}_combine(const float *__restrict__ partial, int splits, long long rowsTotal, int T,
                $ELEM *__restrict__ out, long long osB, long long osH, long long osT, float *__restrict__ lse) {
  __shared__ float weight[kMaxSplits], reduce[kCombineThreads / 32];
  const long long row = blockIdx.x;
  const int t = row % T, h = row / T % kHeads, b = row / T / kHeads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const auto blockReduce = [&](float x, bool max) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) {
      const float other = __shfl_xor_sync(0xffffffffu, x, offset);
      x = max ? fmaxf(x, other) : x + other;
    }
    if (lane == 0)
      reduce[warp] = x;
    __syncthreads();
    x = reduce[0];
#pragma unroll
    for (int w = 1; w < kCombineThreads / 32; ++w)
      x = max ? fmaxf(x, reduce[w]) : x + reduce[w];
    __syncthreads();
    return x;
  };
  float m = -INFINITY;
  for (int j = threadIdx.x; j < splits; j += kCombineThreads)
    m = fmaxf(m, partial[(j * rowsTotal + row) * (kDV + 2) + kDV]);
  m = blockReduce(m, true);
  const float base = m == -INFINITY ? 0.f : m;
  float sum = 0.f;
  for (int j = threadIdx.x; j < splits; j += kCombineThreads) {
    const float *src = partial + (j * rowsTotal + row) * (kDV + 2);
    weight[j] = exp2f(src[kDV] - base);
    sum += src[kDV + 1] * weight[j];
  }
  sum = blockReduce(sum, false); // also orders the weights' stores
  for (int d = threadIdx.x; d < kDV; d += kCombineThreads) {
    float acc = 0.f;
#pragma unroll 8
    for (int j = 0; j < splits; ++j)
      acc += partial[(j * rowsTotal + row) * (kDV + 2) + d] * weight[j];
    out[b * osB + h * osH + t * osT + d] = $ELEM(sum > 0.f ? acc / sum : 0.f);
    if (lse && d == 0)
      lse[row] = sum > 0.f ? (m + log2f(sum)) * 0.69314718056f : -INFINITY;
  }
}
)cu";

/// Host side of the merge: scratch for the partial rows and the merge's
/// launch, for every launcher that splits keys across blocks.
static constexpr const char *kCombineLauncher = R"cu(
/// Scratch for `splits` partial copies of `rowsTotal` output rows (none for
/// one split): the launcher's result.
static int attnPartials(float **partial, int splits, long long rowsTotal, void *stream) {
  *partial = nullptr;
  return splits > 1 ? attn_rt::scratch((void **)partial, (size_t)splits * rowsTotal * (kDV + 2) * 4, stream)
                    : 0;
}

/// Merges the partial rows into out (and lse) and frees them.
static int attnCombine(float *partial, int splits, long long rowsTotal, int T, attn_cuda_tensor *out, float *lse,
                       void *stream) {
  static const void *combine = attnKernel(${NAME}_combine);
  int status = 0;
  if (splits > 1) {
    void *outData = out->data;
    long long os[3] = {out->strides[0], out->strides[1], out->strides[2]};
    void *args[] = {&partial, &splits, &rowsTotal, &T, &outData, &os[0], &os[1], &os[2], &lse};
    status = attn_rt::launch(combine, dim3((unsigned)rowsTotal), dim3(kCombineThreads), args, 0, stream);
  }
  if (partial)
    cudaFreeAsync(partial, (cudaStream_t)stream);
  return status;
}
)cu";

/// Host side: the launchers call attnDecode when a group's queries fit one
/// row tile (kGroup T <= 16).
static constexpr const char *kDecodeLauncher = R"cu(
static int attnDecode(const attn_cuda_tensor *q, const attn_cuda_tensor *k, const attn_cuda_tensor *v,
                      attn_cuda_tensor *out, float *lse, const void *lengthsData, int64_t B, int64_t T,
                      int64_t S, void *stream$DECODE_TABLE_PARAM) {
  static const void *decode = attn_rt::withSharedBytes(attnKernel(${NAME}_decode), kDecodeSmem);
  if (!decode)
    return 4;
  static attn_rt::BlockSlots slots;
  const long long tiles = std::max<long long>(1, (S + kDecodeBN - 1) / kDecodeBN);
  // A block's fixed cost: its queries and partial rows, and the pipeline's fill.
  int tilesPerSplit = attn_rt::tilesPerSplit(tiles, B * kKvHeads, slots.of(decode, kDecodeThreads, kDecodeSmem),
                                             kMaxSplits, 1.0);
  const int splits = (int)((tiles + tilesPerSplit - 1) / tilesPerSplit);
  const long long rowsTotal = B * kHeads * T;
  float *partial;
  if (int rc = attnPartials(&partial, splits, rowsTotal, stream))
    return rc;
  void *qData = q->data, *kData = k->data, *vData = v->data, *outData = out->data;
  long long qs[3] = {q->strides[0], q->strides[1], q->strides[2]};
  long long ks[3] = {k->strides[0], k->strides[1], k->strides[2]};
  long long vs[3] = {v->strides[0], v->strides[1], v->strides[2]};
  long long os[3] = {out->strides[0], out->strides[1], out->strides[2]};
  const void *lengths = lengthsData;
  int Ti = (int)T, Si = (int)S;
$DECODE_TABLE_LOCALS  void *decodeArgs[] = {&qData, &qs[0], &qs[1], &qs[2], &kData, &ks[0], &ks[1], &ks[2],
                        &vData, &vs[0], &vs[1], &vs[2], &outData, &os[0], &os[1], &os[2],
                        &lse, &lengths, &Ti, &Si, &partial, &tilesPerSplit$DECODE_TABLE_ARGS};
  const int status = attn_rt::launch(decode, dim3(splits, kKvHeads, (unsigned)B), dim3(kDecodeThreads),
                                     decodeArgs, kDecodeSmem, stream);
  const int merged = attnCombine(partial, status ? 1 : splits, rowsTotal, Ti, out, lse, stream);
  return status ? status : merged;
}
)cu";

/// The decode kernel's reading of the caches: a tile of rows from a
/// [B, Hkv, S, D] cache, or gathered from pages through the page table.
static constexpr const char *kPlainLoader =
    R"cu(  const $ELEM *kHead = k + b * ksB + hk * ksH, *vHead = v + b * vsB + hk * vsH;
  const auto loadKeyTile = [&](int i) {
    const int s0 = (first + count - 1 - i) * kDecodeBN, stage = i % kDecodeStages;
    cpAsyncTile<kDecodeThreads, kDecodeBN, kD>(sK + stage * kDecodeBN * kD, kHead + s0 * ksT, ksT, L - s0);
    cpAsyncTile<kDecodeThreads, kDecodeBN, kDV>(sV + stage * kDecodeBN * kDV, vHead + s0 * vsT, vsT, L - s0);
  };
)cu";

static constexpr const char *kPagedLoader =
    R"cu(  // Slot s is row s % pageSize of page table[b][s / pageSize] of a pool
  // [N, P, Hkv, D] (whose strides ksB, ksH, ksT are, in that order, the
  // pages', the slots' and the heads'); pages outside the pool read zeros.
  const $TABLE_TYPE *pageOf = table + b * tableStride;
  const auto loadKeyTile = [&](int i) {
    const int s0 = (first + count - 1 - i) * kDecodeBN, stage = i % kDecodeStages;
    const auto slot = [&](const $ELEM *pool, long long pageStride, long long slotStride, long long headStride,
                          int r) -> const $ELEM * {
      const int s = s0 + r;
      if (s >= L)
        return nullptr;
      const long long page = pageOf[s / $PAGE_SIZE];
      return page >= 0 && page < pages ? pool + page * pageStride + s % $PAGE_SIZE * slotStride + hk * headStride
                                       : nullptr;
    };
    cpAsyncRows<kDecodeThreads, kDecodeBN, kD>(sK + stage * kDecodeBN * kD, k,
                                               [&](int r) { return slot(k, ksB, ksH, ksT, r); });
    cpAsyncRows<kDecodeThreads, kDecodeBN, kDV>(sV + stage * kDecodeBN * kDV, v,
                                                [&](int r) { return slot(v, vsB, vsH, vsT, r); });
  };
)cu";

std::vector<std::pair<llvm::StringRef, std::string>>
cuda::softmaxDecodeNames(const SoftmaxAttention &a) {
  std::string element = elementTypeName(a.element).str();
  if (!a.pageTable)
    return {{"KEY_TILE_LOADER", substitute(kPlainLoader, {{"ELEM", element}})},
            {"DECODE_PAGE_PARAMS", ""},
            {"DECODE_TABLE_PARAM", ""},
            {"DECODE_TABLE_LOCALS", ""},
            {"DECODE_TABLE_ARGS", ""}};
  std::string entry = indexType(a, a.pageTable);
  mlir::func::FuncOp function = a.function;
  // A page size known here divides by a constant (a shift for powers of 2).
  auto pool =
      llvm::cast<mlir::RankedTensorType>(function.getArgument(a.key).getType());
  std::string pageSize =
      pool.isDynamicDim(1) ? "pageSize" : std::to_string(pool.getDimSize(1));
  return {
      {"KEY_TILE_LOADER", substitute(kPagedLoader, {{"ELEM", element},
                                                    {"TABLE_TYPE", entry},
                                                    {"PAGE_SIZE", pageSize}})},
      {"DECODE_PAGE_PARAMS", ", const " + entry +
                                 " *__restrict__ table, long long "
                                 "tableStride, int pageSize, long long "
                                 "pages"},
      {"DECODE_TABLE_PARAM",
       ", const attn_cuda_tensor *table, int64_t pageSize"},
      {"DECODE_TABLE_LOCALS", R"cu(  const void *tableData = table->data;
  long long tableStride = table->strides[0], pages = k->shape[0];
  int pageSizeI = (int)pageSize;
)cu"},
      {"DECODE_TABLE_ARGS", ", &tableData, &tableStride, &pageSizeI, &pages"}};
}

llvm::StringRef cuda::softmaxDecodeConstants() { return kDecodeConstants; }
llvm::StringRef cuda::softmaxDecodeKernel() { return kDecodeKernel; }
llvm::StringRef cuda::softmaxDecodeLauncher() { return kDecodeLauncher; }
llvm::StringRef cuda::splitCombineConstants() { return kCombineConstants; }
llvm::StringRef cuda::splitCombineKernel() { return kCombineKernel; }
llvm::StringRef cuda::splitCombineLauncher() { return kCombineLauncher; }
