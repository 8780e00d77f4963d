// DeepSeek-V3.2 decode's sparse attention over the latent cache (DSA over
// MLA after attn-absorb-mla): the lightning indexer (64 heads of 128) scores
// the cache, each query keeps its top 2048 keys, and 128 query heads attend
// over only those latent rows (512 + RoPE 64).
func.func @dsa_latent(%q: tensor<?x128x?x512xbf16> {attn.dims = "B,H,T,Dc"},
                      %qr: tensor<?x128x?x64xbf16> {attn.dims = "B,H,T,Dr"},
                      %c: tensor<?x1x?x512xbf16> {attn.dims = "B,Hc,S,Dc"},
                      %kr: tensor<?x1x?x64xbf16> {attn.dims = "B,Hc,S,Dr"},
                      %iq: tensor<?x64x?x128xbf16> {attn.dims = "B,Hi,T,Di"},
                      %ik: tensor<?x1x?x128xbf16> {attn.dims = "B,Hik,S,Di"},
                      %iw: tensor<?x64x?xf32> {attn.dims = "B,Hi,T"},
                      %lengths: tensor<?xi32> {attn.dims = "B"})
    -> tensor<?x128x?x512xbf16> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x64x?x128xbf16>, tensor<?x1x?x128xbf16>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xbf16>
  %im = attn.mask %is, causal lengths %lengths : tensor<?x1x?x?xbf16>, tensor<?xi32>
  %sel = attn.select_tokens %im top 2048 : tensor<?x1x?x?xbf16> -> tensor<?x1x?x2048xi64>
  %s = attn.score %q, %c + %qr, %kr scale 0.07216878364870323
      : (tensor<?x128x?x512xbf16>, tensor<?x1x?x512xbf16>,
         tensor<?x128x?x64xbf16>, tensor<?x1x?x64xbf16>) -> tensor<?x128x?x?xbf16>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x128x?x?xbf16>, tensor<?xi32>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x128x?x?xbf16>, tensor<?x1x?x2048xi64>
  %p = attn.softmax %b : tensor<?x128x?x?xbf16>
  %o = attn.aggregate %p, %c
      : tensor<?x128x?x?xbf16>, tensor<?x1x?x512xbf16> -> tensor<?x128x?x512xbf16>
  return %o : tensor<?x128x?x512xbf16>
}
