// Test-only variant of examples/kv_cache_decode.mlir: MQA, Hq = 4, Hkv = 1, D = 64.
func.func @attention(%q: tensor<?x4x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k_cache: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v_cache: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x4x?x64xf32> {
  %s = attn.score %q, %k_cache
      : (tensor<?x4x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v_cache
      : tensor<?x4x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}
