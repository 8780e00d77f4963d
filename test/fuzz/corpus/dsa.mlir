// DeepSeek Sparse Attention (DSA, DeepSeek-V3.2): a lightning indexer scores every
// past token, I_ts = sum_j w_tj relu(qi_tj . ki_s), each query keeps its top 2048
// tokens (ties to the lower index), and causal softmax attention (MQA: one kv head
// for the 8 query heads) runs over only those.
//
// Arguments of @attention:
//   %q   [B, 8, T, 64] f32   attention queries (B batch, 8 heads, T query tokens)
//   %k   [B, 1, S, 64] f32   keys, one head (S key tokens; self-attention: S = T)
//   %v   [B, 1, S, 64] f32   values, one head
//   %iq  [B, 4, T, 32] f32   indexer queries (4 indexer heads)
//   %ik  [B, 1, S, 32] f32   indexer keys, one head
//   %iw  [B, 4, T]     f32   indexer head weights w_tj
// Result: [B, 8, T, 64] f32. Query t sits at position S - T + t.
func.func @attention(%q: tensor<?x8x?x64xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x1x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %iq: tensor<?x4x?x32xf32> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x32xf32> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x4x?xf32> {attn.dims = "B,Hi,T"})
    -> tensor<?x8x?x64xf32> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x4x?x32xf32>, tensor<?x1x?x32xf32>, tensor<?x4x?xf32>
      -> tensor<?x1x?x?xf32>
  %im = attn.mask %is, causal : tensor<?x1x?x?xf32>
  %sel = attn.select_tokens %im top 2048 : tensor<?x1x?x?xf32> -> tensor<?x1x?x2048xi64>
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x1x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x8x?x?xf32>, tensor<?x1x?x2048xi64>
  %p = attn.softmax %b : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
