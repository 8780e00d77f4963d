// Test-only linear variant: bidirectional (mask none) linear attention with
// the elu+1 feature map; every query reads the global state K^T V.
func.func @attention(%q: tensor<?x4x?x32xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x4x?x32xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x4x?x16xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x4x?x16xf32> {
  %fq = attn.feature_map %q, elu_plus_one : tensor<?x4x?x32xf32>
  %fk = attn.feature_map %k, elu_plus_one : tensor<?x4x?x32xf32>
  %s = attn.score %fq, %fk
      : (tensor<?x4x?x32xf32>, tensor<?x4x?x32xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, none : tensor<?x4x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
