// Test-only functions running one sparse op each, so that the CPU backend's
// index results (compared exactly) and intermediate tensors are checked
// directly rather than only through an attention output.

// NSA selection, 4 query heads per group: compression l = 8, d = 4,
// selection block l' = 8, top 5 with 1 initial and 2 local blocks.
func.func @select_blocks(%p: tensor<?x8x?x?xf32> {attn.dims = "B,Hq,T,Nc"})
    -> tensor<?x2x?x5xi64> {
  %idx = attn.select_blocks %p compressed(8, 4) block 8 top 5 initial 1 local 2
      : tensor<?x8x?x?xf32> -> tensor<?x2x?x5xi64>
  return %idx : tensor<?x2x?x5xi64>
}

// Selection blocks smaller than compression blocks (many blocks share their
// compressed blocks and tie), no forced blocks, 2 query heads per group.
func.func @select_blocks_free(%p: tensor<?x8x?x?xf32> {attn.dims = "B,Hq,T,Nc"})
    -> tensor<?x4x?x3xi64> {
  %idx = attn.select_blocks %p compressed(16, 8) block 4 top 3 initial 0 local 0
      : tensor<?x8x?x?xf32> -> tensor<?x4x?x3xi64>
  return %idx : tensor<?x4x?x3xi64>
}

// Forced blocks only (top = initial + local), one query head per group.
func.func @select_blocks_forced(%p: tensor<?x4x?x?xf32> {attn.dims = "B,Hq,T,Nc"})
    -> tensor<?x4x?x3xi64> {
  %idx = attn.select_blocks %p compressed(4, 2) block 4 top 3 initial 2 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x4x?x3xi64>
  return %idx : tensor<?x4x?x3xi64>
}

// Top 4 of raw scores (two index rows).
func.func @select_tokens(%s: tensor<?x2x?x?xf32> {attn.dims = "B,G,T,S"})
    -> tensor<?x2x?x4xi64> {
  %sel = attn.select_tokens %s top 4 : tensor<?x2x?x?xf32> -> tensor<?x2x?x4xi64>
  return %sel : tensor<?x2x?x4xi64>
}

// Top 3 of causally masked scores: short rows keep every unmasked key.
func.func @select_tokens_causal(%s: tensor<?x1x?x?xf32> {attn.dims = "B,G,T,S"})
    -> tensor<?x1x?x3xi64> {
  %m = attn.mask %s, causal : tensor<?x1x?x?xf32>
  %sel = attn.select_tokens %m top 3 : tensor<?x1x?x?xf32> -> tensor<?x1x?x3xi64>
  return %sel : tensor<?x1x?x3xi64>
}

// Learned (mlp) compression: block 4, stride 2, head dim 8, hidden 16.
func.func @compress_mlp(%k: tensor<?x2x?x8xf32> {attn.dims = "B,H,S,D"},
                        %pe: tensor<4x8xf32>, %w1: tensor<32x16xf32>,
                        %w2: tensor<16x8xf32>) -> tensor<?x2x?x8xf32> {
  %kc = attn.compress %k, mlp block 4 stride 2
      weights(%pe, %w1, %w2 : tensor<4x8xf32>, tensor<32x16xf32>, tensor<16x8xf32>)
      : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %kc : tensor<?x2x?x8xf32>
}

// Mean compression, block 5 and stride 2.
func.func @compress_mean(%k: tensor<?x3x?x8xf32> {attn.dims = "B,H,S,D"})
    -> tensor<?x3x?x8xf32> {
  %kc = attn.compress %k, mean block 5 stride 2
      : tensor<?x3x?x8xf32> -> tensor<?x3x?x8xf32>
  return %kc : tensor<?x3x?x8xf32>
}

// Two branches mixed by sigmoid gates.
func.func @gate_combine(%a: tensor<?x4x?x8xf32> {attn.dims = "B,H,T,D"},
                        %b: tensor<?x4x?x8xf32> {attn.dims = "B,H,T,D"},
                        %g: tensor<?x4x?x2xf32> {attn.dims = "B,H,T,Br"})
    -> tensor<?x4x?x8xf32> {
  %o = attn.gate_combine %a, %b gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x2xf32>
      -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// Projections: one input head to four (output dim 24, no multiple of the
// register block), and transposed two heads to four.
func.func @project(%x: tensor<?x1x?x16xf32> {attn.dims = "B,Hin,T,Din"},
                   %w: tensor<4x16x24xf32>) -> tensor<?x4x?x24xf32> {
  %o = attn.project %x, %w
      : tensor<?x1x?x16xf32>, tensor<4x16x24xf32> -> tensor<?x4x?x24xf32>
  return %o : tensor<?x4x?x24xf32>
}
func.func @project_transposed(%x: tensor<?x2x?x24xf32> {attn.dims = "B,Hin,T,Din"},
                              %w: tensor<4x64x24xf32>) -> tensor<?x4x?x64xf32> {
  %o = attn.project %x, %w transposed
      : tensor<?x2x?x24xf32>, tensor<4x64x24xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}

// RoPE at positions t, and at lengths[b] - T + t.
func.func @rope(%x: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,D"})
    -> tensor<?x2x?x16xf32> {
  %r = attn.rope %x theta 10000.0 : tensor<?x2x?x16xf32>
  return %r : tensor<?x2x?x16xf32>
}
func.func @rope_lengths(%x: tensor<?x2x?x16xf32> {attn.dims = "B,H,T,D"},
                        %lengths: tensor<?xi64> {attn.dims = "B"})
    -> tensor<?x2x?x16xf32> {
  %r = attn.rope %x theta 500.0 lengths %lengths
      : tensor<?x2x?x16xf32>, tensor<?xi64>
  return %r : tensor<?x2x?x16xf32>
}

// The DSA indexer alone.
func.func @index_score(%q: tensor<?x3x?x8xf32> {attn.dims = "B,Hi,T,D"},
                       %k: tensor<?x1x?x8xf32> {attn.dims = "B,Hk,S,D"},
                       %w: tensor<?x3x?xf32> {attn.dims = "B,Hi,T"})
    -> tensor<?x1x?x?xf32> {
  %s = attn.index_score %q, %k, %w
      : tensor<?x3x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x3x?xf32>
      -> tensor<?x1x?x?xf32>
  return %s : tensor<?x1x?x?xf32>
}

// Attention over compressed keys and values (no compressed mask): with fewer
// tokens than a block there are none, and each query row sees nothing.
func.func @compressed_attention(%q: tensor<?x2x?x8xf32> {attn.dims = "B,H,T,D"},
                                %k: tensor<?x2x?x8xf32> {attn.dims = "B,H,S,D"},
                                %v: tensor<?x2x?x8xf32> {attn.dims = "B,H,S,D"})
    -> tensor<?x2x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4
      : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4
      : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %s = attn.score %q, %kc
      : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x?xf32>
  %p = attn.softmax %s : tensor<?x2x?x?xf32>
  %o = attn.aggregate %p, %vc
      : tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
