// dsa_latent_bf16.mlir over a paged latent cache: the latent rows and RoPE
// keys in pools of 16-slot pages read through one table (the indexer keys
// stay contiguous).
func.func @dsa_paged(%q: tensor<?x128x?x512xbf16> {attn.dims = "B,H,T,Dc"},
                     %qr: tensor<?x128x?x64xbf16> {attn.dims = "B,H,T,Dr"},
                     %c_pages: tensor<?x16x1x512xbf16> {attn.dims = "N,P,Hc,Dc"},
                     %kr_pages: tensor<?x16x1x64xbf16> {attn.dims = "N,P,Hc,Dr"},
                     %table: tensor<?x?xi32> {attn.dims = "B,M"},
                     %iq: tensor<?x64x?x128xbf16> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x128xbf16> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x64x?xf32> {attn.dims = "B,Hi,T"},
                     %lengths: tensor<?xi32> {attn.dims = "B"})
    -> tensor<?x128x?x512xbf16> {
  %c = attn.paged_cache %c_pages, %table
      : tensor<?x16x1x512xbf16>, tensor<?x?xi32> -> tensor<?x1x?x512xbf16>
  %kr = attn.paged_cache %kr_pages, %table
      : tensor<?x16x1x64xbf16>, tensor<?x?xi32> -> tensor<?x1x?x64xbf16>
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
