// attn.attention's two results: causal GQA attention over a cache with
// per-sequence lengths, and each row's log-sum-exp.
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %len: tensor<?xi64> {attn.dims = "B"})
    -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>) {
  %o, %lse = attn.attention %q, %k, %v scale 0.25 masks(causal) lengths %len
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>,
         tensor<?xi64>) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>)
  return %o, %lse : tensor<?x4x?x16xf32>, tensor<?x4x?xf32>
}
