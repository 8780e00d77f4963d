// Softmax attention decode over a paged KV cache (vLLM-style): the keys and
// values live in pools of pages of P slots, and each sequence's page table
// lists its pages in order. attn.paged_cache presents a pool through a table
// as the [B, Hkv, S, D] cache it holds (S = M x P); the rest is
// examples/kv_cache_decode.mlir. Query t of sequence b sits at position
// lengths[b] - T + t and sees the slots s <= it.
//
// Arguments of @attention:
//   %q       [B, 8, T, 128]   f32  queries (B batch, Hq = 8 heads, T new tokens)
//   %k_pages [N, 16, 2, 128]  f32  key pages (N pages of 16 slots, Hkv = 2 heads)
//   %v_pages [N, 16, 2, 128]  f32  value pages
//   %table   [B, M]           i32  page of each of a sequence's M page slots;
//                                  entries outside [0, N) read zeros
//   %lengths [B]              i64  filled slots of each sequence (<= M x 16)
// Result: [B, 8, T, 128] f32.
func.func @attention(%q: tensor<?x8x?x128xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k_pages: tensor<?x16x2x128xf32> {attn.dims = "N,P,Hkv,Dk"},
                     %v_pages: tensor<?x16x2x128xf32> {attn.dims = "N,P,Hkv,Dv"},
                     %table: tensor<?x?xi32> {attn.dims = "B,M"},
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x8x?x128xf32> {
  %k = attn.paged_cache %k_pages, %table
      : tensor<?x16x2x128xf32>, tensor<?x?xi32> -> tensor<?x2x?x128xf32>
  %v = attn.paged_cache %v_pages, %table
      : tensor<?x16x2x128xf32>, tensor<?x?xi32> -> tensor<?x2x?x128xf32>
  %s = attn.score %q, %k
      : (tensor<?x8x?x128xf32>, tensor<?x2x?x128xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x8x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x128xf32> -> tensor<?x8x?x128xf32>
  return %o : tensor<?x8x?x128xf32>
}
