//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ReassociateLinear : Pass<"attn-reassociate-linear", "mlir::func::FuncOp"> {
  let summary = "Rewrite linear attention into the recurrent state form";
  let description = [{
    Where no normalizing softmax stands between scores and aggregation,
    `(phi(Q) phi(K)^T ⊙ M) V` is reassociated: under a causal mask into an
    `attn.scan` carrying a Dk x Dv state (`S_t = a_t S_{t-1} + k_t^T v_t`,
    `o_t = scale * q_t S_t`), with a scalar `attn.decay` or a per-key score
    decay becoming the state decay; without a mask into the global state
    `K^T V` read by every query. Anything else (softmax, score mods, other
    masks, per-sequence lengths) is left alone; with `explain` a remark at
    the aggregate says why.
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark wherever the rewrite does not apply, saying why">
  ];
  let dependentDialects = ["::attn::AttnDialect"];
}

def Chunk : Pass<"attn-chunk", "mlir::func::FuncOp"> {
  let summary = "Rewrite recurrent linear attention into the chunkwise form";
  let description = [{
    Turns an `attn.scan` whose body is the gated linear recurrence (state
    decay, update, read) into `attn.chunked_scan`: dense intra-chunk blocks
    with the decay mask and an inter-chunk state carry, gates cumulated in
    log space. Any T works; the last chunk is shorter.
  }];
  let options = [
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"64",
           "Steps per chunk (multiples of 16 feed tensor cores)">,
    Option<"materialize", "materialize-states", "bool", /*default=*/"false",
           "Compute every chunk's state first, then combine them (the form "
           "that parallelizes across chunks), and keep the per-chunk states">
  ];
  let dependentDialects = ["::attn::AttnDialect"];
}

def ExposeState : Pass<"attn-expose-state", "mlir::ModuleOp"> {
  let summary = "Make recurrent states function inputs and outputs";
  let description = [{
    For every `attn.scan` or `attn.chunked_scan` without an initial state,
    adds a function argument for it (`[B, Hq, Dk, Dv]`, named "B,Hq,Dk,Dv")
    and returns its final state as an extra result: the form generation uses,
    one token (or chunk) at a time with the state carried between calls.
  }];
  let dependentDialects = ["::attn::AttnDialect"];
}

def AbsorbMla : Pass<"attn-absorb-mla", "mlir::func::FuncOp"> {
  let summary = "Absorb MLA's up-projections: attention over the latent cache";
  let description = [{
    Where keys and values are per-head up-projections of latents
    (`k = attn.project %c, %W_UK`, `v = attn.project %c, %W_UV`, one weight
    per query head), the up-projections move to the query and the output:
    `q . (c W_UK[h]) = (q W_UK[h]^T) . c` becomes `attn.project %q, %W_UK
    transposed` scored against the latent, and `sum_s p_s (c_s W_UV[h])`
    becomes `attn.project (attn.aggregate %p, %c), %W_UV`. Attention then runs
    over the latent cache itself, one latent head for all query heads; score
    pairs whose keys are not projections (MLA's RoPE part) stay as they are,
    and the score keeps the scale it had. Between the score and the aggregate
    may stand masks, block masks, score mods, feature maps, softmax and decays
    (the scores they act on do not change); a per-key score decay, which
    weighs the key dims, blocks the rewrite.

    Per head and absorbed projection, the expanded form spends `S Dc D`
    multiply-adds up-projecting the cache and `T S D` attending, the absorbed
    one `T Dc D` projecting queries or outputs and `T S Dc` attending. Over a
    long cache (S >> T) absorbing wins while `T sum(Dc - D) < sum(Dc D)`
    (T < 171 for DeepSeek's Dc = 512 and D = 128 for keys and values); for a
    sequence attending to itself (prefill, S = T) it never wins when Dc > D.
    `mode=auto` therefore absorbs attention over a cache, where a mask has
    per-sequence `lengths` (the decode form), unless T is static and past that
    bound; `mode=always` absorbs every match. Anything else is left alone;
    with `explain` a remark at the aggregate says why.
  }];
  let options = [
    Option<"mode", "mode", "::attn::AbsorbMode", /*default=*/"::attn::AbsorbMode::Auto",
           "When to absorb",
           [{::llvm::cl::values(
             clEnumValN(::attn::AbsorbMode::Auto, "auto",
                        "attention over a cache (per-sequence lengths) with "
                        "few queries"),
             clEnumValN(::attn::AbsorbMode::Always, "always",
                        "every match"))}]>,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark wherever the rewrite does not apply, saying why">
  ];
  let dependentDialects = ["::attn::AttnDialect"];
}

def FuseNsa : Pass<"attn-fuse-nsa", "mlir::func::FuncOp"> {
  let summary = "Fuse Native Sparse Attention's three branches into attn.nsa";
  let description = [{
    Replaces an `attn.gate_combine` of NSA's three softmax branches, in any
    order, with one `attn.nsa`: the compressed branch (attention over
    `attn.compress`ed keys and values, mean or MLP pooling, under a
    `compressed(l, d)` mask), the selected branch (a causal mask and an
    `attn.block_mask` whose indices `attn.select_blocks` ranks from the
    compressed branch's probabilities, one selection per KV head) and the
    sliding-window branch, all scoring the same queries and keys at one scale
    and reading the same values. The selection block must be a multiple of
    the compression stride, and the program self-attention (as many keys as
    queries, as NSA's ops assume). Anything else is left alone; with
    `explain` a remark at the gate_combine says why.
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark wherever the fusion does not apply, saying why">
  ];
  let dependentDialects = ["::attn::AttnDialect"];
}

def FuseAttention : Pass<"attn-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Fuse softmax attention into attn.attention";
  let description = [{
    Replaces `aggregate(softmax(chain(score(q, k))), v)` with one
    `attn.attention`, where the chain is any sequence of `attn.mask`,
    `attn.block_mask` and `attn.score_mod` ops: the positional masks become
    declarative attributes, the block mask its `select` operand, and the score
    mods one body (applied in order; a score one mod masks stays masked for
    the next, as attn.score_mod says). The result's log-sum-exp is there for
    the backward. Left alone, with a remark under `explain` saying why: a
    per-key decayed score (linear attention's), masks counting positions
    from different key lengths, and more than one block mask. Run it after
    attn-fuse-nsa and attn-absorb-mla, whose matches it would otherwise take.
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Emit a remark wherever the fusion does not apply, saying why">
  ];
  let dependentDialects = ["::attn::AttnDialect"];
}

def DecomposeAttention : Pass<"attn-decompose-attention", "mlir::func::FuncOp"> {
  let summary = "Decompose attn.attention into score, masks, softmax, aggregate";
  let description = [{
    The inverse of attn-fuse-attention and the definition of attn.attention:
    each op becomes attn.score, its attn.mask ops, attn.block_mask,
    attn.score_mod, attn.softmax, attn.aggregate and attn.logsumexp. The
    interpreter runs attn.attention this way.
  }];
  let dependentDialects = ["::attn::AttnDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
