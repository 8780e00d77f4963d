// Test-only: NSA ops whose sizes only the inputs give (dynamic heads and MLP
// weights), for the interpreter's run-time checks (nsa-errors.test).
func.func @compress(%k: tensor<?x2x?x4xf32> {attn.dims = "B,Hkv,S,Dk"},
                    %pe: tensor<?x?xf32> {attn.dims = "L,Dk"},
                    %w1: tensor<?x?xf32> {attn.dims = "LD,Hid"},
                    %w2: tensor<?x?xf32> {attn.dims = "Hid2,Dk"})
    -> tensor<?x2x?x4xf32> {
  %kc = attn.compress %k, mlp block 4 stride 2
      weights(%pe, %w1, %w2 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      : tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %kc : tensor<?x2x?x4xf32>
}

func.func @nsa(%q: tensor<?x?x?x4xf32> {attn.dims = "B,Hq,T,Dk"},
               %k: tensor<?x?x?x4xf32> {attn.dims = "B,Hkv,S,Dk"},
               %v: tensor<?x?x?x4xf32> {attn.dims = "B,Hv,S,Dv"},
               %g: tensor<?x?x?x3xf32> {attn.dims = "B,Hg,T,Br"},
               %pe: tensor<?x?xf32> {attn.dims = "L,Dk"},
               %w1: tensor<?x?xf32> {attn.dims = "LD,Hid"},
               %w2: tensor<?x?xf32> {attn.dims = "Hid2,Dk"})
    -> tensor<?x?x?x4xf32> {
  %o = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 4 stride 2 key_weights(%pe, %w1, %w2)
      value_weights(%pe, %w1, %w2) select block 4 top 2 initial 0 local 1
      window 4 scale 0.5
      : (tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32>, tensor<?x?x?x4xf32>,
         tensor<?x?x?x3xf32>, tensor<?x?xf32>, tensor<?x?xf32>,
         tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>,
         tensor<?x?xf32>) -> tensor<?x?x?x4xf32>
  return %o : tensor<?x?x?x4xf32>
}
