// Native Sparse Attention written as the one fused op that attn-fuse-nsa
// makes of the three-branch program (examples/nsa.mlir): the same meaning,
// here with smaller blocks than the paper's and 12 query heads over 3 kv
// heads. Compression block l = 16, stride d = 8 (mean pooling), selection
// block l' = 32 (a multiple of d), n = 6 selected blocks (the first and the
// 2 local ones always kept), window w = 64, scale 1/sqrt(64).
//
// Arguments of @attention:
//   %q  [B, 12, T, 64] f32   queries
//   %k  [B, 3, S, 64]  f32   keys (S = T: self-attention)
//   %v  [B, 3, S, 64]  f32   values
//   %g  [B, 12, T, 3]  f32   gate logits, columns in the order the op names
//                            them: compressed, selected, window
// Result: [B, 12, T, 64] f32.
func.func @attention(%q: tensor<?x12x?x64xf32> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x3x?x64xf32> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x3x?x64xf32> {attn.dims = "B,Hkv,S,Dv"},
                     %g: tensor<?x12x?x3xf32> {attn.dims = "B,Hq,T,Br"})
    -> tensor<?x12x?x64xf32> {
  %o = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 16 stride 8 select block 32 top 6 initial 1 local 2
      window 64 scale 0.125
      : (tensor<?x12x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x64xf32>,
         tensor<?x12x?x3xf32>) -> tensor<?x12x?x64xf32>
  return %o : tensor<?x12x?x64xf32>
}
