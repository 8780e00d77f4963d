// RUN: attention-opt %s --attn-reassociate-linear="explain=true" -verify-diagnostics | FileCheck %s

// Where the rewrite does not hold, attn-reassociate-linear leaves the IR as it
// is; with explain, a remark at the aggregate says why.

// CHECK-LABEL: func.func @softmax(
// CHECK-NOT: attn.scan
// CHECK: attn.softmax
// CHECK: attn.aggregate
func.func @softmax(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                   %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  %p = attn.softmax %m : tensor<?x8x?x?xf32>
  // expected-remark @+1 {{not reassociated: a softmax normalizes the scores}}
  %o = attn.aggregate %p, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @score_mod(
// CHECK-NOT: attn.scan
// CHECK: attn.score_mod
// CHECK: attn.aggregate
func.func @score_mod(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                     %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %c = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %m = attn.mask %c, causal : tensor<?x8x?x?xf32>
  // expected-remark @+1 {{not reassociated: a score_mod is not linear}}
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @sliding_window(
// CHECK-NOT: attn.scan
// CHECK: attn.mask %{{.+}}, sliding_window(64)
// CHECK: attn.aggregate
func.func @sliding_window(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                          %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, sliding_window(64) : tensor<?x8x?x?xf32>
  // expected-remark @+1 {{not reassociated: mask 'sliding_window' has no fixed-size state}}
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @lengths(
// CHECK-NOT: attn.scan
// CHECK: attn.mask %{{.+}}, causal lengths
// CHECK: attn.aggregate
func.func @lengths(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                   %v: tensor<?x8x?x64xf32>, %len: tensor<?xi64>)
    -> tensor<?x8x?x64xf32> {
  %s = attn.score %q, %k
      : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal lengths %len : tensor<?x8x?x?xf32>, tensor<?xi64>
  // expected-remark @+1 {{not reassociated: the mask has per-sequence lengths}}
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @block_mask(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @block_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                      %v: tensor<1x2x8x16xf32>, %idx: tensor<1x2x8x2xi64>)
    -> tensor<1x2x8x16xf32> {
  %s = attn.score %q, %k
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %m = attn.block_mask %s, %idx, block 4
      : tensor<1x2x8x8xf32>, tensor<1x2x8x2xi64>
  // expected-remark @+1 {{not reassociated: a block mask has no fixed-size state}}
  %o = attn.aggregate %m, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// MLA's decoupled RoPE part: two q . k products summed.
// CHECK-LABEL: func.func @pairs(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @pairs(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                 %qr: tensor<1x2x8x4xf32>, %kr: tensor<1x1x8x4xf32>,
                 %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.score %q, %k + %qr, %kr
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x4xf32>,
         tensor<1x1x8x4xf32>) -> tensor<1x2x8x8xf32>
  %m = attn.mask %s, causal : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not reassociated: the score adds several query-key pairs}}
  %o = attn.aggregate %m, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// Queries after a longer prefix of keys (S > T): the scan steps through both
// together.
// CHECK-LABEL: func.func @prefix(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @prefix(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x8x16xf32>,
                  %v: tensor<1x2x8x16xf32>) -> tensor<1x2x4x16xf32> {
  %s = attn.score %q, %k
      : (tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x4x8xf32>
  %m = attn.mask %s, causal : tensor<1x2x4x8xf32>
  // expected-remark @+1 {{not reassociated: 4 queries but 8 keys; the state form needs as many of both}}
  %o = attn.aggregate %m, %v
      : tensor<1x2x4x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}

// CHECK-LABEL: func.func @two_decays(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @two_decays(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                      %v: tensor<?x2x?x16xf32>, %g: tensor<?x2x?x16xf32>,
                      %a: tensor<2xf32>) -> tensor<?x2x?x16xf32> {
  %s = attn.score %q, %k decay %g
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>)
      -> tensor<?x2x?x?xf32>
  %d = attn.decay %s, %a : tensor<?x2x?x?xf32>, tensor<2xf32>
  // expected-remark @+1 {{not reassociated: a per-key and a scalar decay together}}
  %o = attn.aggregate %d, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// CHECK-LABEL: func.func @two_scalar_decays(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @two_scalar_decays(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>,
                             %v: tensor<?x2x?x16xf32>, %g: tensor<?x2x?xf32>,
                             %a: tensor<2xf32>) -> tensor<?x2x?x16xf32> {
  %s = attn.score %q, %k
      : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x?xf32>
  %d = attn.decay %s, %g : tensor<?x2x?x?xf32>, tensor<?x2x?xf32>
  %e = attn.decay %d, %a : tensor<?x2x?x?xf32>, tensor<2xf32>
  // expected-remark @+1 {{not reassociated: several decays}}
  %o = attn.aggregate %e, %v
      : tensor<?x2x?x?xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// Keys grouped in 2 heads, values in 4: the scan has one grouping.
// CHECK-LABEL: func.func @kv_heads(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                    %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %s = attn.score %q, %k
      : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x8xf32>
  %m = attn.mask %s, causal : tensor<1x4x8x8xf32>
  // expected-remark @+1 {{not reassociated: 2 key heads but 4 value heads; the state form shares one grouping}}
  %o = attn.aggregate %m, %v
      : tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// CHECK-LABEL: func.func @dynamic_head_dim(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @dynamic_head_dim(%q: tensor<1x2x8x?xf32>, %k: tensor<1x2x8x?xf32>,
                            %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.score %q, %k scale 0.25
      : (tensor<1x2x8x?xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x8x8xf32>
  %m = attn.mask %s, causal : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not reassociated: the state needs static query and value head dims}}
  %o = attn.aggregate %m, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// Found by test/fuzz/mutate.py: a zero head dim made a 0x0 state type
// (an assertion; with assertions off, IR that does not verify).
// CHECK-LABEL: func.func @zero_head_dim(
// CHECK-NOT: attn.scan
// CHECK: attn.aggregate
func.func @zero_head_dim(%q: tensor<?x8x?x0xf32>, %k: tensor<?x8x?x0xf32>,
                         %v: tensor<?x8x?x16xf32>) -> tensor<?x8x?x16xf32> {
  %s = attn.score %q, %k scale 1.0
      : (tensor<?x8x?x0xf32>, tensor<?x8x?x0xf32>) -> tensor<?x8x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x8x?x?xf32>
  // expected-remark @+1 {{not reassociated: a 0x16 state holds nothing; it needs positive head dims}}
  %o = attn.aggregate %m, %v
      : tensor<?x8x?x?xf32>, tensor<?x8x?x16xf32> -> tensor<?x8x?x16xf32>
  return %o : tensor<?x8x?x16xf32>
}

// CHECK-LABEL: func.func @weights_argument(
// CHECK: attn.aggregate
func.func @weights_argument(%w: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x16xf32>)
    -> tensor<1x2x8x16xf32> {
  // expected-remark @+1 {{not reassociated: the weights are not computed by an attn.score}}
  %o = attn.aggregate %w, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// A feature map of the scores themselves is not linear in them.
// CHECK-LABEL: func.func @mapped_scores(
// CHECK: attn.aggregate
func.func @mapped_scores(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                         %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.score %q, %k
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %r = attn.feature_map %s, relu : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{not reassociated: 'attn.feature_map' stands between the scores and the aggregate}}
  %o = attn.aggregate %r, %v
      : tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
