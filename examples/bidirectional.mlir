// Bidirectional (encoder / cross) softmax attention, no mask:
// o = softmax(q k^T / sqrt(Dk)) v. Every query sees every key; S may differ from T.
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T query tokens)
//   %k  [B, 8, S, 64] f32   keys    (S key tokens)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %p = attn.softmax %s : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
