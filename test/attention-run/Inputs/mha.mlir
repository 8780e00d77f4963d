// A small causal MHA program for the tool tests.
func.func @attention(%q: tensor<?x2x?x8xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x8xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x8xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x2x?x8xf32> {
  %qf = attn.feature_map %q, identity : tensor<?x2x?x8xf32>
  %s = attn.score %qf, %k
      : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x2x?x?xf32>
  %p = attn.softmax %m : tensor<?x2x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

func.func @unnamed(%q: tensor<?x2x4x8xf32>) -> tensor<?x2x4x8xf32> {
  return %q : tensor<?x2x4x8xf32>
}
