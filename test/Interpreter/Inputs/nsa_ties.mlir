// Test-only variant of examples/nsa.mlir where selection blocks are smaller than
// compression blocks: Hq = 4, Hkv = 2, D = 8, compression l = 16, stride d = 8,
// selection block l' = 4, top n = 2 (no forced blocks), window w = 4. Queries before
// the first full compression block (t < 15) have all-zero compressed probabilities
// yet several eligible selection blocks: the top 2 go to the lowest indices (ties).
// check.py: --param l=16 --param d=8 --param lp=4 --param n=2 --param initial=0 --param local=0 --param w=4
func.func @attention(%q: tensor<?x4x?x8xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x8xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x8xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x4x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 16 stride 8
      : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 16 stride 8
      : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(16, 8) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(16, 8) block 4 top 2 initial 0 local 0
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x2xi64>
  %s = attn.score %q, %k
      : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 4
      : tensor<?x4x?x?xf32>, tensor<?x2x?x2xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %mw = attn.mask %s, sliding_window(4) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>),
        tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}
