// Test-only variant of examples/sliding_window.mlir: window w = 5, Hq = 6, Hkv = 2.
func.func @attention(%q: tensor<?x6x?x32xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x32xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x6x?x16xf32> {
  %s = attn.score %q, %k
      : (tensor<?x6x?x32xf32>, tensor<?x2x?x32xf32>) -> tensor<?x6x?x?xf32>
  %m = attn.mask %s, sliding_window(5) : tensor<?x6x?x?xf32>
  %p = attn.softmax %m : tensor<?x6x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x6x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x6x?x16xf32>
  return %o : tensor<?x6x?x16xf32>
}
