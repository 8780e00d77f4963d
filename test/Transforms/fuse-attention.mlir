// RUN: attention-opt %s --attn-fuse-attention="explain=true" -verify-diagnostics | FileCheck %s

// attn-fuse-attention turns aggregate(softmax(chain(score))) into one
// attn.attention, and the ops it fused go. Where the program is not softmax
// attention as attn.attention means it, the IR is left alone and a remark at
// the aggregate says why.

// Masks become attributes in program order, the scale the score's effective
// one (1/sqrt(16)), their lengths the op's.
// CHECK-LABEL: func.func @masks_and_lengths(
// CHECK-NEXT: %{{.+}}, %{{.+}} = attn.attention %arg0, %arg1, %arg2 scale 2.500000e-01 masks(sliding_window(8), causal) lengths %arg3 : ({{.*}}) -> (tensor<?x4x?x16xf32>, tensor<?x4x?xf32>)
// CHECK-NEXT: return
func.func @masks_and_lengths(%q: tensor<?x4x?x16xf32> {attn.dims = "B,Hq,T,Dk"},
    %k: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dk"},
    %v: tensor<?x2x?x16xf32> {attn.dims = "B,Hkv,S,Dv"},
    %len: tensor<?xi32> {attn.dims = "B"}) -> tensor<?x4x?x16xf32> {
  %s = attn.score %q, %k : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x4x?x?xf32>
  %w = attn.mask %s, sliding_window(8) lengths %len : tensor<?x4x?x?xf32>, tensor<?xi32>
  %c = attn.mask %w, causal lengths %len : tensor<?x4x?x?xf32>, tensor<?xi32>
  %p = attn.softmax %c : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// One score mod keeps its body as written.
// CHECK-LABEL: func.func @one_mod(
// CHECK: attn.attention %arg0, %arg1, %arg2 scale 1.000000e+00 masks(causal) score_mod {
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %{{.+}}: index, %{{.+}}: index, %{{.+}}: index, %{{.+}}: index):
// CHECK-NEXT: %[[Y:.+]] = math.tanh %[[X]] : f32
// CHECK-NEXT: attn.yield %[[Y]] : f32
func.func @one_mod(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k scale 1.0 : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %t = attn.score_mod %s : tensor<1x2x8x8xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %c = attn.mask %t, causal : tensor<1x2x8x8xf32>
  %p = attn.softmax %c : tensor<1x2x8x8xf32>
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// Two score mods compose in order; where the first masks a score (-inf),
// the second is skipped, as attn.score_mod skips masked scores.
// CHECK-LABEL: func.func @two_mods(
// CHECK: score_mod {
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %{{.+}}: index, %{{.+}}: index, %[[T:.+]]: index, %[[S:.+]]: index):
// CHECK: %[[FIRST:.+]] = arith.select %{{.+}}, %{{.+}}, %[[X]] : f32
// CHECK-NEXT: %[[TANH:.+]] = math.tanh %[[FIRST]] : f32
// CHECK-NEXT: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[MASKED:.+]] = arith.cmpf oeq, %[[FIRST]], %[[NEGINF]] : f32
// CHECK-NEXT: %[[OUT:.+]] = arith.select %[[MASKED]], %[[FIRST]], %[[TANH]] : f32
// CHECK-NEXT: attn.yield %[[OUT]] : f32
func.func @two_mods(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k scale 1.0 : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %m = attn.score_mod %s : tensor<1x2x8x8xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %inf = arith.constant 0xFF800000 : f32
    %far = arith.cmpi ugt, %j, %i : index
    %y = arith.select %far, %inf, %x : f32
    attn.yield %y : f32
  }
  %t = attn.score_mod %m : tensor<1x2x8x8xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %p = attn.softmax %t : tensor<1x2x8x8xf32>
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// MLA's RoPE pair and DSA's token selection become operands.
// CHECK-LABEL: func.func @rope_and_selection(
// CHECK-NEXT: attn.attention %arg0, %arg1 + %arg2, %arg3, %arg1 scale 1.250000e-01 masks(causal) select %arg4 block 1 :
func.func @rope_and_selection(%q: tensor<?x8x?x32xbf16>, %c: tensor<?x1x?x32xbf16>,
    %qr: tensor<?x8x?x16xbf16>, %kr: tensor<?x1x?x16xbf16>,
    %idx: tensor<?x1x?x4xi64>) -> tensor<?x8x?x32xbf16> {
  %s = attn.score %q, %c + %qr, %kr scale 0.125
      : (tensor<?x8x?x32xbf16>, tensor<?x1x?x32xbf16>, tensor<?x8x?x16xbf16>, tensor<?x1x?x16xbf16>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %b = attn.block_mask %m, %idx, block 1 : tensor<?x8x?x?xf32>, tensor<?x1x?x4xi64>
  %p = attn.softmax %b : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %c : tensor<?x8x?x?xf32>, tensor<?x1x?x32xbf16> -> tensor<?x8x?x32xbf16>
  return %o : tensor<?x8x?x32xbf16>
}

// CHECK-LABEL: func.func @linear(
// CHECK: attn.aggregate
func.func @linear(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %c = attn.mask %s, causal : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not fused into attn.attention: its weights are not an attn.softmax}}
  %o = attn.aggregate %c, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// CHECK-LABEL: func.func @per_key_decay(
// CHECK: attn.aggregate
func.func @per_key_decay(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>, %g: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k decay %g : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.softmax %s : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not fused into attn.attention: its score is per-key decayed (linear attention)}}
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// Positions count back from each mask's key length, so masks with
// different lengths cannot share the op's one.
// CHECK-LABEL: func.func @different_lengths(
// CHECK: attn.aggregate
func.func @different_lengths(%q: tensor<?x2x?x4xf32>, %k: tensor<?x2x?x4xf32>,
    %v: tensor<?x2x?x4xf32>, %len: tensor<?xi32>) -> tensor<?x2x?x4xf32> {
  %s = attn.score %q, %k : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x?xf32>
  %c = attn.mask %s, causal lengths %len : tensor<?x2x?x?xf32>, tensor<?xi32>
  %w = attn.mask %c, sliding_window(4) : tensor<?x2x?x?xf32>
  %p = attn.softmax %w : tensor<?x2x?x?xf32>
  // expected-remark @+1 {{not fused into attn.attention: its masks count positions from different key lengths}}
  %o = attn.aggregate %p, %v : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// CHECK-LABEL: func.func @two_block_masks(
// CHECK: attn.aggregate
func.func @two_block_masks(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>, %i: tensor<1x2x8x2xi64>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %a = attn.block_mask %s, %i, block 2 : tensor<1x2x8x8xf32>, tensor<1x2x8x2xi64>
  %b = attn.block_mask %a, %i, block 4 : tensor<1x2x8x8xf32>, tensor<1x2x8x2xi64>
  %p = attn.softmax %b : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not fused into attn.attention: it has more than one attn.block_mask}}
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// CHECK-LABEL: func.func @feature_map_between(
// CHECK: attn.aggregate
func.func @feature_map_between(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
    %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %s = attn.score %q, %k : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x8xf32>
  %f = attn.feature_map %s, relu : tensor<1x2x8x8xf32>
  %p = attn.softmax %f : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not fused into attn.attention: 'attn.feature_map' stands between the score and the softmax}}
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// CHECK-LABEL: func.func @softmax_of_argument(
// CHECK: attn.aggregate
func.func @softmax_of_argument(%s: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %p = attn.softmax %s : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not fused into attn.attention: the softmax's scores are a function argument}}
  %o = attn.aggregate %p, %v : tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}
