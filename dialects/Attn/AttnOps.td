//===- AttnOps.td - attn dialect ops ------------------------*- tablegen -*-===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "AttnDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def Attn_Tensor4D : TensorRankOf<[AnyFloat], [4]>;
def Attn_Tensor3D : TensorRankOf<[AnyFloat], [3]>;
def Attn_Tensor1D : TensorRankOf<[AnyFloat], [1]>;
def Attn_Indices4D : TensorRankOf<[AnySignlessInteger], [4]>;
def Attn_Lengths : TensorRankOf<[AnySignlessInteger], [1]>;
def Attn_PageTable : TensorRankOf<[AnySignlessInteger], [2]>;
def Attn_Vector : TensorRankOf<[AnyFloat], [1]>;
def Attn_State : Type<CPred<"::llvm::isa<::attn::StateType>($_self)">,
                      "attn state", "::attn::StateType">;

def PositiveI64Attr : ConfinedAttr<I64Attr, [IntPositive]>;
def NonNegativeI64Attr : ConfinedAttr<I64Attr, [IntNonNegative]>;

//===----------------------------------------------------------------------===//
// Scores, masks and probabilities
//===----------------------------------------------------------------------===//

def Attn_ScoreOp : Attn_Op<"score", [AttrSizedOperandSegments]> {
  let summary = "scaled query-key dot products, s = scale * sum_i q_i . k_i";
  let description = [{
    ```mlir
    %s = attn.score %q, %k scale 0.125
        : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x8x?x?xf32>
    ```
    Scores `[B, Hq, T, S]`; query head h reads key head `h / (Hq / Hkv)`.
    Several `q, k` pairs joined by `+` add their dot products: MLA's decoupled
    RoPE part (`%q_nope, %k_nope + %q_rope, %k_rope`), each pair with its own
    KV head count. The scale defaults to `1/sqrt(Dk)` of all pairs.

    `decay %g` (one pair only) applies GLA's per-key decay inside the dot
    product: `g` is `[B, Hq, T, Dk]` log-decays, `G` their cumulative sum over
    time, and `s_ts = scale * sum_d q_td k_sd exp(G_td - G_sd)` for `s <= t`.
    Such a score is causal by construction: entries with `s > t` are masked.
  }];
  let arguments = (ins Variadic<Attn_Tensor4D>:$queries,
                       Variadic<Attn_Tensor4D>:$keys,
                       Optional<Attn_Tensor4D>:$gate,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Attn_Tensor4D:$scores);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale in effect: the attribute, else 1/sqrt(total Dk).
    double getEffectiveScale();
  }];
}

def Attn_MaskOp : Attn_Op<"mask", [AllTypesMatch<["scores", "result"]>]> {
  let summary = "mask scores by position: causal, sliding window, ...";
  let description = [{
    ```mlir
    %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
    %w = attn.mask %s, sliding_window(512) : tensor<?x8x?x?xf32>
    %c = attn.mask %s, compressed(32, 16) : tensor<?x8x?x?xf32>
    %d = attn.mask %s, causal lengths %len : tensor<?x8x1x?xf32>, tensor<?xi64>
    ```
    Sets masked scores to -inf. With L the key length of the sequence (`S`,
    or `lengths[b]`) and `p = L - T + t` the position of query t, key s is
    kept when `s < L` and: `none` always; `causal` when `s <= p`;
    `sliding_window(w)` when `p - w < s <= p`; `block_causal(n)` when
    `s / n <= p / n`; `compressed(l, d)` (keys are NSA compressed blocks of
    length l and stride d) when the whole block precedes the query,
    `s * d + l - 1 <= p`.
  }];
  let arguments = (ins Attn_Tensor4D:$scores, Attn_MaskKindAttr:$kind,
                       OptionalAttr<PositiveI64Attr>:$size,
                       OptionalAttr<PositiveI64Attr>:$stride,
                       Optional<Attn_Lengths>:$lengths);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $scores `,` $kind (`(` $size^ (`,` $stride^)? `)`)?
    (`lengths` $lengths^)? attr-dict `:` type($scores)
    (`,` type($lengths)^)?
  }];
  let hasVerifier = 1;
}

def Attn_BlockMaskOp : Attn_Op<"block_mask",
    [AllTypesMatch<["scores", "result"]>]> {
  let summary = "keep only the keys of selected blocks (NSA, DSA)";
  let description = [{
    ```mlir
    %m = attn.block_mask %s, %idx, block 64
        : tensor<?x16x?x?xf32>, tensor<?x4x?x16xi64>
    ```
    `indices` is `[B, G, T, n]` block indices (-1 for none); query head h
    uses row `h / (Hq / G)`, so the heads of a GQA group share a selection.
    Key s is kept when `s / block` is one of the indices. Block 1 selects
    tokens.
  }];
  let arguments = (ins Attn_Tensor4D:$scores, Attn_Indices4D:$indices,
                       PositiveI64Attr:$block);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $scores `,` $indices `,` `block` $block attr-dict `:` type($scores) `,`
    type($indices)
  }];
  let hasVerifier = 1;
}

def Attn_ScoreModOp : Attn_Op<"score_mod", [
    AllTypesMatch<["scores", "result"]>, IsolatedFromAbove,
    SingleBlock]> {
  let summary = "rewrite each score with a scalar function (softcap, ALiBi)";
  let description = [{
    ```mlir
    %c = attn.score_mod %s : tensor<?x8x?x?xf32> {
    ^bb0(%x: f32, %b: index, %h: index, %t: index, %s: index):
      %y = math.tanh %x : f32
      attn.yield %y : f32
    }
    ```
    The body gets the score and its (batch, head, query, key) indices and
    yields the new score. It holds only `arith` and `math` ops. Masked
    scores stay masked.
  }];
  let arguments = (ins Attn_Tensor4D:$scores);
  let results = (outs Attn_Tensor4D:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$scores attr-dict `:` type($scores) $body";
  let hasRegionVerifier = 1;
}

def Attn_SoftmaxOp : Attn_Op<"softmax", [SameOperandsAndResultType]> {
  let summary = "normalize scores over keys; masked -> 0, all masked -> 0";
  let arguments = (ins Attn_Tensor4D:$scores);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = "$scores attr-dict `:` type($scores)";
}

def Attn_FeatureMapOp : Attn_Op<"feature_map", [SameOperandsAndResultType]> {
  let summary = "elementwise feature map phi of linear attention";
  let arguments = (ins Attn_Tensor4D:$input, Attn_FeatureMapKindAttr:$kind);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = "$input `,` $kind attr-dict `:` type($input)";
  let hasFolder = 1;
}

def Attn_DecayOp : Attn_Op<"decay", [AllTypesMatch<["scores", "result"]>]> {
  let summary = "scalar data-dependent decay of causal scores";
  let description = [{
    `gates` are log-decays, `[B, Hq, T]` (data-dependent, Mamba2) or `[Hq]`
    (constant per head, RetNet); with `G` their cumulative sum over time,
    `s_ts -> s_ts * exp(G_t - G_s)` for `s <= t`. Keys after the query
    (`s > t`) are masked, so the op needs `S == T`.
  }];
  let arguments = (ins Attn_Tensor4D:$scores,
                       AnyTypeOf<[Attn_Tensor1D, Attn_Tensor3D]>:$gates);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $scores `,` $gates attr-dict `:` type($scores) `,` type($gates)
  }];
  let hasVerifier = 1;
}

def Attn_AggregateOp : Attn_Op<"aggregate"> {
  let summary = "weighted sum of values, o_t = sum_s p_ts v_s";
  let description = [{
    `weights` are `[B, Hq, T, S]` (probabilities, or raw scores in linear
    attention); masked (-inf) weights contribute nothing. Values are
    `[B, Hkv, S, Dv]`.
  }];
  let arguments = (ins Attn_Tensor4D:$weights, Attn_Tensor4D:$values);
  let results = (outs Attn_Tensor4D:$output);
  let assemblyFormat = [{
    $weights `,` $values attr-dict `:` type($weights) `,` type($values)
    `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_LogSumExpOp : Attn_Op<"logsumexp"> {
  let summary = "log-sum-exp of each row of scores, over its unmasked keys";
  let description = [{
    ```mlir
    %l = attn.logsumexp %s : tensor<?x8x?x?xf32> -> tensor<?x8x?xf32>
    ```
    `lse_t = log(sum_s exp(s_ts))` over the keys that are not masked; -inf
    for a fully masked row. It is what a softmax forward saves for its
    backward: `softmax(s)_ts = exp(s_ts - lse_t)`.
  }];
  let arguments = (ins Attn_Tensor4D:$scores);
  let results = (outs TensorRankOf<[F32], [3]>:$result);
  let assemblyFormat = [{
    $scores attr-dict `:` type($scores) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_AttentionOp : Attn_Op<"attention", [AttrSizedOperandSegments,
    IsolatedFromAbove]> {
  let summary = "softmax attention as one op: what the kernels compute";
  let description = [{
    ```mlir
    %o, %lse = attn.attention %q, %k, %v scale 0.125
        masks(causal, sliding_window(512)) lengths %len
        score_mod {
        ^bb0(%x: f32, %b: index, %h: index, %t: index, %s: index):
          %y = math.tanh %x : f32
          attn.yield %y : f32
        }
        : (tensor<?x8x?x64xbf16>, tensor<?x2x?x64xbf16>,
           tensor<?x2x?x64xbf16>, tensor<?xi32>)
        -> (tensor<?x8x?x64xbf16>, tensor<?x8x?xf32>)
    ```
    `aggregate(softmax(chain(score(q, k))), v)` and the rows' log-sum-exp,
    where the chain applies every positional mask (counting positions from
    `lengths` when given, as attn.mask does), the block mask of `select
    %indices block n` (attn.block_mask) and the score mod, a body of the
    form attn.score_mod takes. Several `q, k` pairs joined by `+` add their
    dot products (MLA's RoPE part), as in attn.score. Its meaning is that of
    those ops: the interpreter runs the op by decomposing it into them
    (attn-decompose-attention), and attn-fuse-attention forms it from them.
    This is the one op that the backends compile for softmax attention.
  }];
  let arguments = (ins Variadic<Attn_Tensor4D>:$queries,
                       Variadic<Attn_Tensor4D>:$keys,
                       Attn_Tensor4D:$values,
                       Optional<Attn_Lengths>:$lengths,
                       Optional<Attn_Indices4D>:$indices,
                       F64Attr:$scale,
                       Attn_KeyMaskArrayAttr:$masks,
                       OptionalAttr<PositiveI64Attr>:$block);
  let results = (outs Attn_Tensor4D:$output,
                      TensorRankOf<[F32], [3]>:$lse);
  let regions = (region MaxSizedRegion<1>:$scoreMod);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The masks' attributes, in order.
    auto getKeyMasks() {
      return getMasks().getAsRange<KeyMaskAttr>();
    }
    /// The score mod's body, or null without one.
    ::mlir::Block *getScoreModBody() {
      return getScoreMod().empty() ? nullptr : &getScoreMod().front();
    }
    /// The op's meaning: score, masks, block mask, score mod, softmax,
    /// aggregate and logsumexp, built before the op at `builder`; returns
    /// what replaces the output and the log-sum-exp.
    ::llvm::SmallVector<::mlir::Value, 2> decompose(::mlir::OpBuilder &builder);
  }];
}

//===----------------------------------------------------------------------===//
// The recurrent state form
//===----------------------------------------------------------------------===//

def Attn_ScanOp : Attn_Op<"scan", [
    AttrSizedOperandSegments, IsolatedFromAbove, SingleBlock]> {
  let summary = "linear attention as a recurrence over a fixed-size state";
  let description = [{
    ```mlir
    %o, %final = attn.scan %q, %k, %v gates %g init %s0
        : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>,
           tensor<?x4x?xf32>, tensor<?x4x64x64xf32>)
        -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>) {
    ^bb0(%S: !attn.state<64x64xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
         %vt: tensor<64xf32>, %gt: f32):
      %d = attn.state.decay %S, %gt : !attn.state<64x64xf32>, f32
      %u = attn.state.update %d, %kt, %vt
          : !attn.state<64x64xf32>, tensor<64xf32>, tensor<64xf32>
      %ot = attn.state.read %u, %qt
          : !attn.state<64x64xf32>, tensor<64xf32> -> tensor<64xf32>
      attn.yield %u, %ot : !attn.state<64x64xf32>, tensor<64xf32>
    }
    ```
    For every (batch, query head) the body runs once per step t in order,
    from the initial state (`init`, `[B, Hq, Dk, Dv]`, else zero). Its
    arguments are the state, q_t, k_t, v_t and, with `gates`, g_t (`f32` for
    `[Hq]` or `[B, Hq, T]` gates, `tensor<Dk>` for per-key `[B, Hq, T, Dk]`
    gates). It
    yields the next state and o_t. Results: the outputs `[B, Hq, T, Dv]` and
    the final state `[B, Hq, Dk, Dv]`. Keys and values are shared by a GQA
    group.
  }];
  let arguments = (ins Attn_Tensor4D:$query, Attn_Tensor4D:$key,
                       Attn_Tensor4D:$value,
                       Optional<AnyTypeOf<[Attn_Tensor1D, Attn_Tensor3D,
                                          Attn_Tensor4D]>>:$gates,
                       Optional<Attn_Tensor4D>:$init);
  let results = (outs Attn_Tensor4D:$output, Attn_Tensor4D:$final_state);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`gates` $gates^)? (`init` $init^)? attr-dict
    `:` functional-type(operands, results) $body
  }];
  let hasRegionVerifier = 1;
}

def Attn_StateDecayOp : Attn_Op<"state.decay",
    [AllTypesMatch<["state", "result"]>]> {
  let summary = "S -> exp(g) S (scalar) or diag(exp(g)) S (per key)";
  let arguments = (ins Attn_State:$state,
                       AnyTypeOf<[AnyFloat, Attn_Vector]>:$gate);
  let results = (outs Attn_State:$result);
  let assemblyFormat = "$state `,` $gate attr-dict `:` qualified(type($state)) `,` type($gate)";
  let hasVerifier = 1;
}

def Attn_StateUpdateOp : Attn_Op<"state.update",
    [AllTypesMatch<["state", "result"]>]> {
  let summary = "S -> S + k^T v";
  let arguments = (ins Attn_State:$state, Attn_Vector:$key, Attn_Vector:$value);
  let results = (outs Attn_State:$result);
  let assemblyFormat = [{
    $state `,` $key `,` $value attr-dict `:` qualified(type($state)) `,` type($key) `,`
    type($value)
  }];
  let hasVerifier = 1;
}

def Attn_StateReadOp : Attn_Op<"state.read"> {
  let summary = "o = scale * q S";
  let arguments = (ins Attn_State:$state, Attn_Vector:$query,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Attn_Vector:$output);
  let assemblyFormat = [{
    $state `,` $query (`scale` $scale^)? attr-dict `:` qualified(type($state))
    `,` type($query) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_ChunkedScanOp : Attn_Op<"chunked_scan", [AttrSizedOperandSegments]> {
  let summary = "linear attention in the chunkwise parallel form";
  let description = [{
    ```mlir
    %o, %final = attn.chunked_scan %q, %k, %v gates %g init %s0 chunk 64
        scale 0.125 : (...) -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>)
    ```
    The recurrence `S_t = a_t S_{t-1} + k_t^T v_t`, `o_t = scale * q_t S_t`
    (what `attn.scan` computes with a decay / update / read body) computed
    chunk by chunk: the sequence splits into chunks of `chunk` steps (the
    last one shorter); inside chunk i, with `b` the gates' cumulative sum
    from the chunk's start (log space),
    `O_i = scale * ((Q_i K_i^T ⊙ D_i) V_i + (Q_i ⊙ exp(b)) S_{i-1})` with the
    decay mask `D_i[t, s] = exp(b_t - b_s)` for `s <= t`, and
    `S_i = exp(b_last) S_{i-1} + (K_i ⊙ exp(b_last - b))^T V_i`.
    Gates as in `attn.scan`: `[Hq]`, `[B, Hq, T]` scalar or `[B, Hq, T, Dk]`
    per-key log-decays.

    `materialized` first computes every chunk's own contribution, then
    combines them by a scan over chunks (the form that parallelizes across
    chunks), and also returns the state after each chunk,
    `[B, Hq, ceil(T / chunk), Dk, Dv]`.
  }];
  let arguments = (ins Attn_Tensor4D:$query, Attn_Tensor4D:$key,
                       Attn_Tensor4D:$value,
                       Optional<AnyTypeOf<[Attn_Tensor1D, Attn_Tensor3D,
                                          Attn_Tensor4D]>>:$gates,
                       Optional<Attn_Tensor4D>:$init,
                       PositiveI64Attr:$chunk, F64Attr:$scale,
                       UnitAttr:$materialized);
  let results = (outs Attn_Tensor4D:$output, Attn_Tensor4D:$final_state,
                      Optional<TensorRankOf<[AnyFloat], [5]>>:$chunk_states);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`gates` $gates^)? (`init` $init^)? `chunk`
    $chunk `scale` $scale (`materialized` $materialized^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Attn_YieldOp : Attn_Op<"yield", [Terminator, ReturnLike,
    ParentOneOf<["ScoreModOp", "ScanOp", "AttentionOp"]>]> {
  let summary = "yield the values of a score_mod or scan body";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Native Sparse Attention
//===----------------------------------------------------------------------===//

def Attn_CompressOp : Attn_Op<"compress"> {
  let summary = "pool blocks of keys or values into compressed tokens";
  let description = [{
    ```mlir
    %kc = attn.compress %k, mean block 32 stride 16
        : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
    %kc = attn.compress %k, mlp block 32 stride 16
        weights(%pe, %w1, %w2 : tensor<32x128xf32>, tensor<4096x256xf32>,
                tensor<256x128xf32>)
        : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
    ```
    Block i covers tokens `[i*stride, i*stride + block)`; there are
    `(S - block) / stride + 1` blocks (none when `S < block`). `mean`
    averages a block; `mlp` adds the intra-block position encoding
    `pe [block, D]`, flattens the block to `block*D` and applies
    `relu(x W1) W2` with `W1 [block*D, hidden]` and `W2 [hidden, D]`.
  }];
  let arguments = (ins Attn_Tensor4D:$input, Attn_PoolingKindAttr:$pooling,
                       PositiveI64Attr:$block, PositiveI64Attr:$stride,
                       Variadic<TensorRankOf<[AnyFloat], [2]>>:$weights);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $input `,` $pooling `block` $block `stride` $stride
    (`weights` `(` $weights^ `:` type($weights) `)`)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of compressed tokens made from `length` tokens.
    static int64_t getNumBlocks(int64_t length, int64_t block, int64_t stride);
  }];
}

def Attn_SelectBlocksOp : Attn_Op<"select_blocks"> {
  let summary = "NSA block selection from compressed attention probabilities";
  let description = [{
    ```mlir
    %idx = attn.select_blocks %p compressed(32, 16) block 64 top 16
        initial 1 local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
    ```
    `probs` are the compressed branch's probabilities `[B, Hq, T, Nc]`. A
    selection block j (tokens `[j*block, (j+1)*block)`) scores the sum of the
    probabilities of the compressed blocks overlapping it, summed over the
    heads of a GQA group (the result has G rows of heads). Blocks past the
    query position are not eligible; the first `initial` blocks and the
    `local` blocks ending at the query's own are always kept; the rest of the
    `top` slots go to the highest scores, ties to the lower index. Indices
    come out ascending, padded with -1.
  }];
  let arguments = (ins Attn_Tensor4D:$probs, PositiveI64Attr:$compress_block,
                       PositiveI64Attr:$compress_stride, PositiveI64Attr:$block,
                       PositiveI64Attr:$top, NonNegativeI64Attr:$initial,
                       NonNegativeI64Attr:$local);
  let results = (outs Attn_Indices4D:$indices);
  let assemblyFormat = [{
    $probs `compressed` `(` $compress_block `,` $compress_stride `)` `block`
    $block `top` $top `initial` $initial `local` $local attr-dict `:`
    type($probs) `->` type($indices)
  }];
  let hasVerifier = 1;
}

def Attn_GateCombineOp : Attn_Op<"gate_combine"> {
  let summary = "o = sum_c sigmoid(g_c) o_c over the branches";
  let description = [{
    `gates` are `[B, Hq, T, N]` logits for N branch outputs `[B, Hq, T, Dv]`.
  }];
  let arguments = (ins Variadic<Attn_Tensor4D>:$branches, Attn_Tensor4D:$gates);
  let results = (outs Attn_Tensor4D:$output);
  let assemblyFormat = [{
    $branches `gates` $gates attr-dict `:` `(` type($branches) `)` `,`
    type($gates) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_NsaOp : Attn_Op<"nsa", [AttrSizedOperandSegments]> {
  let summary = "Native Sparse Attention: the three gated branches as one op";
  let description = [{
    ```mlir
    %o = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
        compress mean block 32 stride 16 select block 64 top 16 initial 1
        local 2 window 512 scale 0.125
        : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>,
           tensor<?x16x?x3xf32>) -> tensor<?x16x?x64xf32>
    %o = attn.nsa %q, %k, %v gates %g(selected, compressed, window)
        compress mlp block 32 stride 16 key_weights(%pk, %w1k, %w2k)
        value_weights(%pv, %w1v, %w2v) select block 64 ... : (...) -> ...
    ```
    What `attn-fuse-nsa` makes of the unfused program (examples/nsa.mlir),
    with exactly its meaning: q `[B, Hq, T, Dk]`, k `[B, Hkv, T, Dk]`,
    v `[B, Hkv, T, Dv]` (self-attention, query t at token t), gate logits
    `[B, Hq, T, 3]`, output `[B, Hq, T, Dv]`, and
    `o = sum_c sigmoid(g_c) o_c` over three softmax attention branches
    scored by `scale * q . k`:
    - compressed: over `kc = compress(k)`, `vc = compress(v)` (pooling,
      block l, stride d as `attn.compress`, MLP weights for keys and for
      values), keeping the blocks that end at or before the query
      (`mask compressed(l, d)`);
    - selected: causal attention over the tokens of the selection blocks
      (size l', top n, `initial` and `local` blocks forced) that
      `attn.select_blocks` picks from the compressed probabilities, shared by
      the query heads of a KV head (groups = Hkv);
    - window: causal attention over the last `window` tokens.
    The gate names list the branches in the gates' column order.
    The selection block is a multiple of the stride, so a selection block's
    score sums a fixed run of compressed blocks.
  }];
  let arguments = (ins Attn_Tensor4D:$query, Attn_Tensor4D:$key,
                       Attn_Tensor4D:$value, Attn_Tensor4D:$gates,
                       Variadic<TensorRankOf<[AnyFloat], [2]>>:$key_weights,
                       Variadic<TensorRankOf<[AnyFloat], [2]>>:$value_weights,
                       DenseI64ArrayAttr:$gate_columns,
                       Attn_PoolingKindAttr:$pooling,
                       PositiveI64Attr:$compress_block,
                       PositiveI64Attr:$compress_stride,
                       PositiveI64Attr:$select_block, PositiveI64Attr:$top,
                       NonNegativeI64Attr:$initial, NonNegativeI64Attr:$local,
                       PositiveI64Attr:$window, F64Attr:$scale);
  let results = (outs Attn_Tensor4D:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value `gates` $gates
    `` custom<GateColumns>($gate_columns) `compress` $pooling `block`
    $compress_block `stride` $compress_stride
    (`key_weights` `(` $key_weights^ `)`)?
    (`value_weights` `(` $value_weights^ `)`)? `select` `block` $select_block
    `top` $top `initial` $initial `local` $local `window` $window `scale`
    $scale attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The branches in the order of gate_columns' entries.
    enum Branch : int64_t { Compressed = 0, Selected = 1, Window = 2 };
    /// The gates' column of a branch.
    int64_t getGateColumn(Branch branch) {
      return getGateColumns()[branch];
    }
  }];
}

//===----------------------------------------------------------------------===//
// MLA and DSA
//===----------------------------------------------------------------------===//

def Attn_ProjectOp : Attn_Op<"project"> {
  let summary = "per-head projection: latent down- and up-projections of MLA";
  let description = [{
    ```mlir
    %c = attn.project %x, %w_dkv
        : tensor<?x1x?x1024xf32>, tensor<1x1024x512xf32> -> tensor<?x1x?x512xf32>
    %k = attn.project %c, %w_uk
        : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
    ```
    `out[b, h, t] = x[b, h / (Hout / Hin), t] . W[h]` with `W [Hout, Din,
    Dout]`; `transposed` uses `W[h]^T` (`W [Hout, Dout, Din]`), which is how
    MLA folds W_UK into the query.
  }];
  let arguments = (ins Attn_Tensor4D:$input, Attn_Tensor3D:$weight,
                       UnitAttr:$transposed);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $input `,` $weight (`transposed` $transposed^)? attr-dict `:`
    type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Attn_RopeOp : Attn_Op<"rope", [AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding (rotate-half form)";
  let description = [{
    Rotates the pairs `(x_i, x_{i+D/2})` of token t by `pos * theta^(-2i/D)`,
    with `pos = t`, or `lengths[b] - T + t` with `lengths` (decode).
  }];
  let arguments = (ins Attn_Tensor4D:$input, F64Attr:$theta,
                       Optional<Attn_Lengths>:$lengths);
  let results = (outs Attn_Tensor4D:$result);
  let assemblyFormat = [{
    $input `theta` $theta (`lengths` $lengths^)? attr-dict `:` type($input)
    (`,` type($lengths)^)?
  }];
  let hasVerifier = 1;
}

def Attn_IndexScoreOp : Attn_Op<"index_score"> {
  let summary = "DSA indexer, I_ts = sum_j w_tj relu(q_tj . k_s)";
  let description = [{
    Indexer queries `[B, Hi, T, Di]`, one indexer key head `[B, 1, S, Di]`,
    weights `[B, Hi, T]`; the result `[B, 1, T, S]` is a score tensor (mask
    it, then `select_tokens`).
  }];
  let arguments = (ins Attn_Tensor4D:$query, Attn_Tensor4D:$key,
                       Attn_Tensor3D:$weights);
  let results = (outs Attn_Tensor4D:$scores);
  let assemblyFormat = [{
    $query `,` $key `,` $weights attr-dict `:` type($query) `,` type($key)
    `,` type($weights) `->` type($scores)
  }];
  let hasVerifier = 1;
}

def Attn_SelectTokensOp : Attn_Op<"select_tokens"> {
  let summary = "top-k keys per query by score (DSA)";
  let description = [{
    `[B, G, T, S]` scores to `[B, G, T, top]` key indices: the highest
    unmasked scores, ties to the lower index, ascending, padded with -1 when
    fewer than `top` keys are unmasked.
  }];
  let arguments = (ins Attn_Tensor4D:$scores, PositiveI64Attr:$top);
  let results = (outs Attn_Indices4D:$indices);
  let assemblyFormat = [{
    $scores `top` $top attr-dict `:` type($scores) `->` type($indices)
  }];
  let hasVerifier = 1;
}

def Attn_PagedCacheOp : Attn_Op<"paged_cache"> {
  let summary = "a KV cache kept in pages, as the [B, H, S, D] cache it holds";
  let description = [{
    ```mlir
    %k = attn.paged_cache %pages, %table
        : tensor<?x16x2x128xf32>, tensor<?x?xi32> -> tensor<?x2x?x128xf32>
    ```
    `pages [N, P, H, D]` holds N pages of P slots; `table [B, M]` names the
    page of each of a sequence's M page slots. Slot s of sequence b is
    `pages[table[b, s / P], s % P]`, so S = M x P. A table entry outside
    [0, N) reads zeros: entries past a sequence's length are free (a mask
    with `lengths` hides those slots).
  }];
  let arguments = (ins Attn_Tensor4D:$pages, Attn_PageTable:$table);
  let results = (outs Attn_Tensor4D:$cache);
  let assemblyFormat = [{
    $pages `,` $table attr-dict `:` type($pages) `,` type($table) `->`
    type($cache)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_OPS_TD
