// Test-only variant of examples/dsa.mlir keeping only the top 4 tokens per query,
// so the selection really chooses (and k = 4 exceeds the key count for short S).
func.func @attention(%q: tensor<?x8x?x32xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x1x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %iq: tensor<?x4x?x16xf32> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x16xf32> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x4x?xf32> {attn.dims = "B,Hi,T"})
    -> tensor<?x8x?x16xf32> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>, tensor<?x4x?xf32>
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
