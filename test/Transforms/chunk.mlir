// RUN: attention-opt %s -split-input-file --attn-chunk="chunk-size=16" | FileCheck %s
// RUN: attention-opt %s -split-input-file --attn-chunk="chunk-size=32 materialize-states=true" | FileCheck %s --check-prefix=MAT
// RUN: not attention-opt %s -split-input-file --attn-chunk="chunk-size=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: attn-chunk: chunk-size must lie in [1, 4096], got 0
// RUN: not attention-opt %s -split-input-file --attn-chunk="chunk-size=9223372036854775807" 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: error: attn-chunk: chunk-size must lie in [1, 4096], got 9223372036854775807

// The gated recurrence becomes one chunked scan with the read's scale; the
// per-chunk states exist only when materialized.
// CHECK-LABEL: func.func @gated
// CHECK: %[[O:.*]], %[[S:.*]] = attn.chunked_scan %arg0, %arg1, %arg2 gates %arg3 init %arg4 chunk 16 scale 2.500000e-01 :
// CHECK-NOT: attn.scan
// CHECK: return %[[O]], %[[S]]
// MAT-LABEL: func.func @gated
// MAT: attn.chunked_scan {{.*}} chunk 32 scale 2.500000e-01 materialized : {{.*}} -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>, tensor<?x2x?x16x8xf32>)
func.func @gated(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                 %v: tensor<?x2x?x8xf32>, %g: tensor<?x2x?xf32>,
                 %s0: tensor<?x2x16x8xf32>)
    -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>) {
  %o, %st = attn.scan %q, %k, %v gates %g init %s0
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>,
         tensor<?x2x?xf32>, tensor<?x2x16x8xf32>)
      -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>) {
  ^bb0(%S: !attn.state<16x8xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>,
       %vt: tensor<8xf32>, %gt: f32):
    %d = attn.state.decay %S, %gt : !attn.state<16x8xf32>, f32
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
    %r = attn.state.read %u, %qt scale 2.500000e-01
        : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
    attn.yield %u, %r : !attn.state<16x8xf32>, tensor<8xf32>
  }
  return %o, %st : tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>
}

// -----

// A static length gives a static number of chunks: ceil(100 / 32) = 4.
// MAT-LABEL: func.func @static_length
// MAT: attn.chunked_scan {{.*}} chunk 32 scale 1.000000e+00 materialized : {{.*}} tensor<1x1x4x4x4xf32>)
func.func @static_length(%q: tensor<1x1x100x4xf32>, %k: tensor<1x1x100x4xf32>,
                         %v: tensor<1x1x100x4xf32>)
    -> tensor<1x1x100x4xf32> {
  %o, %st = attn.scan %q, %k, %v
      : (tensor<1x1x100x4xf32>, tensor<1x1x100x4xf32>, tensor<1x1x100x4xf32>)
      -> (tensor<1x1x100x4xf32>, tensor<1x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<4x4xf32>, tensor<4xf32>, tensor<4xf32>
    %r = attn.state.read %u, %qt
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    attn.yield %u, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  return %o : tensor<1x1x100x4xf32>
}

// -----

// Reading before the update is another recurrence (o_t sees S_{t-1}): it is
// not what chunked_scan computes, so it stays.
// CHECK-LABEL: func.func @read_before_update
// CHECK: attn.scan
// CHECK-NOT: attn.chunked_scan
func.func @read_before_update(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                              %v: tensor<?x1x?x4xf32>)
    -> tensor<?x1x?x4xf32> {
  %o, %st = attn.scan %q, %k, %v
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    %r = attn.state.read %S, %qt
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<4x4xf32>, tensor<4xf32>, tensor<4xf32>
    attn.yield %u, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  return %o : tensor<?x1x?x4xf32>
}
