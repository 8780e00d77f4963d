// MLA decode's attention over the latent cache (the core of
// examples/mla_decode.mlir after attn-absorb-mla, its queries already
// projected by W_UK and rotated): 128 query heads, one latent head of width
// 512 plus a 64-wide RoPE key, the latent rows also the values.
func.func @mla_latent(%q: tensor<?x128x?x512xbf16> {attn.dims = "B,H,T,Dc"},
                      %qr: tensor<?x128x?x64xbf16> {attn.dims = "B,H,T,Dr"},
                      %c: tensor<?x1x?x512xbf16> {attn.dims = "B,Hc,S,Dc"},
                      %kr: tensor<?x1x?x64xbf16> {attn.dims = "B,Hc,S,Dr"},
                      %lengths: tensor<?xi32> {attn.dims = "B"})
    -> tensor<?x128x?x512xbf16> {
  %s = attn.score %q, %c + %qr, %kr scale 0.07216878364870323
      : (tensor<?x128x?x512xbf16>, tensor<?x1x?x512xbf16>,
         tensor<?x128x?x64xbf16>, tensor<?x1x?x64xbf16>) -> tensor<?x128x?x?xbf16>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x128x?x?xbf16>, tensor<?xi32>
  %p = attn.softmax %m : tensor<?x128x?x?xbf16>
  %o = attn.aggregate %p, %c
      : tensor<?x128x?x?xbf16>, tensor<?x1x?x512xbf16> -> tensor<?x128x?x512xbf16>
  return %o : tensor<?x128x?x512xbf16>
}
