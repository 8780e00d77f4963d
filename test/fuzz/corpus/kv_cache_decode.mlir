// Softmax attention decode over a KV cache with GQA: T new queries (T = 1 for plain
// decode, more for chunked prefill / speculative decode) against caches of S slots,
// of which the first lengths[b] are filled (the new tokens included). Query t of
// sequence b sits at position lengths[b] - T + t and sees the cache entries s <= it.
//
// Arguments of @attention:
//   %q       [B, 8, T, 128] f32   queries (B batch, Hq = 8 heads, T new tokens)
//   %k_cache [B, 2, S, 128] f32   key cache (Hkv = 2 heads, S slots)
//   %v_cache [B, 2, S, 128] f32   value cache
//   %lengths [B]            i64   filled cache length of each sequence (1 <= L <= S)
// Result: [B, 8, T, 128] f32.
func.func @attention(%q: tensor<?x8x?x128xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k_cache: tensor<?x2x?x128xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v_cache: tensor<?x2x?x128xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x8x?x128xf32> {
  %s = attn.score %q, %k_cache
      : (tensor<?x8x?x128xf32>, tensor<?x2x?x128xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x8x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v_cache
      : tensor<?x8x?x?xf32>, tensor<?x2x?x128xf32> -> tensor<?x8x?x128xf32>
  return %o : tensor<?x8x?x128xf32>
}
