// Test-only DSA decode over a cache with per-sequence lengths: dsa_top4.mlir with
// `lengths` on both masks. Query t of sequence b sits at lengths[b] - T + t; the
// indexer and the attention see only the first lengths[b] cache entries, so k = 4
// exceeds the keys of short sequences.
func.func @attention(%q: tensor<?x8x?x32xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x1x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %iq: tensor<?x4x?x16xf32> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x16xf32> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x4x?xf32> {attn.dims = "B,Hi,T"},
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x8x?x16xf32> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x4x?xf32>
      -> tensor<?x1x?x?xf32>
  %im = attn.mask %is, causal lengths %lengths : tensor<?x1x?x?xf32>, tensor<?xi64>
  %sel = attn.select_tokens %im top 4 : tensor<?x1x?x?xf32> -> tensor<?x1x?x4xi64>
  %s = attn.score %q, %k
      : (tensor<?x8x?x32xf32>, tensor<?x1x?x32xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x8x?x?xf32>, tensor<?xi64>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x8x?x?xf32>, tensor<?x1x?x4xi64>
  %p = attn.softmax %b : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}
