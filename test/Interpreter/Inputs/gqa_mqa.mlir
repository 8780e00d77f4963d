// Test-only GQA variant of examples/gqa.mlir: Hq = 4, Hkv = 1, Dk = 32, Dv = 48.
func.func @attention(%q: tensor<?x4x?x32xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x1x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x48xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x4x?x48xf32> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x32xf32>, tensor<?x1x?x32xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x1x?x48xf32> -> tensor<?x4x?x48xf32>
  return %o : tensor<?x4x?x48xf32>
}
