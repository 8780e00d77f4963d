// Test-only NSA programs whose top-n selection meets exact ties
// (fuse-nsa-equivalence): both pick the lower block index, so the fused op
// must too.
//
// @constant_keys: every key is the same vector, so every compressed key is
// too, every query's compressed probabilities are uniform, and selection
// blocks that overlap as many compressed blocks tie (nonzero scores). One
// sequence of 45 tokens (a static size, as the keys are a constant), Hq = 8
// over Hkv = 2, l = 8, d = 4, l' = 8, pure top 3, window 16.
func.func @constant_keys(%q: tensor<?x8x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
    %v: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
    %g: tensor<?x8x?x3xf32> {attn.dims = "B,Hq,T,Br"}) -> tensor<?x8x?x16xf32> {
  %k = arith.constant dense<0.5> : tensor<1x2x45x16xf32>
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<1x2x45x16xf32> -> tensor<?x2x?x16xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  %sc = attn.score %q, %kc : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x8x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x8x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 3
      initial 0 local 0 : tensor<?x8x?x?xf32> -> tensor<?x2x?x3xi64>
  %s = attn.score %q, %k : (tensor<?x8x?x16xf32>, tensor<1x2x45x16xf32>) -> tensor<?x8x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x8x?x?xf32>, tensor<?x2x?x3xi64>
  %ps = attn.softmax %bs : tensor<?x8x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<?x8x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x8x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>), tensor<?x8x?x3xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}

// @zero_probabilities: queries before the end of the first compressed block
// (t < 15) have no compressed block, so all their eligible selection blocks
// score 0. Hq = 4 over Hkv = 1, l = 16, d = 4, l' = 4, pure top 2, window 4.
func.func @zero_probabilities(%q: tensor<?x4x?x8xf32> {attn.dims = "B,Hq,T,Dk"},
    %k: tensor<?x1x?x8xf32> {attn.dims = "B,Hkv,S,Dk"},
    %v: tensor<?x1x?x8xf32> {attn.dims = "B,Hkv,S,Dv"},
    %g: tensor<?x4x?x3xf32> {attn.dims = "B,Hq,T,Br"}) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 16 stride 4 : tensor<?x1x?x8xf32> -> tensor<?x1x?x8xf32>
  %vc = attn.compress %v, mean block 16 stride 4 : tensor<?x1x?x8xf32> -> tensor<?x1x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(16, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x1x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(16, 4) block 4 top 2
      initial 0 local 0 : tensor<?x4x?x?xf32> -> tensor<?x1x?x2xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 4 : tensor<?x4x?x?xf32>, tensor<?x1x?x2xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x1x?x8xf32> -> tensor<?x4x?x8xf32>
  %mw = attn.mask %s, sliding_window(4) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x1x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}
