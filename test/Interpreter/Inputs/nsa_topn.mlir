// Test-only variant of examples/nsa.mlir with small blocks, so that the top-n
// selection really chooses: Hq = 4, Hkv = 1, D = 16, compression l = 8,
// stride d = 4, selection block l' = 12, top n = 3 (initial 0, local 0),
// window w = 8.
// check.py: --param l=8 --param d=4 --param lp=12 --param n=3 --param initial=0 --param local=0 --param w=8
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x4x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x4x?x16xf32> {
  %kc = attn.compress %k, mean block 8 stride 4
      : tensor<?x1x?x16xf32> -> tensor<?x1x?x16xf32>
  %vc = attn.compress %v, mean block 8 stride 4
      : tensor<?x1x?x16xf32> -> tensor<?x1x?x16xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x4x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 12 top 3 initial 0 local 0
      : tensor<?x4x?x?xf32> -> tensor<?x1x?x3xi64>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 12
      : tensor<?x4x?x?xf32>, tensor<?x1x?x3xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x4x?x16xf32>
  %mw = attn.mask %s, sliding_window(8) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32> -> tensor<?x4x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>),
        tensor<?x4x?x3xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
