// RUN: attention-opt %s --attn-fuse-nsa="explain=true" -verify-diagnostics | FileCheck %s

// attn-fuse-nsa turns NSA's three gated branches into one attn.nsa, and
// every op of the branches goes. Where the program is not NSA as attn.nsa
// means it, the IR is left alone and a remark at the gate_combine says why. Test programs: Hq = 4 query heads over
// Hkv = 2, head dim 8, compression block 8 / stride 4, selection block 8, top
// 4 (1 initial, 1 local), window 16, unless a case says otherwise.

// examples/nsa.mlir's form: separate compressions of k and v.

// CHECK-LABEL: func.func @nsa(
// CHECK-NEXT: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg2 gates %arg3(compressed, selected, window) compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1 window 16 scale 0.35355339059327373 : ({{.*}}) -> tensor<?x4x?x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @nsa(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// Keys that are also the values: one compression serves both.

// CHECK-LABEL: func.func @shared_compression(
// CHECK-NEXT: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg1 gates %arg2(compressed, selected, window) compress mean block 8 stride 4
// CHECK-NEXT: return %[[O]]
func.func @shared_compression(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %kc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %k : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %k : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// MLP compression, a separate MLP for keys and for values.

// CHECK-LABEL: func.func @mlp(
// CHECK-NEXT: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg2 gates %arg3(compressed, selected, window) compress mlp block 8 stride 4 key_weights(%arg4, %arg5, %arg6) value_weights(%arg7, %arg8, %arg9) select block 8
// CHECK-NEXT: return %[[O]]
func.func @mlp(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>,
    %pk: tensor<8x8xf32>, %w1k: tensor<64x16xf32>, %w2k: tensor<16x8xf32>,
    %pv: tensor<8x8xf32>, %w1v: tensor<64x16xf32>, %w2v: tensor<16x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mlp block 8 stride 4
      weights(%pk, %w1k, %w2k : tensor<8x8xf32>, tensor<64x16xf32>, tensor<16x8xf32>) : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mlp block 8 stride 4
      weights(%pv, %w1v, %w2v : tensor<8x8xf32>, tensor<64x16xf32>, tensor<16x8xf32>) : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// One MLP for both.

// CHECK-LABEL: func.func @mlp_shared_weights(
// CHECK-NEXT: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg2 gates %arg3(compressed, selected, window) compress mlp block 8 stride 4 key_weights(%arg4, %arg5, %arg6) value_weights(%arg4, %arg5, %arg6) select block 8
// CHECK-NEXT: return %[[O]]
func.func @mlp_shared_weights(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>,
    %pk: tensor<8x8xf32>, %w1k: tensor<64x16xf32>, %w2k: tensor<16x8xf32>,
    %pv: tensor<8x8xf32>, %w1v: tensor<64x16xf32>, %w2v: tensor<16x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mlp block 8 stride 4
      weights(%pk, %w1k, %w2k : tensor<8x8xf32>, tensor<64x16xf32>, tensor<16x8xf32>) : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mlp block 8 stride 4
      weights(%pk, %w1k, %w2k : tensor<8x8xf32>, tensor<64x16xf32>, tensor<16x8xf32>) : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// The branches in another order, in the program and in the gates; the
// window branch scores on its own; the block mask before the causal mask;
// other sizes and an explicit scale.

// CHECK-LABEL: func.func @reordered(
// CHECK-NEXT: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg2 gates %arg3(window, selected, compressed) compress mean block 16 stride 8 select block 24 top 3 initial 0 local 2 window 7 scale 5.000000e-01
// CHECK-NEXT: return %[[O]]
func.func @reordered(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %s2 = attn.score %q, %k scale 0.5 : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(7) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %kc = attn.compress %k, mean block 16 stride 8 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc scale 0.5 : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(16, 8) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %idx = attn.select_blocks %pc compressed(16, 8) block 24 top 3 initial 0 local 2
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x3xi64>
  %s = attn.score %q, %k scale 0.5 : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %bs = attn.block_mask %s, %idx, block 24 : tensor<?x4x?x?xf32>, tensor<?x2x?x3xi64>
  %ms = attn.mask %bs, causal : tensor<?x4x?x?xf32>
  %ps = attn.softmax %ms : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %vc = attn.compress %v, mean block 16 stride 8 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %o = attn.gate_combine %ow, %os, %oc gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// Static sizes; T = 20 is no multiple of any block. The compressed
// probabilities are a result too: their ops stay for it.

// CHECK-LABEL: func.func @static(
// CHECK: %[[P:.+]] = attn.softmax
// CHECK-NOT: attn.gate_combine
// CHECK: %[[O:.+]] = attn.nsa %arg0, %arg1, %arg2 gates %arg3(compressed, selected, window) compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1 window 16 scale 0.35355339059327373 : (tensor<2x4x20x8xf32>, tensor<2x2x20x8xf32>, tensor<2x2x20x8xf32>, tensor<2x4x20x3xf32>) -> tensor<2x4x20x8xf32>
// CHECK-NEXT: return %[[O]], %[[P]]
func.func @static(%q: tensor<2x4x20x8xf32>, %k: tensor<2x2x20x8xf32>, %v: tensor<2x2x20x8xf32>,
    %g: tensor<2x4x20x3xf32>) -> (tensor<2x4x20x8xf32>, tensor<2x4x20x4xf32>) {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<2x2x20x8xf32> -> tensor<2x2x4x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<2x2x20x8xf32> -> tensor<2x2x4x8xf32>
  %sc = attn.score %q, %kc : (tensor<2x4x20x8xf32>, tensor<2x2x4x8xf32>) -> tensor<2x4x20x4xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<2x4x20x4xf32>
  %pc = attn.softmax %mc : tensor<2x4x20x4xf32>
  %oc = attn.aggregate %pc, %vc : tensor<2x4x20x4xf32>, tensor<2x2x4x8xf32> -> tensor<2x4x20x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<2x4x20x4xf32> -> tensor<2x2x20x4xi64>
  %s = attn.score %q, %k : (tensor<2x4x20x8xf32>, tensor<2x2x20x8xf32>) -> tensor<2x4x20x20xf32>
  %ms = attn.mask %s, causal : tensor<2x4x20x20xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<2x4x20x20xf32>, tensor<2x2x20x4xi64>
  %ps = attn.softmax %bs : tensor<2x4x20x20xf32>
  %os = attn.aggregate %ps, %v : tensor<2x4x20x20xf32>, tensor<2x2x20x8xf32> -> tensor<2x4x20x8xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<2x4x20x20xf32>
  %pw = attn.softmax %mw : tensor<2x4x20x20xf32>
  %ow = attn.aggregate %pw, %v : tensor<2x4x20x20xf32>, tensor<2x2x20x8xf32> -> tensor<2x4x20x8xf32>
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<2x4x20x8xf32>, tensor<2x4x20x8xf32>, tensor<2x4x20x8xf32>), tensor<2x4x20x3xf32> -> tensor<2x4x20x8xf32>
  return %o, %pc : tensor<2x4x20x8xf32>, tensor<2x4x20x4xf32>
}

// -----------------------------------------------------------------------
// Refusals: each program differs from NSA in one way.
// -----------------------------------------------------------------------


// CHECK-LABEL: func.func @two_branches(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @two_branches(%a: tensor<?x4x?x8xf32>, %b: tensor<?x4x?x8xf32>, %g: tensor<?x4x?x2xf32>) -> tensor<?x4x?x8xf32> {
  // expected-remark @+1 {{not fused into attn.nsa: gate_combine mixes 2 branches, NSA three}}
  %o = attn.gate_combine %a, %b gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x2xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @not_aggregate(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @not_aggregate(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %x: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 is not an attn.aggregate}}
  %o = attn.gate_combine %oc, %os, %x gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @no_softmax(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @no_softmax(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %mw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 does not aggregate softmax probabilities}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @scores_from_outside(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @scores_from_outside(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %x: tensor<?x4x?x?xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %x : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 0 takes its scores from outside the function}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @score_mod(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @score_mod(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s0 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %s2 = attn.score_mod %s0 : tensor<?x4x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: 'attn.score_mod' stands between the scores and the softmax of branch 2}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @two_masks(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @two_masks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s0 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %s2 = attn.mask %s0, causal : tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 has several position masks}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @lengths(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @lengths(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %len: tensor<?xi64>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) lengths %len : tensor<?x4x?x?xf32>, tensor<?xi64>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 masks by per-sequence lengths}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @two_block_masks(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @two_block_masks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bm = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %bs = attn.block_mask %bm, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 1 has several block masks}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @two_pairs(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @two_pairs(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k + %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 adds several query-key pairs}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @decay(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @decay(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %gk: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k decay %gk : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 decays its scores}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @causal_window(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @causal_window(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, causal : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: branch 2 is none of NSA's branches (a compressed mask, a causal mask with a block mask, a sliding window)}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @two_windows(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @two_windows(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: two branches are NSA's window branch}}
  %o = attn.gate_combine %ow, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_queries(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_queries(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %q2: tensor<?x4x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q2, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the branches score different queries}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_keys(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_keys(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %k2: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k2 : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the selected and window branches score different keys}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_values(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_values(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %v2: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v2 : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the selected and window branches read different values}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_scale(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_scale(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k scale 0.5 : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the branches scale their scores differently}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_compressed_keys(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_compressed_keys(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the compressed branch's keys are not the other branches' keys, compressed}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @uncompressed_values(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @uncompressed_values(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %x: tensor<?x2x?x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %x : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the compressed branch's values are not the other branches' values, compressed}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @mixed_pooling(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @mixed_pooling(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>,
    %pv: tensor<8x8xf32>, %w1v: tensor<64x16xf32>, %w2v: tensor<16x8xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mlp block 8 stride 4
      weights(%pv, %w1v, %w2v : tensor<8x8xf32>, tensor<64x16xf32>, tensor<16x8xf32>) : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: keys and values are compressed differently}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_mask_blocks(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_mask_blocks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 2) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the compressed mask's blocks (8, 2) are not the compression's (8, 4)}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @indices_from_outside(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @indices_from_outside(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>, %x: tensor<?x2x?x4xi64>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %x, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the block mask's indices are not selected from the compressed branch's probabilities}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_selection_blocks(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_selection_blocks(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(16, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the selection's compressed blocks (16, 4) are not the compression's (8, 4)}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @other_block_mask_block(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @other_block_mask_block(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 16 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the block mask's block 16 is not the selection's 8}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @selection_block(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @selection_block(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 6 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 6 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: 'attn.nsa' op selection block 6 is not a multiple of the compression stride 4}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// The unfused ops cannot relate the values' batch to the keys' (the sizes
// between them are dynamic); attn.nsa's verifier can.

// CHECK-LABEL: func.func @value_batch(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @value_batch(%q: tensor<2x4x?x8xf32>, %k: tensor<2x2x?x8xf32>, %v: tensor<3x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<2x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<3x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<2x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x2x?x4xi64>
  %s = attn.score %q, %k : (tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x2x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<3x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<3x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: 'attn.nsa' op value vs key batch size mismatch: 3 vs 2}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @selection_per_head(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @selection_per_head(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x4x?x3xf32>) -> tensor<?x4x?x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %sc = attn.score %q, %kc : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<?x4x?x?xf32>
  %pc = attn.softmax %mc : tensor<?x4x?x?xf32>
  %oc = attn.aggregate %pc, %vc : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<?x4x?x?xf32> -> tensor<?x4x?x4xi64>
  %s = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %ms = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<?x4x?x?xf32>, tensor<?x4x?x4xi64>
  %ps = attn.softmax %bs : tensor<?x4x?x?xf32>
  %os = attn.aggregate %ps, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  %s2 = attn.score %q, %k : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x4x?x?xf32>
  %mw = attn.mask %s2, sliding_window(16) : tensor<?x4x?x?xf32>
  %pw = attn.softmax %mw : tensor<?x4x?x?xf32>
  %ow = attn.aggregate %pw, %v : tensor<?x4x?x?xf32>, tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: the selection has 4 head groups, not one per key and value head (2 and 2)}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>), tensor<?x4x?x3xf32> -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// CHECK-LABEL: func.func @cross_attention(
// CHECK-NOT: attn.nsa
// CHECK: attn.gate_combine
func.func @cross_attention(%q: tensor<2x4x20x8xf32>, %k: tensor<2x2x24x8xf32>, %v: tensor<2x2x24x8xf32>,
    %g: tensor<2x4x20x3xf32>) -> tensor<2x4x20x8xf32> {
  %kc = attn.compress %k, mean block 8 stride 4 : tensor<2x2x24x8xf32> -> tensor<2x2x5x8xf32>
  %vc = attn.compress %v, mean block 8 stride 4 : tensor<2x2x24x8xf32> -> tensor<2x2x5x8xf32>
  %sc = attn.score %q, %kc : (tensor<2x4x20x8xf32>, tensor<2x2x5x8xf32>) -> tensor<2x4x20x5xf32>
  %mc = attn.mask %sc, compressed(8, 4) : tensor<2x4x20x5xf32>
  %pc = attn.softmax %mc : tensor<2x4x20x5xf32>
  %oc = attn.aggregate %pc, %vc : tensor<2x4x20x5xf32>, tensor<2x2x5x8xf32> -> tensor<2x4x20x8xf32>
  %idx = attn.select_blocks %pc compressed(8, 4) block 8 top 4 initial 1 local 1
      : tensor<2x4x20x5xf32> -> tensor<2x2x20x4xi64>
  %s = attn.score %q, %k : (tensor<2x4x20x8xf32>, tensor<2x2x24x8xf32>) -> tensor<2x4x20x24xf32>
  %ms = attn.mask %s, causal : tensor<2x4x20x24xf32>
  %bs = attn.block_mask %ms, %idx, block 8 : tensor<2x4x20x24xf32>, tensor<2x2x20x4xi64>
  %ps = attn.softmax %bs : tensor<2x4x20x24xf32>
  %os = attn.aggregate %ps, %v : tensor<2x4x20x24xf32>, tensor<2x2x24x8xf32> -> tensor<2x4x20x8xf32>
  %mw = attn.mask %s, sliding_window(16) : tensor<2x4x20x24xf32>
  %pw = attn.softmax %mw : tensor<2x4x20x24xf32>
  %ow = attn.aggregate %pw, %v : tensor<2x4x20x24xf32>, tensor<2x2x24x8xf32> -> tensor<2x4x20x8xf32>
  // expected-remark @+1 {{not fused into attn.nsa: 'attn.nsa' op self-attention: key length vs query length mismatch: 24 vs 20}}
  %o = attn.gate_combine %oc, %os, %ow gates %g
      : (tensor<2x4x20x8xf32>, tensor<2x4x20x8xf32>, tensor<2x4x20x8xf32>), tensor<2x4x20x3xf32> -> tensor<2x4x20x8xf32>
  return %o : tensor<2x4x20x8xf32>
}
