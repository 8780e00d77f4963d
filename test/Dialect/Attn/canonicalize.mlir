// RUN: attention-opt %s --canonicalize | FileCheck %s

// The identity feature map folds to its input.
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x64xf32>)
// CHECK-NOT: attn.feature_map
// CHECK: return %[[X]] : tensor<?x4x?x64xf32>
func.func @identity(%x: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %0 = attn.feature_map %x, identity : tensor<?x4x?x64xf32>
  return %0 : tensor<?x4x?x64xf32>
}

// Identity feature maps inside a linear-attention program fold too: the
// scores read the inputs directly.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<?x4x?x64xf32>, %[[K:[^:]*]]: tensor<?x4x?x64xf32>,
// CHECK-NOT: attn.feature_map
// CHECK: attn.score %[[Q]], %[[K]] scale
func.func @linear(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                  %v: tensor<?x4x?x32xf32>) -> tensor<?x4x?x32xf32> {
  %fq = attn.feature_map %q, identity : tensor<?x4x?x64xf32>
  %fk = attn.feature_map %k, identity : tensor<?x4x?x64xf32>
  %s = attn.score %fq, %fk scale 1.0
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %o = attn.aggregate %m, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x32xf32> -> tensor<?x4x?x32xf32>
  return %o : tensor<?x4x?x32xf32>
}

// Other kinds stay.
// CHECK-LABEL: func.func @elu_plus_one
// CHECK: %[[F:.*]] = attn.feature_map %{{.*}}, elu_plus_one : tensor<?x4x?x64xf32>
// CHECK: return %[[F]]
func.func @elu_plus_one(%x: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %0 = attn.feature_map %x, elu_plus_one : tensor<?x4x?x64xf32>
  return %0 : tensor<?x4x?x64xf32>
}

// CHECK-LABEL: func.func @relu
// CHECK: %[[F:.*]] = attn.feature_map %{{.*}}, relu : tensor<?x4x?x64xf32>
// CHECK: return %[[F]]
func.func @relu(%x: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %0 = attn.feature_map %x, relu : tensor<?x4x?x64xf32>
  return %0 : tensor<?x4x?x64xf32>
}

// Only the identity folds out of a chain.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?x64xf32>)
// CHECK-NEXT: %[[F:.*]] = attn.feature_map %[[X]], relu : tensor<?x4x?x64xf32>
// CHECK-NEXT: return %[[F]]
func.func @chain(%x: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %0 = attn.feature_map %x, identity : tensor<?x4x?x64xf32>
  %1 = attn.feature_map %0, relu : tensor<?x4x?x64xf32>
  %2 = attn.feature_map %1, identity : tensor<?x4x?x64xf32>
  return %2 : tensor<?x4x?x64xf32>
}
