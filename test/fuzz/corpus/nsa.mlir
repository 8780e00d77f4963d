// Native Sparse Attention (NSA, Yuan et al. 2025), with GQA (16 query heads, 4 kv
// heads) and the paper's defaults: compression block l = 32, stride d = 16 (mean
// pooling), selection block l' = 64, n = 16 selected blocks (the first block and the
// 2 local blocks always kept), sliding window w = 512. Three softmax branches over
// the same keys and values, mixed by sigmoid gates:
//   cmp: attention over the compressed keys/values (blocks entirely before the query)
//   slc: causal attention over the n selection blocks ranked by the cmp probabilities
//        (summed over a GQA group, so a group shares its selection)
//   win: causal attention over the last w keys
//   o = sigmoid(g_cmp) o_cmp + sigmoid(g_slc) o_slc + sigmoid(g_win) o_win
//
// Arguments of @attention:
//   %q  [B, 16, T, 64] f32   queries (B batch, Hq = 16 heads, T query tokens)
//   %k  [B, 4, S, 64]  f32   keys    (Hkv = 4 heads, S = T key tokens)
//   %v  [B, 4, S, 64]  f32   values
//   %g  [B, 16, T, 3]  f32   gate logits of the cmp, slc and win branches
// Result: [B, 16, T, 64] f32. Self-attention only (S = T, query t at token t): the
// compressed mask and select_blocks see block counts, not the token count S.
func.func @attention(%q: tensor<?x16x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x4x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x4x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x16x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x16x?x64xf32> {
  // Compressed branch.
  %kc = attn.compress %k, mean block 32 stride 16
      : tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  %vc = attn.compress %v, mean block 32 stride 16
      : tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  %sc = attn.score %q, %kc
      : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x16x?x?xf32>
  %mc = attn.mask %sc, compressed(32, 16) : tensor<?x16x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x16x?x?xf32>
  %oc = attn.aggregate %pc, %vc
      : tensor<?x16x?x?xf32>, tensor<?x4x?x64xf32> -> tensor<?x16x?x64xf32>

  // Selected branch: blocks ranked by the compressed probabilities.
  %idx = attn.select_blocks %pc compressed(32, 16) block 64 top 16 initial 1 local 2
      : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
  %s = attn.score %q, %k
      : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x16x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x16x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 64
      : tensor<?x16x?x?xf32>, tensor<?x4x?x16xi64>
  %ps = attn.softmax %bs : tensor<?x16x?x?xf32>
  %os = attn.aggregate %ps, %v
      : tensor<?x16x?x?xf32>, tensor<?x4x?x64xf32> -> tensor<?x16x?x64xf32>

  // Sliding-window branch.
  %mw = attn.mask %s, sliding_window(512) : tensor<?x16x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x16x?x?xf32>
  %ow = attn.aggregate %pw, %v
      : tensor<?x16x?x?xf32>, tensor<?x4x?x64xf32> -> tensor<?x16x?x64xf32>

  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x16x?x64xf32>, tensor<?x16x?x64xf32>, tensor<?x16x?x64xf32>),
        tensor<?x16x?x3xf32> -> tensor<?x16x?x64xf32>
  return %o : tensor<?x16x?x64xf32>
}
