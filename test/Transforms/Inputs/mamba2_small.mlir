// Test-only copy of examples/mamba2.mlir with one head and a state of 16 x 8,
// so that the quadratic form runs quickly at T = 4096.
func.func @attention(%c: tensor<?x1x?x16xf32> {attn.dims = "B,H,T,N"},
                     %b: tensor<?x1x?x16xf32> {attn.dims = "B,H,S,N"},
                     %x: tensor<?x1x?x8xf32> {attn.dims = "B,H,S,P"},
                     %g: tensor<?x1x?xf32> {attn.dims = "B,H,T"})
    -> tensor<?x1x?x8xf32> {
  %s = attn.score %c, %b scale 1.0
      : (tensor<?x1x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x1x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x1x?x?xf32>, tensor<?x1x?xf32>
  %o = attn.aggregate %d, %x
      : tensor<?x1x?x?xf32>, tensor<?x1x?x8xf32> -> tensor<?x1x?x8xf32>
  return %o : tensor<?x1x?x8xf32>
}
