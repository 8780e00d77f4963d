// RUN: attention-opt %s -split-input-file -attn-expose-state -verify-diagnostics | FileCheck %s
// RUN: attention-opt %examples/mamba2.mlir -attn-linear-decode-pipeline | FileCheck %s --check-prefix=DECODE

// A scan from zero starts from a new last argument and returns its final
// state after the old results.
// CHECK-LABEL: func.func @scan(
// CHECK-SAME: %[[G:[^:]+]]: tensor<?x2x?xf32>, %[[S0:[^:]+]]: tensor<?x2x16x8xf32> {attn.dims = "B,Hq,Dk,Dv"})
// CHECK-SAME: -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %[[G]] init %[[S0]] :
// CHECK-SAME: (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?xf32>, tensor<?x2x16x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>)
// CHECK: return %[[O]], %[[S]] : tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>
func.func @scan(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                %v: tensor<?x2x?x8xf32>, %g: tensor<?x2x?xf32>)
    -> tensor<?x2x?x8xf32> {
  %o, %st = attn.scan %q, %k, %v gates %g
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>,
         tensor<?x2x?xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x16x8xf32>) {
  ^bb0(%S: !attn.state<16x8xf32>, %qt: tensor<16xf32>, %kt: tensor<16xf32>,
       %vt: tensor<8xf32>, %gt: f32):
    %d = attn.state.decay %S, %gt : !attn.state<16x8xf32>, f32
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
    %r = attn.state.read %u, %qt
        : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
    attn.yield %u, %r : !attn.state<16x8xf32>, tensor<8xf32>
  }
  return %o : tensor<?x2x?x8xf32>
}

// -----

// A static batch gives a static state.
// CHECK-LABEL: func.func @chunked(
// CHECK-SAME: %[[S0:[^:]+]]: tensor<2x4x64x32xf32> {attn.dims = "B,Hq,Dk,Dv"})
// CHECK-SAME: -> (tensor<2x4x16x32xf32>, tensor<2x4x64x32xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = attn.chunked_scan %{{.+}}, %{{.+}}, %{{.+}} init %[[S0]] chunk 8 scale 1.250000e-01 :
// CHECK: return %[[O]], %[[S]]
func.func @chunked(%q: tensor<2x4x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                   %v: tensor<2x2x16x32xf32>) -> tensor<2x4x16x32xf32> {
  %o, %s = attn.chunked_scan %q, %k, %v chunk 8 scale 0.125
      : (tensor<2x4x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>)
      -> (tensor<2x4x16x32xf32>, tensor<2x4x64x32xf32>)
  return %o : tensor<2x4x16x32xf32>
}

// -----

// The materialized form also returns its per-chunk states; only the final
// state is carried.
// CHECK-LABEL: func.func @materialized(
// CHECK-SAME: %[[S0:[^:]+]]: tensor<?x1x4x4xf32> {attn.dims = "B,Hq,Dk,Dv"})
// CHECK-SAME: -> (tensor<?x1x?x4xf32>, tensor<?x1x?x4x4xf32>, tensor<?x1x4x4xf32>)
// CHECK: %[[O:.+]], %[[S:.+]], %[[C:.+]] = attn.chunked_scan {{.*}} init %[[S0]] chunk 4 scale 1.000000e+00 materialized
// CHECK: return %[[O]], %[[C]], %[[S]]
func.func @materialized(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                        %v: tensor<?x1x?x4xf32>)
    -> (tensor<?x1x?x4xf32>, tensor<?x1x?x4x4xf32>) {
  %o, %s, %c = attn.chunked_scan %q, %k, %v chunk 4 scale 1.0 materialized
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>, tensor<?x1x?x4x4xf32>)
  return %o, %c : tensor<?x1x?x4xf32>, tensor<?x1x?x4x4xf32>
}

// -----

// The bidirectional form: the first scan (K^T V from zero) gets the state;
// the second already starts from the first's final state.
// CHECK-LABEL: func.func @bidirectional(
// CHECK-SAME: %[[S0:[^:]+]]: tensor<?x1x4x4xf32> {attn.dims = "B,Hq,Dk,Dv"})
// CHECK-SAME: -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>)
// CHECK: %{{.+}}, %[[KV:.+]] = attn.scan %{{.+}}, %{{.+}}, %{{.+}} init %[[S0]] :
// CHECK: %[[O:.+]], %{{.+}} = attn.scan %{{.+}}, %{{.+}}, %{{.+}} init %[[KV]] :
// CHECK: return %[[O]], %[[KV]]
func.func @bidirectional(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                         %v: tensor<?x1x?x4xf32>) -> tensor<?x1x?x4xf32> {
  %o1, %kv = attn.scan %q, %k, %v
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<4x4xf32>, tensor<4xf32>, tensor<4xf32>
    %r = attn.state.read %u, %qt
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    attn.yield %u, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  %o, %s = attn.scan %q, %k, %v init %kv
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>,
         tensor<?x1x4x4xf32>) -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    %r = attn.state.read %S, %qt
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    attn.yield %S, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  return %o : tensor<?x1x?x4xf32>
}

// -----

// Two recurrences: one argument and one result each, in program order.
// CHECK-LABEL: func.func @two(
// CHECK-SAME: %[[A:[^:]+]]: tensor<?x1x4x4xf32> {attn.dims = "B,Hq,Dk,Dv"}, %[[B:[^:]+]]: tensor<?x1x4x4xf32> {attn.dims = "B,Hq,Dk,Dv"})
// CHECK: %[[O1:.+]], %[[S1:.+]] = attn.chunked_scan {{.*}} init %[[A]]
// CHECK: %[[O2:.+]], %[[S2:.+]] = attn.chunked_scan {{.*}} init %[[B]]
// CHECK: return %[[O1]], %[[O2]], %[[S1]], %[[S2]]
func.func @two(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
               %v: tensor<?x1x?x4xf32>)
    -> (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>) {
  %o1, %s1 = attn.chunked_scan %q, %k, %v chunk 4 scale 1.0
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>)
  %o2, %s2 = attn.chunked_scan %k, %q, %v chunk 4 scale 1.0
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>)
  return %o1, %o2 : tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>
}

// -----

// Functions without a recurrence from zero keep their signature.
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME: -> tensor<?x8x?x64xf32>
func.func @softmax(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                   %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %p = attn.softmax %s : tensor<?x8x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @with_init(
// CHECK-SAME: %[[S0:[^:]+]]: tensor<?x1x4x4xf32>)
// CHECK-SAME: -> tensor<?x1x?x4xf32>
// CHECK: attn.chunked_scan {{.*}} init %[[S0]] chunk
func.func @with_init(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                     %v: tensor<?x1x?x4xf32>, %s0: tensor<?x1x4x4xf32>)
    -> tensor<?x1x?x4xf32> {
  %o, %s = attn.chunked_scan %q, %k, %v init %s0 chunk 4 scale 1.0
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>,
         tensor<?x1x4x4xf32>) -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>)
  return %o : tensor<?x1x?x4xf32>
}

// -----

// A called function cannot change its signature under its callers.
// expected-error @+1 {{has callers; exposing its recurrent state would change the signature they use}}
func.func @callee(%q: tensor<1x1x4x4xf32>, %k: tensor<1x1x4x4xf32>,
                  %v: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %o, %s = attn.chunked_scan %q, %k, %v chunk 4 scale 1.0
      : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>)
      -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>)
  return %o : tensor<1x1x4x4xf32>
}

func.func @caller(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %o = func.call @callee(%x, %x, %x)
      : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>)
      -> tensor<1x1x4x4xf32>
  return %o : tensor<1x1x4x4xf32>
}

// The decode pipeline takes a linear program to the recurrent form with the
// state in and out.
// DECODE-LABEL: func.func @attention(
// DECODE-SAME: %[[G:[^:]+]]: tensor<?x8x?xf32> {attn.dims = "B,H,T"}, %[[S0:[^:]+]]: tensor<?x8x64x64xf32> {attn.dims = "B,Hq,Dk,Dv"})
// DECODE-SAME: -> (tensor<?x8x?x64xf32>, tensor<?x8x64x64xf32>)
// DECODE: %[[O:.+]], %[[S:.+]] = attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %[[G]] init %[[S0]]
// DECODE: attn.state.decay
// DECODE: return %[[O]], %[[S]]
