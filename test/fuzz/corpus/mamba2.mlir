// Mamba-2 (SSD, Dao & Gu 2024) in its attention form, a scalar data-dependent decay:
// o_t = sum_{s <= t} exp(sum_{r = s+1..t} g_r) (C_t . B_s) x_s, i.e. the recurrence
// S_t = exp(g_t) S_{t-1} + B_t^T x_t, o_t = C_t S_t. Scale 1.
//
// Arguments of @attention:
//   %c  [B, 8, T, 64] f32   C, the queries (B batch, 8 heads, T tokens, state size 64)
//   %b  [B, 8, S, 64] f32   B, the keys (S = T: decay needs self-attention)
//   %x  [B, 8, S, 64] f32   x, the values (head dim 64)
//   %g  [B, 8, T]     f32   log-decays g_t = dt_t * A_h (< 0), one per head and step
// Result: [B, 8, T, 64] f32.
func.func @attention(%c: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,N"},
                     %b: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,N"},
                     %x: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,P"},
                     %g: tensor<?x8x?xf32> {attn.dims = "B,H,T"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %c, %b scale 1.0
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x8x?x?xf32>, tensor<?x8x?xf32>
  %o = attn.aggregate %d, %x
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
