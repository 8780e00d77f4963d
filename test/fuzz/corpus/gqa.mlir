// Grouped-query attention (GQA), causal softmax: 8 query heads share 2 key/value
// heads; query head h reads kv head h / 4.
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, Hq = 8 heads, T query tokens)
//   %k  [B, 2, S, 64] f32   keys    (Hkv = 2 heads, S key tokens; self-attention: S = T)
//   %v  [B, 2, S, 64] f32   values
// Result: [B, 8, T, 64] f32. Query t sits at position S - T + t.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
