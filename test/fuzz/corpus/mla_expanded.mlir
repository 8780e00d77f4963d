// Multi-head Latent Attention (MLA, DeepSeek-V2/V3) written the natural way: keys
// and values are up-projected per head from one low-rank latent per token, then
// ordinary causal softmax attention runs over them. Per head h:
//   k_nope = c_kv W_UK[h]            v = c_kv W_UV[h]
//   score_ts = (q_nope_t . k_nope_s + rope(q_rope)_t . k_rope_s) / sqrt(128 + 64)
//   o_t      = sum_s softmax_s(score_ts) v_s
// Only c_kv (512 wide) and the 64-wide RoPE key, shared by all heads, are cached.
// `attn-absorb-mla` rewrites @attention (decode over the cache) into the absorbed
// form of mla_decode.mlir and leaves @prefill as it is.
//
// @attention: decode, T new tokens over the latent cache. Query t of sequence b sits
// at position lengths[b] - T + t: it sees cache entries s <= that position (and
// s < lengths[b]), and its rope part is rotated by that position. The cached
// k_rope is already rotated.
//   %q_nope  [B, 16, T, 128] f32  no-position part of the queries (16 heads)
//   %q_rope  [B, 16, T, 64]  f32  decoupled RoPE part of the queries (not yet rotated)
//   %c_kv    [B, 1, S, 512]  f32  latent cache (S cache slots)
//   %k_rope  [B, 1, S, 64]   f32  rotated RoPE key cache, shared by all heads
//   %w_uk    [16, 512, 128]  f32  key up-projection W_UK[h]: latent (512) -> head (128)
//   %w_uv    [16, 512, 128]  f32  value up-projection W_UV[h]: latent (512) -> head (128)
//   %lengths [B]             i64  tokens in each sequence's cache, new ones included
// Result: [B, 16, T, 128] f32.
func.func @attention(%q_nope: tensor<?x16x?x128xf32> {attn.dims = "B,H,T,Dn"},
                     %q_rope: tensor<?x16x?x64xf32> {attn.dims = "B,H,T,Dr"},
                     %c_kv: tensor<?x1x?x512xf32> {attn.dims = "B,Hc,S,Dc"},
                     %k_rope: tensor<?x1x?x64xf32> {attn.dims = "B,Hc,S,Dr"},
                     %w_uk: tensor<16x512x128xf32>,
                     %w_uv: tensor<16x512x128xf32>,
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x16x?x128xf32> {
  %k_nope = attn.project %c_kv, %w_uk
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  %qr = attn.rope %q_rope theta 10000.0 lengths %lengths
      : tensor<?x16x?x64xf32>, tensor<?xi64>
  %s = attn.score %q_nope, %k_nope + %qr, %k_rope
      : (tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>,
         tensor<?x16x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x16x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x16x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x16x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x16x?x?xf32>, tensor<?x16x?x128xf32> -> tensor<?x16x?x128xf32>
  return %o : tensor<?x16x?x128xf32>
}

// @prefill: causal self-attention over T tokens (no cache); token t sits at
// position t, and both RoPE parts are rotated here.
//   %q_nope [B, 16, T, 128] f32   %q_rope [B, 16, T, 64] f32
//   %c_kv   [B, 1, T, 512]  f32   latent of each token
//   %k_rope [B, 1, T, 64]   f32   RoPE key of each token (not yet rotated)
//   %w_uk, %w_uv [16, 512, 128] f32   as in @attention
// Result: [B, 16, T, 128] f32.
func.func @prefill(%q_nope: tensor<?x16x?x128xf32> {attn.dims = "B,H,T,Dn"},
                   %q_rope: tensor<?x16x?x64xf32> {attn.dims = "B,H,T,Dr"},
                   %c_kv: tensor<?x1x?x512xf32> {attn.dims = "B,Hc,T,Dc"},
                   %k_rope: tensor<?x1x?x64xf32> {attn.dims = "B,Hc,T,Dr"},
                   %w_uk: tensor<16x512x128xf32>,
                   %w_uv: tensor<16x512x128xf32>)
    -> tensor<?x16x?x128xf32> {
  %k_nope = attn.project %c_kv, %w_uk
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  %qr = attn.rope %q_rope theta 10000.0 : tensor<?x16x?x64xf32>
  %kr = attn.rope %k_rope theta 10000.0 : tensor<?x1x?x64xf32>
  %s = attn.score %q_nope, %k_nope + %qr, %kr
      : (tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>,
         tensor<?x16x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x16x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x16x?x?xf32>
  %p = attn.softmax %m : tensor<?x16x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x16x?x?xf32>, tensor<?x16x?x128xf32> -> tensor<?x16x?x128xf32>
  return %o : tensor<?x16x?x128xf32>
}
