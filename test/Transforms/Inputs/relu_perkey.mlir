// Test-only linear variant: a relu feature map with GLA's per-key decay
// inside the score, explicit scale, Dk != Dv.
func.func @attention(%q: tensor<?x3x?x24xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x3x?x24xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x3x?x40xf32> {attn.dims = "B,H,S,Dv"},
                     %g: tensor<?x3x?x24xf32> {attn.dims = "B,H,T,Dk"})
    -> tensor<?x3x?x40xf32> {
  %fq = attn.feature_map %q, relu : tensor<?x3x?x24xf32>
  %fk = attn.feature_map %k, relu : tensor<?x3x?x24xf32>
  %s = attn.score %fq, %fk decay %g scale 0.5
      : (tensor<?x3x?x24xf32>, tensor<?x3x?x24xf32>, tensor<?x3x?x24xf32>)
      -> tensor<?x3x?x?xf32>
  %o = attn.aggregate %s, %v
      : tensor<?x3x?x?xf32>, tensor<?x3x?x40xf32> -> tensor<?x3x?x40xf32>
  return %o : tensor<?x3x?x40xf32>
}
