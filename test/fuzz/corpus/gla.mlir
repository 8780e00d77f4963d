// Gated linear attention (GLA, Yang et al. 2024): a data-dependent decay per key
// dimension, S_t = diag(exp(g_t)) S_{t-1} + k_t^T v_t, o_t = q_t S_t / sqrt(Dk).
// Parallel form: o_t = sum_{s <= t} (sum_d q_td k_sd exp(G_td - G_sd)) v_s / sqrt(Dk),
// G the cumulative sum of g over time.
//
// Arguments of @attention:
//   %q  [B, 4, T, 64]  f32   queries (B batch, 4 heads, T tokens)
//   %k  [B, 4, S, 64]  f32   keys    (S = T: the decay needs self-attention)
//   %v  [B, 4, S, 128] f32   values
//   %g  [B, 4, T, 64]  f32   log-decays (< 0) per step and key dimension
// Result: [B, 4, T, 128] f32.
func.func @attention(%q: tensor<?x4x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x4x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x4x?x128xf32> {attn.dims = "B,H,S,Dv"},
                     %g: tensor<?x4x?x64xf32> {attn.dims = "B,H,T,Dk"})
    -> tensor<?x4x?x128xf32> {
  %s = attn.score %q, %k decay %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> tensor<?x4x?x?xf32>
  %o = attn.aggregate %s, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return %o : tensor<?x4x?x128xf32>
}
