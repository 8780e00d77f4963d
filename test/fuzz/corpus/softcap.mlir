// Logit soft-capping (Gemma 2, Grok): scores x -> c * tanh(x / c) with c = 50,
// then causal softmax attention (MHA).
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T query tokens)
//   %k  [B, 8, S, 64] f32   keys    (S key tokens; self-attention: S = T)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32. Query t sits at position S - T + t.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %c = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %cap = arith.constant 50.0 : f32
    %y = arith.divf %x, %cap : f32
    %th = math.tanh %y : f32
    %z = arith.mulf %th, %cap : f32
    attn.yield %z : f32
  }
  %m = attn.mask %c, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
