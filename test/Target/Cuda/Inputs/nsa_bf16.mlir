// NSA at the issue's benchmark shape: 64 query heads over 4 KV heads, D = 128,
// bf16, the paper's block sizes, f32 gates.
func.func @nsa(%q: tensor<?x64x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %g: tensor<?x64x?x3xf32>) -> tensor<?x64x?x128xbf16> {
  %o = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 32 stride 16 select block 64 top 16 initial 1 local 2
      window 512 scale 0.08838834764831845
      : (tensor<?x64x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x64x?x3xf32>) -> tensor<?x64x?x128xbf16>
  return %o : tensor<?x64x?x128xbf16>
}
