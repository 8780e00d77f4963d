// Causal GQA, bf16, head dim 128: 16 query heads over 4 key-value heads.
func.func @causal_gqa(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %s = attn.score %q, %k : (tensor<?x16x?x128xbf16>, tensor<?x4x?x128xbf16>) -> tensor<?x16x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x16x?x?xf32>
  %p = attn.softmax %m : tensor<?x16x?x?xf32>
  %o = attn.aggregate %p, %v : tensor<?x16x?x?xf32>, tensor<?x4x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
