// ALiBi (Press et al. 2022): causal softmax attention with a linear distance bias,
// scores x -> x + m_h * (s - t), slope m_h = 2^(-8 (h + 1) / H) for head h of H = 8.
// The bias is written on the key and query indices s and t, which are token
// positions in self-attention (S = T, the default).
//
// Arguments of @attention:
//   %q  [B, 8, T, 64] f32   queries (B batch, 8 heads, T query tokens)
//   %k  [B, 8, S, 64] f32   keys    (S key tokens; S = T)
//   %v  [B, 8, S, 64] f32   values
// Result: [B, 8, T, 64] f32.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x8x?x64xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %a = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    // slope = exp2(-(8 / H) * (h + 1))
    %one = arith.constant 1.0 : f32
    %step = arith.constant -1.0 : f32       // -8 / H with H = 8
    %hi = arith.index_cast %h : index to i64
    %hf = arith.sitofp %hi : i64 to f32
    %h1 = arith.addf %hf, %one : f32
    %e = arith.mulf %h1, %step : f32
    %slope = math.exp2 %e : f32
    // distance s - t (<= 0 for the keys a causal query sees)
    %ji = arith.index_cast %j : index to i64
    %ti = arith.index_cast %t : index to i64
    %di = arith.subi %ji, %ti : i64
    %df = arith.sitofp %di : i64 to f32
    %bias = arith.mulf %slope, %df : f32
    %y = arith.addf %x, %bias : f32
    attn.yield %y : f32
  }
  %m = attn.mask %a, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
