// Test-only variants of examples/nsa.mlir (the blocks of
// test/Interpreter/Inputs/nsa_small.mlir: l = 8, d = 4, l' = 8, top 5 with 1
// initial and 2 local blocks, w = 16) with 1 and 16 query heads per kv head.
func.func @group1(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x4x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x4x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x4x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x4x?x16xf32> {
  %kc = attn.compress %k, mean block 8 stride 4
      : tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %vc = attn.compress %v, mean block 8 stride 4
      : tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 5 initial 1 local 2
      : tensor<?x4x?x?xf32> -> tensor<?x4x?x5xi64>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8
      : tensor<?x4x?x?xf32>, tensor<?x4x?x5xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>),
        tensor<?x4x?x3xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

func.func @group16(%q: tensor<?x16x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x16x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x16x?x16xf32> {
  %kc = attn.compress %k, mean block 8 stride 4
      : tensor<?x1x?x16xf32> -> tensor<?x1x?x16xf32>
  %vc = attn.compress %v, mean block 8 stride 4
      : tensor<?x1x?x16xf32> -> tensor<?x1x?x16xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x16x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x16x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x16x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x16x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x16x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x16x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 5 initial 1 local 2
      : tensor<?x16x?x?xf32> -> tensor<?x1x?x5xi64>
  %s = attn.score %q, %k
      : (tensor<?x16x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x16x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x16x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8
      : tensor<?x16x?x?xf32>, tensor<?x1x?x5xi64>
  %ps = attn.softmax %bs : tensor<?x16x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x16x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x16x?x16xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<?x16x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x16x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x16x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x16x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x16x?x16xf32>, tensor<?x16x?x16xf32>, tensor<?x16x?x16xf32>),
        tensor<?x16x?x3xf32> -> tensor<?x16x?x16xf32>
  return %o : tensor<?x16x?x16xf32>
}
