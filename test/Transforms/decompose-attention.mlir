// RUN: attention-opt %s --attn-decompose-attention | FileCheck %s

// attn.attention is its decomposition: the score at the op's scale, one
// attn.mask per mask in order (each counting positions from the op's
// lengths), the block mask, the score mod, softmax, aggregate, and the
// log-sum-exp of the same scores.
// CHECK-LABEL: func.func @everything(
// CHECK: %[[S:.+]] = attn.score %arg0, %arg1 + %arg2, %arg3 scale 2.500000e-01 : ({{.*}}) -> tensor<?x8x?x?xf32>
// CHECK: %[[M1:.+]] = attn.mask %[[S]], causal lengths %arg5
// CHECK: %[[M2:.+]] = attn.mask %[[M1]], sliding_window(64) lengths %arg5
// CHECK: %[[B:.+]] = attn.block_mask %[[M2]], %arg6, block 16
// CHECK: %[[MOD:.+]] = attn.score_mod %[[B]]
// CHECK: math.tanh
// CHECK: %[[P:.+]] = attn.softmax %[[MOD]]
// CHECK: %[[O:.+]] = attn.aggregate %[[P]], %arg4
// CHECK: %[[L:.+]] = attn.logsumexp %[[MOD]] : tensor<?x8x?x?xf32> -> tensor<?x8x?xf32>
// CHECK: return %[[O]], %[[L]]
func.func @everything(%q: tensor<?x8x?x32xbf16>, %k: tensor<?x2x?x32xbf16>,
                      %qr: tensor<?x8x?x8xbf16>, %kr: tensor<?x1x?x8xbf16>,
                      %v: tensor<?x2x?x16xbf16>, %len: tensor<?xi32>,
                      %idx: tensor<?x2x?x4xi64>)
    -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>) {
  %o, %l = attn.attention %q, %k + %qr, %kr, %v scale 0.25
      masks(causal, sliding_window(64)) lengths %len select %idx block 16
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %s: index):
        %y = math.tanh %x : f32
        attn.yield %y : f32
      }
      : (tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x8x?x8xbf16>,
         tensor<?x1x?x8xbf16>, tensor<?x2x?x16xbf16>, tensor<?xi32>,
         tensor<?x2x?x4xi64>)
      -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>)
  return %o, %l : tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>
}

// Without masks or a score mod: score, softmax, aggregate.
// CHECK-LABEL: func.func @plain(
// CHECK-NEXT: %[[S:.+]] = attn.score %arg0, %arg0 scale 1.000000e+00
// CHECK-NEXT: %[[P:.+]] = attn.softmax %[[S]]
// CHECK-NEXT: %[[O:.+]] = attn.aggregate %[[P]], %arg0
// CHECK-NEXT: return %[[O]]
func.func @plain(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o, %l = attn.attention %q, %q, %q scale 1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>)
      -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return %o : tensor<1x2x4x8xf32>
}
