// bf16, a tanh softcap, a causal mask over per-sequence key lengths, and a
// value head dim (256) other than the key's (128).
func.func @softcap_lengths(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x8x?x128xbf16>, %v: tensor<?x8x?x256xbf16>, %lengths: tensor<?xi64>) -> tensor<?x8x?x256xbf16> {
  %s = attn.score %q, %k : (tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>) -> tensor<?x8x?x?xf32>
  %c = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %cap = arith.constant 50.0 : f32
    %y = arith.divf %x, %cap : f32
    %th = math.tanh %y : f32
    %z = arith.mulf %th, %cap : f32
    attn.yield %z : f32
  }
  %m = attn.mask %c, causal lengths %lengths : tensor<?x8x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v : tensor<?x8x?x?xf32>, tensor<?x8x?x256xbf16> -> tensor<?x8x?x256xbf16>
  return %o : tensor<?x8x?x256xbf16>
}
