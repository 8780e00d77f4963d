// Causal softmax attention with bf16 inputs and result.
func.func @attention(%q: tensor<?x8x?x64xbf16> {attn.dims = "B,H,T,D"},
                     %k: tensor<?x8x?x64xbf16> {attn.dims = "B,H,S,D"},
                     %v: tensor<?x8x?x64xbf16> {attn.dims = "B,H,S,D"})
    -> tensor<?x8x?x64xbf16> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xbf16>, tensor<?x8x?x64xbf16>) -> tensor<?x8x?x?xbf16>
  %m = attn.mask %s, causal : tensor<?x8x?x?xbf16>
  %p = attn.softmax %m : tensor<?x8x?x?xbf16>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xbf16>, tensor<?x8x?x64xbf16> -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
