// No decay, no initial state: plain causal linear attention.
func.func @attention(%q: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %v: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,Dv"})
    -> (tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>) {
  %o, %st = attn.scan %q, %k, %v
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>)
      -> (tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>) {
  ^bb0(%S: !attn.state<16x16xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>,
       %vt: tensor<16xf32>):
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<16x16xf32>, tensor<16xf32>, tensor<16xf32>
    %r = attn.state.read %u, %qt
        : !attn.state<16x16xf32>, tensor<16xf32> -> tensor<16xf32>
    attn.yield %u, %r : !attn.state<16x16xf32>, tensor<16xf32>
  }
  return %o, %st : tensor<?x2x?x16xf32>, tensor<?x2x16x16xf32>
}
