// Test-only variant of examples/dsa.mlir with one indexer head (Hi = 1, Di = 8) and
// top 4: for a query whose indexer weight is negative every index score is <= 0 and
// about half the keys tie at exactly 0 (relu), so the tie rule (lower index first)
// decides the selection.
func.func @attention(%q: tensor<?x8x?x32xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x1x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %iq: tensor<?x1x?x8xf32> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x8xf32> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x1x?xf32> {attn.dims = "B,Hi,T"})
    -> tensor<?x8x?x16xf32> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x1x?xf32>
      -> tensor<?x1x?x?xf32>
  %im = attn.mask %is, causal : tensor<?x1x?x?xf32>
  %sel = attn.select_tokens %im top 4 : tensor<?x1x?x?xf32> -> tensor<?x1x?x4xi64>
  %s = attn.score %q, %k
      : (tensor<?x8x?x32xf32>, tensor<?x1x?x32xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x8x?x?xf32>, tensor<?x1x?x4xi64>
  %p = attn.softmax %b : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}
