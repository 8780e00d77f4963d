// Test-only latent attention beyond MLA's shape: two latent heads (each serving
// two of the four query heads), separate key and value latents, transposed
// up-projections (W [H, D, Dc]), one query-key pair, a softcap score mod, and a
// sliding window over a cache.
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %c_k: tensor<?x2x?x24xf32> {attn.dims = "B,Hc,S,Dck"},
                     %c_v: tensor<?x2x?x40xf32> {attn.dims = "B,Hc,S,Dcv"},
                     %w_uk: tensor<4x16x24xf32>,
                     %w_uv: tensor<4x8x40xf32>,
                     %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x4x?x8xf32> {
  %k = attn.project %c_k, %w_uk transposed
      : tensor<?x2x?x24xf32>, tensor<4x16x24xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_v, %w_uv transposed
      : tensor<?x2x?x40xf32>, tensor<4x8x40xf32> -> tensor<?x4x?x8xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %c = attn.score_mod %s : tensor<?x4x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %cap = arith.constant 2.0 : f32
    %d = arith.divf %x, %cap : f32
    %th = math.tanh %d : f32
    %y = arith.mulf %th, %cap : f32
    attn.yield %y : f32
  }
  %m = attn.mask %c, sliding_window(7) lengths %lengths
      : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x8xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}
