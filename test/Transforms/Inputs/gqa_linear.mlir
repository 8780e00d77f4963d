// Test-only linear variant: causal linear attention with GQA, Hq = 4 query
// heads over Hkv = 2 key/value heads, the default scale 1/sqrt(Dk).
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x24xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x4x?x24xf32> {
  %fq = attn.feature_map %q, elu_plus_one : tensor<?x4x?x16xf32>
  %fk = attn.feature_map %k, elu_plus_one : tensor<?x2x?x16xf32>
  %s = attn.score %fq, %fk
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x24xf32> -> tensor<?x4x?x24xf32>
  return %o : tensor<?x4x?x24xf32>
}
