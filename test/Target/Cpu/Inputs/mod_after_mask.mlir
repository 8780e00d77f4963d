// A score mod after a mask: masked scores stay masked (attn.score_mod's
// contract), whatever the body would make of them. @clamp's maximumf would
// turn a hidden key's -inf into -5; @log's log would turn it into NaN;
// @log_probs returns the probabilities, so the chain is not fused.
func.func @clamp(%q: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
                 %k: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
                 %v: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"})
    -> tensor<1x2x?x16xf32> {
  %s = attn.score %q, %k scale 0.25
      : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x?xf32>
  %m = attn.mask %s, causal : tensor<1x2x?x?xf32>
  %x = attn.score_mod %m : tensor<1x2x?x?xf32> {
  ^bb0(%a: f32, %b: index, %h: index, %t: index, %u: index):
    %c = arith.constant -5.0 : f32
    %r = arith.maximumf %a, %c : f32
    attn.yield %r : f32
  }
  %p = attn.softmax %x : tensor<1x2x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<1x2x?x?xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

func.func @log(%q: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
               %k: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
               %v: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"})
    -> tensor<1x2x?x16xf32> {
  %s = attn.score %q, %k scale 0.25
      : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x?xf32>
  %m = attn.mask %s, sliding_window(5) : tensor<1x2x?x?xf32>
  %x = attn.score_mod %m : tensor<1x2x?x?xf32> {
  ^bb0(%a: f32, %b: index, %h: index, %t: index, %u: index):
    %c = arith.constant 2.0 : f32
    %p = arith.addf %a, %c : f32
    %r = math.log %p : f32
    attn.yield %r : f32
  }
  %p = attn.softmax %x : tensor<1x2x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<1x2x?x?xf32>, tensor<1x2x?x16xf32> -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

func.func @log_probs(%q: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"},
                     %k: tensor<1x2x?x16xf32> {attn.dims = "B,H,T,D"})
    -> tensor<1x2x?x?xf32> {
  %s = attn.score %q, %k scale 0.25
      : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x?xf32>
  %m = attn.mask %s, sliding_window(5) : tensor<1x2x?x?xf32>
  %x = attn.score_mod %m : tensor<1x2x?x?xf32> {
  ^bb0(%a: f32, %b: index, %h: index, %t: index, %u: index):
    %c = arith.constant 2.0 : f32
    %p = arith.addf %a, %c : f32
    %r = math.log %p : f32
    attn.yield %r : f32
  }
  %p = attn.softmax %x : tensor<1x2x?x?xf32>
  return %p : tensor<1x2x?x?xf32>
}
