// A NaN constant in a score_mod body, selected away again by an unordered
// test: the result is the unmodified softmax. Halide assumes floats are never
// NaN unless they are strict, which the CPU backend makes a body's floats.
func.func @attention(%q: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
                     %k: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
                     %v: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"})
    -> tensor<1x2x?x16xf32> {
  %s = attn.score %q, %k scale 0.25
      : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x?xf32>
  %x = attn.score_mod %s : tensor<1x2x?x?xf32> {
  ^bb0(%a: f32, %b: index, %h: index, %t: index, %u: index):
    %nan = arith.constant 0x7FC00000 : f32
    %c = arith.cmpi ule, %u, %t : index
    %y = arith.select %c, %a, %nan : f32
    %w = arith.cmpf uno, %y, %y : f32
    %z = arith.select %w, %a, %y : f32
    attn.yield %z : f32
  }
  %p = attn.softmax %x : tensor<1x2x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<1x2x?x?xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
