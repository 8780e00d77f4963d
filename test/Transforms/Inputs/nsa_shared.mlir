// Test-only NSA variants whose compressions are shared (fuse-nsa-equivalence):
// @kv: the keys are the values, one attn.compress serves both (Hq = 8 over
// Hkv = 2, mean pooling); @mlp: separate compressions of k and v through one
// MLP (Hq = Hkv = 4, one query head per kv head). Compression l = 8, d = 4,
// selection block l' = 8, top 4 (1 initial, 1 local), window 16.
func.func @kv(%q: tensor<?x8x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
              %kv: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
              %g: tensor<?x8x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x8x?x16xf32> {
  %c = attn.compress %kv, mean block 8 stride 4
      : tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  %sc = attn.score %q, %c
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x8x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x8x?x?xf32>
  %oc = attn.aggregate %pc, %c
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x8x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %kv
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8
      : tensor<?x8x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x8x?x?xf32>
  %os = attn.aggregate %ps, %kv
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<?x8x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x8x?x?xf32>
  %ow = attn.aggregate %pw, %kv
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>),
        tensor<?x8x?x3xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}

func.func @mlp(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
               %k: tensor<?x4x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
               %v: tensor<?x4x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
               %g: tensor<?x4x?x3xf32> {attn.dims = "B,Hq,T,Br"},
               %pe: tensor<8x16xf32>, %w1: tensor<128x32xf32>,
               %w2: tensor<32x16xf32>) -> tensor<?x4x?x16xf32> {
  %kc = attn.compress %k, mlp block 8 stride 4
      weights(%pe, %w1, %w2 : tensor<8x16xf32>, tensor<128x32xf32>,
              tensor<32x16xf32>)
      : tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %vc = attn.compress %v, mlp block 8 stride 4
      weights(%pe, %w1, %w2 : tensor<8x16xf32>, tensor<128x32xf32>,
              tensor<32x16xf32>)
      : tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x4x?x4xi64>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8
      : tensor<?x4x?x?xf32>, tensor<?x4x?x4xi64>
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
