// f16, head dim 64, a sliding window of 200 keys.
func.func @window(%q: tensor<?x8x?x64xf16>, %k: tensor<?x8x?x64xf16>, %v: tensor<?x8x?x64xf16>) -> tensor<?x8x?x64xf16> {
  %s = attn.score %q, %k : (tensor<?x8x?x64xf16>, tensor<?x8x?x64xf16>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, sliding_window(200) : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf16> -> tensor<?x8x?x64xf16>
  return %o : tensor<?x8x?x64xf16>
}
