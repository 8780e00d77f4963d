// Benchmark variant: linear attention with a scalar data-dependent decay
// (Mamba-2 / SSD form), 8 heads, Dk = Dv = 128, f32, scale 1:
// o_t = sum_{s <= t} exp(sum_{r = s+1..t} g_r) (q_t . k_s) v_s.
// run.sh compiles it through --attn-linear-pipeline='chunk-size=64'.
//
// Arguments of @linear_decay:
//   %q  [B, 8, T, 128] f32   queries (C in Mamba-2)
//   %k  [B, 8, S, 128] f32   keys (B in Mamba-2; S = T)
//   %v  [B, 8, S, 128] f32   values (x in Mamba-2)
//   %g  [B, 8, T]      f32   log-decays (< 0), one per head and step
// Result: [B, 8, T, 128] f32.
func.func @linear_decay(%q: tensor<?x8x?x128xf32> {attn.dims = "B,H,T,Dk"},
                        %k: tensor<?x8x?x128xf32> {attn.dims = "B,H,S,Dk"},
                        %v: tensor<?x8x?x128xf32> {attn.dims = "B,H,S,Dv"},
                        %g: tensor<?x8x?xf32> {attn.dims = "B,H,T"})
    -> tensor<?x8x?x128xf32> {
  %s = attn.score %q, %k scale 1.0
      : (tensor<?x8x?x128xf32>, tensor<?x8x?x128xf32>) -> tensor<?x8x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x8x?x?xf32>, tensor<?x8x?xf32>
  %o = attn.aggregate %d, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x128xf32> -> tensor<?x8x?x128xf32>
  return %o : tensor<?x8x?x128xf32>
}
