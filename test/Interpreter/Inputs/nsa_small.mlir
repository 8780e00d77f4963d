// Test-only variant of examples/nsa.mlir with small blocks, so that the top-n
// selection really chooses: Hq = 8, Hkv = 2, D = 16, compression l = 8,
// stride d = 4, selection block l' = 8, top n = 5 (initial 1, local 2),
// window w = 16.
// check.py: --param l=8 --param d=4 --param lp=8 --param n=5 --param initial=1 --param local=2 --param w=16
func.func @attention(%q: tensor<?x8x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x8x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x8x?x16xf32> {
  %kc = attn.compress %k, mean block 8 stride 4
      : tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  %vc = attn.compress %v, mean block 8 stride 4
      : tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x8x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x8x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 5 initial 1 local 2
      : tensor<?x8x?x?xf32> -> tensor<?x2x?x5xi64>
  %s = attn.score %q, %k
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8
      : tensor<?x8x?x?xf32>, tensor<?x2x?x5xi64>
  %ps = attn.softmax %bs : tensor<?x8x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<?x8x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x8x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x8x?x16xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>, tensor<?x8x?x16xf32>),
        tensor<?x8x?x3xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}
