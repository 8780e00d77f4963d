// Multi-head Latent Attention (MLA, DeepSeek-V2/V3) decode over the latent cache,
// with W_UK absorbed into the query and W_UV applied after the weighted sum.
// Per head h, with the un-absorbed keys k_nope = c_kv W_UK[h], values c_kv W_UV[h]:
//   score_ts = (q_nope_t . k_nope_s + rope(q_rope)_t . k_rope_s) / sqrt(128 + 64)
//   o_t      = sum_s softmax_s(score_ts) (c_kv_s W_UV[h])
// computed as attention of q_nope_t W_UK[h]^T (512 wide) over c_kv, one latent head
// shared by all 16 query heads. Query t of sequence b sits at position
// lengths[b] - T + t: it sees cache entries s <= that position (and s < lengths[b]),
// and its rope part is rotated by that position. The cached k_rope is already rotated.
//
// Arguments of @attention:
//   %q_nope  [B, 16, T, 128] f32  no-position part of the queries (16 heads, T new tokens)
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
  %qr = attn.rope %q_rope theta 10000.0 lengths %lengths
      : tensor<?x16x?x64xf32>, tensor<?xi64>
  %ql = attn.project %q_nope, %w_uk transposed
      : tensor<?x16x?x128xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x512xf32>
  // 1 / sqrt(128 + 64): the scale of the un-absorbed head dims
  %s = attn.score %ql, %c_kv + %qr, %k_rope scale 0.07216878364870323
      : (tensor<?x16x?x512xf32>, tensor<?x1x?x512xf32>,
         tensor<?x16x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x16x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x16x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x16x?x?xf32>
  %ol = attn.aggregate %p, %c_kv
      : tensor<?x16x?x?xf32>, tensor<?x1x?x512xf32> -> tensor<?x16x?x512xf32>
  %o = attn.project %ol, %w_uv
      : tensor<?x16x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  return %o : tensor<?x16x?x128xf32>
}
