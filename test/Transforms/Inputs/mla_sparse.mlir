// Test-only DSA over MLA (DeepSeek-V3.2 decode) at small sizes: the indexer picks
// the top 4 cache entries per query, and MLA in the expanded form (4 heads,
// latent 32, Dn = 16, RoPE 8, Dv = 12) attends over only those.
func.func @attention(%q_nope: tensor<?x4x?x16xf32> {attn.dims = "B,H,T,Dn"},
                     %q_rope: tensor<?x4x?x8xf32> {attn.dims = "B,H,T,Dr"},
                     %c_kv: tensor<?x1x?x32xf32> {attn.dims = "B,Hc,S,Dc"},
                     %k_rope: tensor<?x1x?x8xf32> {attn.dims = "B,Hc,S,Dr"},
                     %w_uk: tensor<4x32x16xf32>,
                     %w_uv: tensor<4x32x12xf32>,
                     %iq: tensor<?x2x?x8xf32> {attn.dims = "B,Hi,T,Di"},
                     %ik: tensor<?x1x?x8xf32> {attn.dims = "B,Hik,S,Di"},
                     %iw: tensor<?x2x?xf32> {attn.dims = "B,Hi,T"},
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x4x?x12xf32> {
  %is = attn.index_score %iq, %ik, %iw
      : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x2x?xf32>
      -> tensor<?x1x?x?xf32>
  %im = attn.mask %is, causal lengths %lengths : tensor<?x1x?x?xf32>, tensor<?xi64>
  %sel = attn.select_tokens %im top 4 : tensor<?x1x?x?xf32> -> tensor<?x1x?x4xi64>
  %k_nope = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %qr = attn.rope %q_rope theta 10000.0 lengths %lengths
      : tensor<?x4x?x8xf32>, tensor<?xi64>
  %s = attn.score %q_nope, %k_nope + %qr, %k_rope
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>,
         tensor<?x4x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x4x?x?xf32>, tensor<?x1x?x4xi64>
  %p = attn.softmax %b : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}
