// Softmax decode over a paged KV cache (examples/paged_decode.mlir in bf16):
// 8 query heads over 2 KV heads, pages of 16 slots.
func.func @paged(%q: tensor<?x8x?x128xbf16>, %k_pages: tensor<?x16x2x128xbf16>,
                 %v_pages: tensor<?x16x2x128xbf16>, %table: tensor<?x?xi32>,
                 %lengths: tensor<?xi64>) -> tensor<?x8x?x128xbf16> {
  %k = attn.paged_cache %k_pages, %table
      : tensor<?x16x2x128xbf16>, tensor<?x?xi32> -> tensor<?x2x?x128xbf16>
  %v = attn.paged_cache %v_pages, %table
      : tensor<?x16x2x128xbf16>, tensor<?x?xi32> -> tensor<?x2x?x128xbf16>
  %s = attn.score %q, %k
      : (tensor<?x8x?x128xbf16>, tensor<?x2x?x128xbf16>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x8x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x128xbf16> -> tensor<?x8x?x128xbf16>
  return %o : tensor<?x8x?x128xbf16>
}
