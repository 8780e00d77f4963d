// Test-only GQA variant of examples/gqa.mlir: Hq = 6, Hkv = 3, Dk = 24, Dv = 40.
func.func @attention(%q: tensor<?x6x?x24xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x3x?x24xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x3x?x40xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x6x?x40xf32> {
  %s = attn.score %q, %k
      : (tensor<?x6x?x24xf32>, tensor<?x3x?x24xf32>) -> tensor<?x6x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x6x?x?xf32>
  %p = attn.softmax %m : tensor<?x6x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x6x?x?xf32>, tensor<?x3x?x40xf32> -> tensor<?x6x?x40xf32>
  return %o : tensor<?x6x?x40xf32>
}
