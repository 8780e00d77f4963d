// Per-key (GLA) decay with GQA: 4 query heads share 2 key/value heads.
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,T,Dk"},
                     %v: tensor<?x2x?x8xf32> {attn.dims = "B,Hkv,T,Dv"},
                     %g: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %s0: tensor<?x4x16x8xf32> {attn.dims = "B,Hq,Dk,Dv"})
    -> (tensor<?x4x?x8xf32>, tensor<?x4x16x8xf32>) {
  %o, %st = attn.scan %q, %k, %v gates %g init %s0
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>,
         tensor<?x4x?x16xf32>, tensor<?x4x16x8xf32>)
      -> (tensor<?x4x?x8xf32>, tensor<?x4x16x8xf32>) {
  ^bb0(%S: !attn.state<16x8xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>,
       %vt: tensor<8xf32>, %gt: tensor<16xf32>):
    %d = attn.state.decay %S, %gt : !attn.state<16x8xf32>, tensor<16xf32>
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
    %r = attn.state.read %u, %qt
        : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
    attn.yield %u, %r : !attn.state<16x8xf32>, tensor<8xf32>
  }
  return %o, %st : tensor<?x4x?x8xf32>, tensor<?x4x16x8xf32>
}
