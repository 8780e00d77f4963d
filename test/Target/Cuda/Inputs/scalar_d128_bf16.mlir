// The issue's scalar-decay target: H = 16, Dk = Dv = 128, bf16, [B, H, T] f32
// log-decays (Mamba2 / simple GLA).
func.func @scalar_d128(%q: tensor<?x16x?x128xbf16> {attn.dims = "B,H,T,Dk"},
                       %k: tensor<?x16x?x128xbf16> {attn.dims = "B,H,S,Dk"},
                       %v: tensor<?x16x?x128xbf16> {attn.dims = "B,H,S,Dv"},
                       %g: tensor<?x16x?xf32> {attn.dims = "B,H,T"})
    -> tensor<?x16x?x128xbf16> {
  %s = attn.score %q, %k
      : (tensor<?x16x?x128xbf16>, tensor<?x16x?x128xbf16>) -> tensor<?x16x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x16x?x?xf32>, tensor<?x16x?xf32>
  %o = attn.aggregate %d, %v
      : tensor<?x16x?x?xf32>, tensor<?x16x?x128xbf16> -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
