// Causal softmax attention, multi-head (MHA): o = softmax(q k^T / sqrt(Dk) + causal) v.
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T query tokens)
//   %k  [B, 8, S, 64] f32   keys    (S key tokens; self-attention: S = T)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32. Query t sits at position S - T + t and sees keys
// s <= S - T + t; a query before every key (T > S) gets a zero row.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,D"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,D"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,D"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
