// A score_mod that hides keys with -inf (arith.constant 0xFF800000, the
// usual way): keys more than 16 positions before the query, over a causal
// mask, 8 query heads sharing 2 KV heads. +inf and NaN constants too, in
// ops that leave the score as it is (minimumf with +inf; a NaN that an
// unordered comparison picks against).
func.func @attention(%q: tensor<?x8x?x64xbf16> {attn.dims = "B,Hq,T,Dk"},
                     %k: tensor<?x2x?x64xbf16> {attn.dims = "B,Hkv,S,Dk"},
                     %v: tensor<?x2x?x64xbf16> {attn.dims = "B,Hkv,S,Dv"})
    -> tensor<?x8x?x64xbf16> {
  %s = attn.score %q, %k scale 0.125
      : (tensor<?x8x?x64xbf16>, tensor<?x2x?x64xbf16>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %c = attn.score_mod %m : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %neginf = arith.constant 0xFF800000 : f32
    %inf = arith.constant 0x7F800000 : f32
    %nan = arith.constant 0x7FC00000 : f32
    %sixteen = arith.constant 16 : index
    %d = arith.subi %t, %j : index
    %near = arith.cmpi sle, %d, %sixteen : index
    %hidden = arith.select %near, %x, %neginf : f32
    %capped = arith.minimumf %hidden, %inf : f32
    %any = arith.cmpf uno, %capped, %nan : f32
    %y = arith.select %any, %capped, %nan : f32
    attn.yield %y : f32
  }
  %p = attn.softmax %c : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x2x?x64xbf16> -> tensor<?x8x?x64xbf16>
  return %o : tensor<?x8x?x64xbf16>
}
