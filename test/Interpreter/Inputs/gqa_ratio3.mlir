// Test-only GQA variant of examples/gqa.mlir: Hq = 12, Hkv = 4, Dk = 32, Dv = 32.
func.func @attention(%q: tensor<?x12x?x32xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x4x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x4x?x32xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x12x?x32xf32> {
  %s = attn.score %q, %k
      : (tensor<?x12x?x32xf32>, tensor<?x4x?x32xf32>) -> tensor<?x12x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x12x?x?xf32>
  %p = attn.softmax %m : tensor<?x12x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x12x?x?xf32>, tensor<?x4x?x32xf32> -> tensor<?x12x?x32xf32>
  return %o : tensor<?x12x?x32xf32>
}
