// Test-only f64 copy of examples/mamba2.mlir with 2 heads and a 12 x 6 state,
// so that a state carried between calls loses nothing to rounding.
func.func @attention(%c: tensor<?x2x?x12xf64> {attn.dims = "B,H,T,N"},
                     %b: tensor<?x2x?x12xf64> {attn.dims = "B,H,S,N"},
                     %x: tensor<?x2x?x6xf64> {attn.dims = "B,H,S,P"},
                     %g: tensor<?x2x?xf64> {attn.dims = "B,H,T"})
    -> tensor<?x2x?x6xf64> {
  %s = attn.score %c, %b scale 0.5
      : (tensor<?x2x?x12xf64>, tensor<?x2x?x12xf64>) -> tensor<?x2x?x?xf64>
  %d = attn.decay %s, %g : tensor<?x2x?x?xf64>, tensor<?x2x?xf64>
  %o = attn.aggregate %d, %x
      : tensor<?x2x?x?xf64>, tensor<?x2x?x6xf64> -> tensor<?x2x?x6xf64>
  return %o : tensor<?x2x?x6xf64>
}
