// Bidirectional attention over per-sequence key lengths, head dim 256.
func.func @lengths_d256(%q: tensor<?x4x?x256xbf16>, %k: tensor<?x4x?x256xbf16>,
                        %v: tensor<?x4x?x256xbf16>, %len: tensor<?xi64>)
    -> tensor<?x4x?x256xbf16> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, none lengths %len : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x256xbf16> -> tensor<?x4x?x256xbf16>
  return %o : tensor<?x4x?x256xbf16>
}
