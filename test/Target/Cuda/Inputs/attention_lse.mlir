// attn.attention returning its log-sum-exp too, over f32 storage.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %len: tensor<?xi32> {attn.dims = "B"})
    -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v scale 0.125 masks(causal) lengths %len
      : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>,
         tensor<?xi32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>)
  return %o, %lse : tensor<?x8x?x64xf32>, tensor<?x8x?xf32>
}

// The log-sum-exp alone is not a launcher result.
func.func @lse_only(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                    %v: tensor<?x2x?x64xf32>) -> tensor<?x8x?xf32> {
  %o, %lse = attn.attention %q, %k, %v scale 0.125
      : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>)
      -> (tensor<?x8x?x64xf32>, tensor<?x8x?xf32>)
  return %lse : tensor<?x8x?xf32>
}
