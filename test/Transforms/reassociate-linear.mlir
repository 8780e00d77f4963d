// RUN: attention-opt %s -attn-reassociate-linear | FileCheck %s
// With explain, a rewritten aggregate gets no remark.
// RUN: attention-opt %s --attn-reassociate-linear="explain=true" -verify-diagnostics | FileCheck %s

// Causal linear attention with elu+1 (examples/linear.mlir): the feature maps
// stay, the score scale moves into the read.
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x8x?x64xf32>, %[[K:[^:]+]]: tensor<?x8x?x64xf32>, %[[V:[^:]+]]: tensor<?x8x?x64xf32>)
// CHECK: %[[FQ:.+]] = attn.feature_map %[[Q]], elu_plus_one
// CHECK: %[[FK:.+]] = attn.feature_map %[[K]], elu_plus_one
// CHECK-NOT: attn.score
// CHECK: %[[O:.+]], %{{.+}} = attn.scan %[[FQ]], %[[FK]], %[[V]] : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> (tensor<?x8x?x64xf32>, tensor<?x8x64x64xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.+]]: !attn.state<64x64xf32>, %[[QT:.+]]: tensor<64xf32>, %[[KT:.+]]: tensor<64xf32>, %[[VT:.+]]: tensor<64xf32>):
// CHECK-NEXT: %[[U:.+]] = attn.state.update %[[S]], %[[KT]], %[[VT]]
// CHECK-NEXT: %[[R:.+]] = attn.state.read %[[U]], %[[QT]] scale 1.000000e+00
// CHECK-NEXT: attn.yield %[[U]], %[[R]]
// CHECK-NEXT: }
// CHECK-NOT: attn.aggregate
// CHECK: return %[[O]]
func.func @linear(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                  %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %fq = attn.feature_map %q, elu_plus_one : tensor<?x8x?x64xf32>
  %fk = attn.feature_map %k, elu_plus_one : tensor<?x8x?x64xf32>
  %s = attn.score %fq, %fk scale 1.0
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// RetNet: constant per-head gates [H] become a scalar state decay; the
// default scale 1/sqrt(64) goes to the read.
// CHECK-LABEL: func.func @retnet(
// CHECK: %[[G:.+]] = arith.constant dense<{{.*}}> : tensor<2xf32>
// CHECK: %[[O:.+]], %{{.+}} = attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %[[G]] : (tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>, tensor<2xf32>) -> (tensor<?x2x?x32xf32>, tensor<?x2x64x32xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.+]]: !attn.state<64x32xf32>, %[[QT:.+]]: tensor<64xf32>, %[[KT:.+]]: tensor<64xf32>, %[[VT:.+]]: tensor<32xf32>, %[[GT:.+]]: f32):
// CHECK-NEXT: %[[D:.+]] = attn.state.decay %[[S]], %[[GT]] : !attn.state<64x32xf32>, f32
// CHECK-NEXT: %[[U:.+]] = attn.state.update %[[D]], %[[KT]], %[[VT]]
// CHECK-NEXT: %[[R:.+]] = attn.state.read %[[U]], %[[QT]] scale 1.250000e-01
// CHECK-NEXT: attn.yield %[[U]], %[[R]]
// CHECK-NOT: attn.decay
// CHECK: return %[[O]]
func.func @retnet(%q: tensor<?x2x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                  %v: tensor<?x2x?x32xf32>) -> tensor<?x2x?x32xf32> {
  %g = arith.constant dense<[-0.03, -0.015]> : tensor<2xf32>
  %s = attn.score %q, %k
      : (tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x2x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x2x?x?xf32>, tensor<2xf32>
  %o = attn.aggregate %d, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x32xf32> -> tensor<?x2x?x32xf32>
  return %o : tensor<?x2x?x32xf32>
}

// Mamba-2: data-dependent scalar gates [B, H, T], static sizes.
// CHECK-LABEL: func.func @mamba2(
// CHECK-SAME: %[[G:[^:]+]]: tensor<2x8x16xf32>)
// CHECK: attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %[[G]] : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16xf32>) -> (tensor<2x8x16x64xf32>, tensor<2x8x64x64xf32>)
// CHECK-NEXT: ^bb0(%[[S:.+]]: !attn.state<64x64xf32>, %{{.+}}: tensor<64xf32>, %{{.+}}: tensor<64xf32>, %{{.+}}: tensor<64xf32>, %[[GT:.+]]: f32):
// CHECK-NEXT: attn.state.decay %[[S]], %[[GT]] : !attn.state<64x64xf32>, f32
// CHECK-NEXT: attn.state.update
// CHECK-NEXT: attn.state.read {{.*}} scale 1.000000e+00
func.func @mamba2(%c: tensor<2x8x16x64xf32>, %b: tensor<2x8x16x64xf32>,
                  %x: tensor<2x8x16x64xf32>, %g: tensor<2x8x16xf32>)
    -> tensor<2x8x16x64xf32> {
  %s = attn.score %c, %b scale 1.0
      : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>) -> tensor<2x8x16x16xf32>
  %d = attn.decay %s, %g : tensor<2x8x16x16xf32>, tensor<2x8x16xf32>
  %o = attn.aggregate %d, %x
      : tensor<2x8x16x16xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// GLA: the score's per-key decay becomes a per-key state decay, its gate a
// tensor<Dk> per step.
// CHECK-LABEL: func.func @gla(
// CHECK-SAME: %[[G:[^:]+]]: tensor<?x4x?x64xf32>)
// CHECK: attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %[[G]] : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x128xf32>, tensor<?x4x?x64xf32>) -> (tensor<?x4x?x128xf32>, tensor<?x4x64x128xf32>)
// CHECK-NEXT: ^bb0(%[[S:.+]]: !attn.state<64x128xf32>, %{{.+}}: tensor<64xf32>, %{{.+}}: tensor<64xf32>, %{{.+}}: tensor<128xf32>, %[[GT:.+]]: tensor<64xf32>):
// CHECK-NEXT: attn.state.decay %[[S]], %[[GT]] : !attn.state<64x128xf32>, tensor<64xf32>
// CHECK-NEXT: attn.state.update
// CHECK-NEXT: attn.state.read {{.*}} scale 1.250000e-01
// CHECK-NOT: attn.score
func.func @gla(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
               %v: tensor<?x4x?x128xf32>, %g: tensor<?x4x?x64xf32>)
    -> tensor<?x4x?x128xf32> {
  %s = attn.score %q, %k decay %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> tensor<?x4x?x?xf32>
  %o = attn.aggregate %s, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return %o : tensor<?x4x?x128xf32>
}

// A decay followed by a causal mask (both causal) is the same recurrence.
// CHECK-LABEL: func.func @decay_then_mask(
// CHECK: attn.scan %{{.+}}, %{{.+}}, %{{.+}} gates %{{.+}} :
// CHECK: attn.state.decay
// CHECK-NOT: attn.mask
func.func @decay_then_mask(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                           %v: tensor<?x2x?x16xf32>, %g: tensor<?x2x?xf32>)
    -> tensor<?x2x?x16xf32> {
  %s = attn.score %q, %k
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x2x?x?xf32>, tensor<?x2x?xf32>
  %m = attn.mask %d, causal : tensor<?x2x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// GQA: the scan shares keys and values across a group; the state has the
// query heads.
// CHECK-LABEL: func.func @gqa(
// CHECK: attn.scan %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x24xf32>) -> (tensor<?x4x?x24xf32>, tensor<?x4x16x24xf32>)
// CHECK: attn.state.read {{.*}} scale 2.500000e-01
func.func @gqa(%q: tensor<?x4x?x16xf32>, %k: tensor<?x2x?x16xf32>,
               %v: tensor<?x2x?x24xf32>) -> tensor<?x4x?x24xf32> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x24xf32> -> tensor<?x4x?x24xf32>
  return %o : tensor<?x4x?x24xf32>
}

// Bidirectional (mask none): the first scan builds K^T V, the second starts
// from it and only reads.
// CHECK-LABEL: func.func @bidirectional(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x4x?x32xf32>, %[[K:[^:]+]]: tensor<?x4x?x32xf32>, %[[V:[^:]+]]: tensor<?x4x?x16xf32>)
// CHECK: %[[FQ:.+]] = attn.feature_map %[[Q]], elu_plus_one
// CHECK: %[[FK:.+]] = attn.feature_map %[[K]], elu_plus_one
// CHECK: %{{.+}}, %[[KV:.+]] = attn.scan %[[FQ]], %[[FK]], %[[V]] : (tensor<?x4x?x32xf32>, tensor<?x4x?x32xf32>, tensor<?x4x?x16xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x32x16xf32>) {
// CHECK-NEXT: ^bb0(%[[S:.+]]: !attn.state<32x16xf32>, %[[QT:.+]]: tensor<32xf32>, %[[KT:.+]]: tensor<32xf32>, %[[VT:.+]]: tensor<16xf32>):
// CHECK-NEXT: %[[U:.+]] = attn.state.update %[[S]], %[[KT]], %[[VT]]
// CHECK-NEXT: %[[R:.+]] = attn.state.read %[[U]], %[[QT]] scale 0.17677669529663687
// CHECK-NEXT: attn.yield %[[U]], %[[R]]
// CHECK-NEXT: }
// CHECK-NEXT: %[[O:.+]], %{{.+}} = attn.scan %[[FQ]], %[[FK]], %[[V]] init %[[KV]] : (tensor<?x4x?x32xf32>, tensor<?x4x?x32xf32>, tensor<?x4x?x16xf32>, tensor<?x4x32x16xf32>) -> (tensor<?x4x?x16xf32>, tensor<?x4x32x16xf32>) {
// CHECK-NEXT: ^bb0(%[[S2:.+]]: !attn.state<32x16xf32>, %[[QT2:.+]]: tensor<32xf32>, %{{.+}}: tensor<32xf32>, %{{.+}}: tensor<16xf32>):
// CHECK-NEXT: %[[R2:.+]] = attn.state.read %[[S2]], %[[QT2]] scale 0.17677669529663687
// CHECK-NEXT: attn.yield %[[S2]], %[[R2]]
// CHECK-NEXT: }
// CHECK-NOT: attn.mask
// CHECK: return %[[O]]
func.func @bidirectional(%q: tensor<?x4x?x32xf32>, %k: tensor<?x4x?x32xf32>,
                         %v: tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32> {
  %fq = attn.feature_map %q, elu_plus_one : tensor<?x4x?x32xf32>
  %fk = attn.feature_map %k, elu_plus_one : tensor<?x4x?x32xf32>
  %s = attn.score %fq, %fk
      : (tensor<?x4x?x32xf32>, tensor<?x4x?x32xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, none : tensor<?x4x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// No mask at all is bidirectional too.
// CHECK-LABEL: func.func @no_mask(
// CHECK: %{{.+}}, %[[KV:.+]] = attn.scan
// CHECK: %[[O:.+]], %{{.+}} = attn.scan {{.*}} init %[[KV]]
// CHECK: return %[[O]]
func.func @no_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                   %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.score %q, %k
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.aggregate %s, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// The state is f32 for half-precision inputs and f64 for f64 ones; the body
// reads q, k, v and the gate in their own element types.
// CHECK-LABEL: func.func @bf16(
// CHECK: attn.scan {{.*}} -> (tensor<?x2x?x16xbf16>, tensor<?x2x16x16xf32>)
// CHECK-NEXT: ^bb0(%{{.+}}: !attn.state<16x16xf32>, %{{.+}}: tensor<16xbf16>, %{{.+}}: tensor<16xbf16>, %{{.+}}: tensor<16xbf16>, %{{.+}}: f32):
// CHECK: attn.state.read {{.*}} -> tensor<16xbf16>
func.func @bf16(%q: tensor<?x2x?x16xbf16>, %k: tensor<?x2x?x16xbf16>,
                %v: tensor<?x2x?x16xbf16>, %g: tensor<?x2x?xf32>)
    -> tensor<?x2x?x16xbf16> {
  %s = attn.score %q, %k
      : (tensor<?x2x?x16xbf16>, tensor<?x2x?x16xbf16>) -> tensor<?x2x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x2x?x?xf32>, tensor<?x2x?xf32>
  %o = attn.aggregate %d, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x16xbf16> -> tensor<?x2x?x16xbf16>
  return %o : tensor<?x2x?x16xbf16>
}

// CHECK-LABEL: func.func @f64(
// CHECK: attn.scan {{.*}} -> (tensor<?x2x?x16xf64>, tensor<?x2x16x16xf64>)
// CHECK-NEXT: ^bb0(%{{.+}}: !attn.state<16x16xf64>,
func.func @f64(%q: tensor<?x2x?x16xf64>, %k: tensor<?x2x?x16xf64>,
               %v: tensor<?x2x?x16xf64>) -> tensor<?x2x?x16xf64> {
  %s = attn.score %q, %k
      : (tensor<?x2x?x16xf64>, tensor<?x2x?x16xf64>) -> tensor<?x2x?x?xf64>
  %m = attn.mask %s, causal : tensor<?x2x?x?xf64>
  %o = attn.aggregate %m, %v
      : tensor<?x2x?x?xf64>, tensor<?x2x?x16xf64> -> tensor<?x2x?x16xf64>
  return %o : tensor<?x2x?x16xf64>
}

// Scores with another user stay for it; only the aggregate is replaced.
// CHECK-LABEL: func.func @shared_scores(
// CHECK: %[[S:.+]] = attn.score
// CHECK: %[[M:.+]] = attn.mask %[[S]], causal
// CHECK-NOT: attn.aggregate
// CHECK: %[[O:.+]], %{{.+}} = attn.scan
// CHECK: return %[[O]], %[[M]]
func.func @shared_scores(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                         %v: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.score %q, %k
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %m = attn.mask %s, causal : tensor<1x2x8x8xf32>
  %o = attn.aggregate %m, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o, %m : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}
