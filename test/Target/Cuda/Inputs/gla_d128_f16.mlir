// The issue's per-key (GLA) target shape in f16: H = 16, Dk = Dv = 128,
// [B, H, T, Dk] f32 log-decays.
func.func @gla_d128(%q: tensor<?x16x?x128xf16> {attn.dims = "B,H,T,Dk"},
                    %k: tensor<?x16x?x128xf16> {attn.dims = "B,H,S,Dk"},
                    %v: tensor<?x16x?x128xf16> {attn.dims = "B,H,S,Dv"},
                    %g: tensor<?x16x?x128xf32> {attn.dims = "B,H,T,Dk"})
    -> tensor<?x16x?x128xf16> {
  %s = attn.score %q, %k decay %g
      : (tensor<?x16x?x128xf16>, tensor<?x16x?x128xf16>, tensor<?x16x?x128xf32>)
      -> tensor<?x16x?x?xf32>
  %o = attn.aggregate %s, %v
      : tensor<?x16x?x?xf32>, tensor<?x16x?x128xf16> -> tensor<?x16x?x128xf16>
  return %o : tensor<?x16x?x128xf16>
}
