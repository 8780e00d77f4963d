// Scalar data-dependent decay with an initial state; returns the outputs and
// the final state.
func.func @attention(%q: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %v: tensor<?x2x?x8xf32> {attn.dims = "B,H,T,Dv"},
                     %g: tensor<?x2x?xf32> {attn.dims = "B,H,T"},
                     %s0: tensor<?x2x16x8xf32> {attn.dims = "B,H,Dk,Dv"})
    -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>) {
  %o, %st = attn.scan %q, %k, %v gates %g init %s0
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>,
         tensor<?x2x?xf32>, tensor<?x2x16x8xf32>)
      -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>) {
  ^bb0(%S: !attn.state<16x8xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>,
       %vt: tensor<8xf32>, %gt: f32):
    %d = attn.state.decay %S, %gt : !attn.state<16x8xf32>, f32
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
    %r = attn.state.read %u, %qt scale 2.500000e-01
        : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
    attn.yield %u, %r : !attn.state<16x8xf32>, tensor<8xf32>
  }
  return %o, %st : tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>
}
