// Native Sparse Attention with learned compression (Yuan et al. 2025): as
// examples/nsa.mlir, but each compressed key and value is made by a small MLP
// from its block of tokens plus an intra-block position encoding, with
// separate MLPs for keys and values, and one kv head for 16 query heads (so
// the 16 heads share one block selection). The paper's defaults: compression
// block l = 32, stride d = 16, selection block l' = 64, n = 16 selected
// blocks (the first and the 2 local ones always kept), window w = 512.
//
// Arguments of @attention:
//   %q   [B, 16, T, 64] f32   queries
//   %k   [B, 1, S, 64]  f32   keys (S = T: self-attention)
//   %v   [B, 1, S, 64]  f32   values
//   %g   [B, 16, T, 3]  f32   gate logits of the cmp, slc and win branches
//   %pk, %w1k, %w2k            key MLP: position encoding [32, 64],
//                              W1 [32*64, 128], W2 [128, 64]
//   %pv, %w1v, %w2v            value MLP, the same shapes
// Result: [B, 16, T, 64] f32. A compressed token is
// relu(flatten(block + pe) W1) W2.
func.func @attention(%q: tensor<?x16x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x16x?x3xf32> {attn.dims = "B,Hq,T,Br"},
                     %pk: tensor<32x64xf32>, %w1k: tensor<2048x128xf32>,
                     %w2k: tensor<128x64xf32>, %pv: tensor<32x64xf32>,
                     %w1v: tensor<2048x128xf32>, %w2v: tensor<128x64xf32>)
    -> tensor<?x16x?x64xf32> {
  // Compressed branch.
  %kc = attn.compress %k, mlp block 32 stride 16
      weights(%pk, %w1k, %w2k : tensor<32x64xf32>, tensor<2048x128xf32>,
              tensor<128x64xf32>)
      : tensor<?x1x?x64xf32> -> tensor<?x1x?x64xf32>
  %vc = attn.compress %v, mlp block 32 stride 16
      weights(%pv, %w1v, %w2v : tensor<32x64xf32>, tensor<2048x128xf32>,
              tensor<128x64xf32>)
      : tensor<?x1x?x64xf32> -> tensor<?x1x?x64xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x16x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x16x?x?xf32>
  %mc = attn.mask %sc, compressed(32, 16) : tensor<?x16x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x16x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x16x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x16x?x64xf32>

  // Selected branch: blocks ranked by the compressed probabilities, summed
  // over all 16 heads.
  %idx = attn.select_blocks %pc compressed(32, 16) block 64 top 16 initial 1 local 2
      : tensor<?x16x?x?xf32> -> tensor<?x1x?x16xi64>
  %s = attn.score %q, %k
      : (tensor<?x16x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x16x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x16x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 64
      : tensor<?x16x?x?xf32>, tensor<?x1x?x16xi64>
  %ps = attn.softmax %bs : tensor<?x16x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x16x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x16x?x64xf32>

  // Sliding-window branch.
  %mw = attn.mask %s, sliding_window(512) : tensor<?x16x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x16x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x16x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x16x?x64xf32>

  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x16x?x64xf32>, tensor<?x16x?x64xf32>, tensor<?x16x?x64xf32>),
        tensor<?x16x?x3xf32> -> tensor<?x16x?x64xf32>
  return %o : tensor<?x16x?x64xf32>
}
