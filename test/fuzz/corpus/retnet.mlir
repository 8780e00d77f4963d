// Retention (RetNet, Sun et al. 2023), parallel form without the group norm:
// o_t = sum_{s <= t} gamma_h^(t - s) (q_t . k_s / sqrt(Dk)) v_s with a constant
// per-head decay gamma_h = 1 - 2^(-5 - h), h = 0..7. The gates hold log(gamma_h)
// (rounded to f32); recurrent form: S_t = gamma_h S_{t-1} + k_t^T v_t, o_t = q_t S_t.
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T tokens)
//   %k  [B, 8, S, 64] f32   keys    (S = T: decay needs self-attention)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  // log(1 - 2^(-5 - h)) for h = 0..7
  %g = arith.constant dense<[-0.0317486971616745, -0.01574835740029812,
                             -0.007843177765607834, -0.003913899417966604,
                             -0.0019550349097698927, -0.0009770396864041686,
                             -0.0004884005174972117, -0.0002441704273223877]>
      : tensor<8xf32>
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x8x?x?xf32>, tensor<8xf32>
  %o = attn.aggregate %d, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
