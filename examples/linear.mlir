// Causal linear attention (Katharopoulos et al. 2020), unnormalized:
// o_t = sum_{s <= t} (phi(q_t) . phi(k_s)) v_s with phi(x) = elu(x) + 1, scale 1.
// Reassociated, this is the recurrence S_t = S_{t-1} + phi(k_t)^T v_t, o_t = phi(q_t) S_t.
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T tokens)
//   %k  [B, 8, S, 64] f32   keys    (S = T: self-attention)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %fq = attn.feature_map %q, elu_plus_one : tensor<?x8x?x64xf32>
  %fk = attn.feature_map %k, elu_plus_one : tensor<?x8x?x64xf32>
  %s = attn.score %fq, %fk scale 1.0
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
