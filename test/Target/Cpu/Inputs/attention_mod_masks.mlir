// A score mod that masks (yields -inf for queries 0-2): those rows see no
// key, so their output is 0 and their log-sum-exp -inf.
func.func @attention(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>) -> (tensor<1x2x8x4xf32>, tensor<1x2x8xf32>) {
  %o, %l = attn.attention %q, %k, %v scale 1.0 score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %inf = arith.constant 0xFF800000 : f32
    %c3 = arith.constant 3 : index
    %far = arith.cmpi ult, %i, %c3 : index
    %y = arith.select %far, %inf, %x : f32
    attn.yield %y : f32
  } : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> (tensor<1x2x8x4xf32>, tensor<1x2x8xf32>)
  return %o, %l : tensor<1x2x8x4xf32>, tensor<1x2x8xf32>
}
