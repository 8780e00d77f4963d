// Benchmark variant: causal softmax attention, 8 heads, head dim 128, f32.
// o = softmax(q k^T / sqrt(128) + causal) v.
//
// Arguments of @softmax_causal:
//   %q  [B, 8, T, 128] f32   queries
//   %k  [B, 8, S, 128] f32   keys (self-attention: S = T)
//   %v  [B, 8, S, 128] f32   values
// Result: [B, 8, T, 128] f32.
func.func @softmax_causal(%q: tensor<?x8x?x128xf32> {attn.dims = "B,H,T,D"},
                          %k: tensor<?x8x?x128xf32> {attn.dims = "B,H,S,D"},
                          %v: tensor<?x8x?x128xf32> {attn.dims = "B,H,S,D"})
    -> tensor<?x8x?x128xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x128xf32>, tensor<?x8x?x128xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x128xf32> -> tensor<?x8x?x128xf32>
  return %o : tensor<?x8x?x128xf32>
}
