// NSA with MLP pooling: 16 query heads over 4 KV heads, D = 128, bf16
// weights with a hidden width of 128, the paper's block sizes.
func.func @nsa_mlp(%q: tensor<?x16x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>, %g: tensor<?x16x?x3xf32>,
                   %pk: tensor<32x128xbf16>, %w1k: tensor<4096x128xbf16>, %w2k: tensor<128x128xbf16>,
                   %pv: tensor<32x128xbf16>, %w1v: tensor<4096x128xbf16>, %w2v: tensor<128x128xbf16>) -> tensor<?x16x?x128xbf16> {
  %o = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 32 stride 16 key_weights(%pk, %w1k, %w2k) value_weights(%pv, %w1v, %w2v)
      select block 64 top 16 initial 1 local 2 window 512 scale 0.08838834764831845
      : (tensor<?x16x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x16x?x3xf32>,
         tensor<32x128xbf16>, tensor<4096x128xbf16>, tensor<128x128xbf16>,
         tensor<32x128xbf16>, tensor<4096x128xbf16>, tensor<128x128xbf16>) -> tensor<?x16x?x128xbf16>
  return %o : tensor<?x16x?x128xbf16>
}
