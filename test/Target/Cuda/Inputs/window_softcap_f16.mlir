// Sliding-window (w = 200) softmax attention with a logit soft cap (50), f16,
// MQA (8 query heads, 1 KV head), head dim 64.
func.func @window_softcap(%q: tensor<?x8x?x64xf16>, %k: tensor<?x1x?x64xf16>,
                          %v: tensor<?x1x?x64xf16>) -> tensor<?x8x?x64xf16> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf16>, tensor<?x1x?x64xf16>) -> tensor<?x8x?x?xf32>
  %c = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %cap = arith.constant 50.0 : f32
    %y = arith.divf %x, %cap : f32
    %th = math.tanh %y : f32
    %z = arith.mulf %th, %cap : f32
    attn.yield %z : f32
  }
  %m = attn.mask %c, sliding_window(200) : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x1x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}
