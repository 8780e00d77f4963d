// Sliding-window attention (Mistral / Gemma local layers), causal softmax with GQA:
// query t at position p = S - T + t sees the keys p - 64 < s <= p (window w = 64).
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, Hq = 8 heads, T query tokens)
//   %k  [B, 2, S, 64] f32   keys    (Hkv = 2 heads, S key tokens; self-attention: S = T)
//   %v  [B, 2, S, 64] f32   values
// Result: [B, 8, T, 64] f32.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, sliding_window(64) : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
