// RUN: attention-opt %s --attn-absorb-mla="explain=true" -verify-diagnostics | FileCheck %s
// RUN: attention-opt %s --attn-absorb-mla="mode=always" | FileCheck %s --check-prefix=ALWAYS
// RUN: not attention-opt %s --attn-absorb-mla="mode=decode" 2>&1 | FileCheck %s --check-prefix=BADMODE
// BADMODE: for the --mode option: Cannot find option named 'decode'!

// Small MLA shapes throughout: 4 query heads, latent Dc = 32, no-position head
// dim Dn = 16, RoPE dim Dr = 8, value head dim Dv = 12. Over a long cache the
// expanded form takes fewer FLOPs from T = (32*16 + 32*12) / (16 + 20) = 25 on.

// Decode over the latent cache (examples/mla_expanded.mlir): W_UK moves into
// the query, W_UV after the aggregate, the RoPE pair stays, and the default
// scale 1/sqrt(16 + 8) becomes explicit.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %[[QN:[^:]+]]: tensor<?x4x?x16xf32>, %[[QR:[^:]+]]: tensor<?x4x?x8xf32>, %[[C:[^:]+]]: tensor<?x1x?x32xf32>, %[[KR:[^:]+]]: tensor<?x1x?x8xf32>, %[[WUK:[^:]+]]: tensor<4x32x16xf32>, %[[WUV:[^:]+]]: tensor<4x32x12xf32>, %[[LEN:[^:]+]]: tensor<?xi64>)
// CHECK-DAG: %[[ROT:.+]] = attn.rope %[[QR]]
// CHECK-DAG: %[[QL:.+]] = attn.project %[[QN]], %[[WUK]] transposed : tensor<?x4x?x16xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x32xf32>
// CHECK: %[[S:.+]] = attn.score %[[QL]], %[[C]] + %[[ROT]], %[[KR]] scale 0.2041241452319315{{[0-9]*}} :
// CHECK: %[[M:.+]] = attn.mask %[[S]], causal lengths %[[LEN]]
// CHECK: %[[P:.+]] = attn.softmax %[[M]]
// CHECK: %[[OL:.+]] = attn.aggregate %[[P]], %[[C]] : tensor<?x4x?x?xf32>, tensor<?x1x?x32xf32> -> tensor<?x4x?x32xf32>
// CHECK: %[[O:.+]] = attn.project %[[OL]], %[[WUV]] : tensor<?x4x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
// CHECK-NOT: attn.project
// CHECK: return %[[O]]
func.func @decode(%q_nope: tensor<?x4x?x16xf32>, %q_rope: tensor<?x4x?x8xf32>,
                  %c_kv: tensor<?x1x?x32xf32>, %k_rope: tensor<?x1x?x8xf32>,
                  %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x12xf32>,
                  %lengths: tensor<?xi64>) -> tensor<?x4x?x12xf32> {
  %k_nope = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %qr = attn.rope %q_rope theta 10000.0 lengths %lengths
      : tensor<?x4x?x8xf32>, tensor<?xi64>
  %s = attn.score %q_nope, %k_nope + %qr, %k_rope
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>,
         tensor<?x4x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// Transposed up-projections (W [H, D, Dc]) absorb as plain ones; two latent
// heads (each serving two query heads); one pair, an explicit scale, and a
// score mod and a top-k token mask (DSA over MLA) between score and aggregate.
// T = 24 is the last static T that absorbs.
// CHECK-LABEL: func.func @transposed_sparse(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x4x24x16xf32>, %[[C:[^:]+]]: tensor<?x2x?x32xf32>, %[[WUK:[^:]+]]: tensor<4x16x32xf32>, %[[WUV:[^:]+]]: tensor<4x12x32xf32>
// CHECK: %[[QL:.+]] = attn.project %[[Q]], %[[WUK]] : tensor<?x4x24x16xf32>, tensor<4x16x32xf32> -> tensor<?x4x24x32xf32>
// CHECK: attn.score %[[QL]], %[[C]] scale 5.000000e-01 :
// CHECK: attn.score_mod
// CHECK: attn.block_mask
// CHECK: %[[OL:.+]] = attn.aggregate %{{.+}}, %[[C]] : tensor<?x4x24x?xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x24x32xf32>
// CHECK: %[[O:.+]] = attn.project %[[OL]], %[[WUV]] transposed : tensor<?x4x24x32xf32>, tensor<4x12x32xf32> -> tensor<?x4x24x12xf32>
// CHECK: return %[[O]]
func.func @transposed_sparse(%q: tensor<?x4x24x16xf32>, %c_kv: tensor<?x2x?x32xf32>,
                             %w_uk: tensor<4x16x32xf32>, %w_uv: tensor<4x12x32xf32>,
                             %sel: tensor<?x1x24x8xi64>, %lengths: tensor<?xi64>)
    -> tensor<?x4x24x12xf32> {
  %k = attn.project %c_kv, %w_uk transposed
      : tensor<?x2x?x32xf32>, tensor<4x16x32xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv transposed
      : tensor<?x2x?x32xf32>, tensor<4x12x32xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k scale 0.5
      : (tensor<?x4x24x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x24x?xf32>
  %c = attn.score_mod %s : tensor<?x4x24x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %m = attn.mask %c, causal lengths %lengths : tensor<?x4x24x?xf32>, tensor<?xi64>
  %b = attn.block_mask %m, %sel, block 1 : tensor<?x4x24x?xf32>, tensor<?x1x24x8xi64>
  %p = attn.softmax %b : tensor<?x4x24x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x24x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x24x12xf32>
  return %o : tensor<?x4x24x12xf32>
}

// Refused in mode=auto, absorbed with mode=always.

// A sequence attending to itself (prefill: no lengths).
// CHECK-LABEL: func.func @prefill(
// CHECK: attn.score %{{[^,]+}}, %{{[^ ]+}} :
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32>
// ALWAYS-LABEL: func.func @prefill(
// ALWAYS: attn.project %{{.+}} transposed
// ALWAYS: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x1x?x32xf32>
func.func @prefill(%q: tensor<?x4x?x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                   %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x12xf32>)
    -> tensor<?x4x?x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal : tensor<?x4x?x?xf32>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: no per-sequence lengths: a sequence attending to itself (prefill) keeps the expanded form}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// Over a cache, but with as many queries as the expanded form pays off at.
// CHECK-LABEL: func.func @many_queries(
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x25x?xf32>, tensor<?x4x?x12xf32>
// ALWAYS-LABEL: func.func @many_queries(
// ALWAYS: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x25x?xf32>, tensor<?x1x?x32xf32>
func.func @many_queries(%q: tensor<?x4x25x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                        %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<4x32x12xf32>,
                        %lengths: tensor<?xi64>) -> tensor<?x4x25x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x25x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x25x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x25x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x25x?xf32>
  // expected-remark @+1 {{not absorbed: T = 25 queries; from T = 25 on the expanded form takes fewer FLOPs}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x25x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x25x12xf32>
  return %o : tensor<?x4x25x12xf32>
}

// Not the latent form: left alone in every mode.

// CHECK-LABEL: func.func @plain_values(
// CHECK: attn.project
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x1x?x12xf32>
func.func @plain_values(%q: tensor<?x4x?x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                        %v: tensor<?x1x?x12xf32>, %w_uk: tensor<4x32x16xf32>,
                        %lengths: tensor<?xi64>) -> tensor<?x4x?x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: the values are not an up-projection (attn.project) of a latent}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x1x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// CHECK-LABEL: func.func @plain_keys(
// CHECK: attn.score %{{[^,]+}}, %{{[^ ]+}} :
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32>
func.func @plain_keys(%q: tensor<?x4x?x16xf32>, %k: tensor<?x1x?x16xf32>,
                      %c_kv: tensor<?x1x?x32xf32>, %w_uv: tensor<4x32x12xf32>,
                      %lengths: tensor<?xi64>) -> tensor<?x4x?x12xf32> {
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: no query-key pair has up-projected keys (an attn.project of a latent)}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// Two value heads for four query heads: no weight per query head.
// CHECK-LABEL: func.func @grouped_values(
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x2x?x12xf32>
func.func @grouped_values(%q: tensor<?x4x?x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                          %w_uk: tensor<4x32x16xf32>, %w_uv: tensor<2x32x12xf32>,
                          %lengths: tensor<?xi64>) -> tensor<?x4x?x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<2x32x12xf32> -> tensor<?x2x?x12xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: the value up-projection has 2 heads for 4 query heads; absorbing needs one per query head}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x2x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// CHECK-LABEL: func.func @grouped_keys(
// CHECK: attn.score %{{[^,]+}}, %{{[^ ]+}} : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>)
func.func @grouped_keys(%q: tensor<?x4x?x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                        %w_uk: tensor<2x32x16xf32>, %w_uv: tensor<4x32x12xf32>,
                        %lengths: tensor<?xi64>) -> tensor<?x4x?x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<2x32x16xf32> -> tensor<?x2x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x4x?x?xf32>
  %m = attn.mask %s, causal lengths %lengths : tensor<?x4x?x?xf32>, tensor<?xi64>
  %p = attn.softmax %m : tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: the key up-projection has 2 heads for 4 query heads; absorbing needs one per query head}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// GLA-style per-key decay inside the score.
// CHECK-LABEL: func.func @per_key_decay(
// CHECK: attn.score %{{[^,]+}}, %{{[^ ]+}} decay
func.func @per_key_decay(%q: tensor<?x4x?x16xf32>, %c_kv: tensor<?x1x?x32xf32>,
                         %g: tensor<?x4x?x16xf32>, %w_uk: tensor<4x32x16xf32>,
                         %w_uv: tensor<4x32x12xf32>) -> tensor<?x4x?x12xf32> {
  %k = attn.project %c_kv, %w_uk
      : tensor<?x1x?x32xf32>, tensor<4x32x16xf32> -> tensor<?x4x?x16xf32>
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  %s = attn.score %q, %k decay %g
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>)
      -> tensor<?x4x?x?xf32>
  // expected-remark @+1 {{not absorbed: a per-key decay weighs the key dims that absorbing changes}}
  %o = attn.aggregate %s, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// CHECK-LABEL: func.func @given_weights(
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32>
func.func @given_weights(%p: tensor<?x4x?x?xf32>, %c_kv: tensor<?x1x?x32xf32>,
                         %w_uv: tensor<4x32x12xf32>) -> tensor<?x4x?x12xf32> {
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<4x32x12xf32> -> tensor<?x4x?x12xf32>
  // expected-remark @+1 {{not absorbed: the weights are not computed by an attn.score}}
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x12xf32> -> tensor<?x4x?x12xf32>
  return %o : tensor<?x4x?x12xf32>
}

// Indexer scores (one head) as weights.
// CHECK-LABEL: func.func @indexer_weights(
// CHECK: attn.aggregate %{{.+}}, %{{.+}} : tensor<?x1x?x?xf32>, tensor<?x1x?x12xf32>
func.func @indexer_weights(%iq: tensor<?x2x?x8xf32>, %ik: tensor<?x1x?x8xf32>,
                           %iw: tensor<?x2x?xf32>, %c_kv: tensor<?x1x?x32xf32>,
                           %w_uv: tensor<1x32x12xf32>) -> tensor<?x1x?x12xf32> {
  %v = attn.project %c_kv, %w_uv
      : tensor<?x1x?x32xf32>, tensor<1x32x12xf32> -> tensor<?x1x?x12xf32>
  %i = attn.index_score %iq, %ik, %iw
      : tensor<?x2x?x8xf32>, tensor<?x1x?x8xf32>, tensor<?x2x?xf32>
      -> tensor<?x1x?x?xf32>
  // expected-remark @+1 {{not absorbed: the weights come from 'attn.index_score', not from an attn.score through masks and softmax}}
  %o = attn.aggregate %i, %v
      : tensor<?x1x?x?xf32>, tensor<?x1x?x12xf32> -> tensor<?x1x?x12xf32>
  return %o : tensor<?x1x?x12xf32>
}
