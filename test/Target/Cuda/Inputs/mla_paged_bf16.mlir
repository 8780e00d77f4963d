// MLA's attention over a paged latent cache (FlashMLA's layout): the
// latent rows and RoPE keys live in pools of 64-slot pages read through one
// page table; 16 query heads.
func.func @mla_paged(%q: tensor<?x16x?x512xbf16>, %qr: tensor<?x16x?x64xbf16>,
                     %c_pages: tensor<?x64x1x512xbf16>, %kr_pages: tensor<?x64x1x64xbf16>,
                     %table: tensor<?x?xi32>, %lengths: tensor<?xi32>) -> tensor<?x16x?x512xbf16> {
  %c = attn.paged_cache %c_pages, %table
      : tensor<?x64x1x512xbf16>, tensor<?x?xi32> -> tensor<?x1x?x512xbf16>
  %kr = attn.paged_cache %kr_pages, %table
      : tensor<?x64x1x64xbf16>, tensor<?x?xi32> -> tensor<?x1x?x64xbf16>
  %s = attn.score %q, %c + %qr, %kr scale 0.0721687836
      : (tensor<?x16x?x512xbf16>, tensor<?x1x?x512xbf16>, tensor<?x16x?x64xbf16>, tensor<?x1x?x64xbf16>)
      -> tensor<?x16x?x?xbf16>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x16x?x?xbf16>, tensor<?xi32>
  %p = attn.softmax %m : tensor<?x16x?x?xbf16>
  %o = attn.aggregate %p, %c : tensor<?x16x?x?xbf16>, tensor<?x1x?x512xbf16> -> tensor<?x16x?x512xbf16>
  return %o : tensor<?x16x?x512xbf16>
}
