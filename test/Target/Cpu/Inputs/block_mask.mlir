// Softmax attention restricted to selected key blocks of 16 (NSA's selection
// branch with the indices given): the block mask inside the fused kernel.
func.func @attention(%q: tensor<?x4x?x32xf32> {attn.dims = "B,H,T,D"},
                     %k: tensor<?x2x?x32xf32> {attn.dims = "B,Hkv,S,D"},
                     %v: tensor<?x2x?x32xf32> {attn.dims = "B,Hkv,S,D"},
                     %idx: tensor<?x2x?x3xi32> {attn.dims = "B,Hkv,T,N"})
    -> tensor<?x4x?x32xf32> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x32xf32>, tensor<?x2x?x32xf32>) -> tensor<?x4x?x?xf32>
  %c = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %b = attn.block_mask %c, %idx, block 16
      : tensor<?x4x?x?xf32>, tensor<?x2x?x3xi32>
  %p = attn.softmax %b : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}
