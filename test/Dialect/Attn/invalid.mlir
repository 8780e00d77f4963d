// RUN: attention-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the attn verifiers, parsers and the state type,
// plus a few of the constraints ODS generates.

//===----------------------------------------------------------------------===//
// !attn.state
//===----------------------------------------------------------------------===//

// expected-error @+1 {{state must be a Dk x Dv matrix, got 1 dimensions}}
func.func @state_rank(%s: !attn.state<64xf32>)

// -----

// expected-error @+1 {{state must be a Dk x Dv matrix, got 3 dimensions}}
func.func @state_rank3(%s: !attn.state<4x4x4xf32>)

// -----

// expected-error @+1 {{state dimensions must be positive, got 0x64}}
func.func @state_zero(%s: !attn.state<0x64xf32>)

// -----

// expected-error @+1 {{state element type must be a float, got 'i32'}}
func.func @state_int(%s: !attn.state<64x64xi32>)

// -----

// expected-error @+1 {{expected static shape}}
func.func @state_dynamic(%s: !attn.state<?x64xf32>)

// -----

//===----------------------------------------------------------------------===//
// attn.score
//===----------------------------------------------------------------------===//

func.func @score_rank3(%q: tensor<8x16x64xf32>, %k: tensor<2x16x64xf32>) {
  // expected-error @+1 {{operand #0 must be variadic of 4D tensor of floating-point values}}
  %0 = attn.score %q, %k
      : (tensor<8x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_unpaired(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{needs as many keys as queries, and at least one pair}}
  %0 = "attn.score"(%q, %k, %q) <{operandSegmentSizes = array<i32: 2, 1, 0>}>
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>)
      -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_type_count(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{expected 2 operand types and one result type}}
  %0 = attn.score %q, %k : (tensor<2x8x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_scale_attr(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %0 = attn.score %q, %k {scale = 3 : i32}
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_query_result(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{pair 0 query sequence size mismatch: 16 vs 32}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x32x16xf32>
  return
}

// -----

// The result is dynamic, but the two pairs disagree on the query heads.
func.func @score_pairs_disagree(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                                %qr: tensor<2x4x16x32xf32>, %kr: tensor<2x1x16x32xf32>) {
  // expected-error @+1 {{pair 1 query head size mismatch: 4 vs 8}}
  %0 = attn.score %q, %k + %qr, %kr
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x4x16x32xf32>,
         tensor<2x1x16x32xf32>) -> tensor<?x?x?x?xf32>
  return
}

// -----

func.func @score_key_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<3x2x16x64xf32>) {
  // expected-error @+1 {{pair 0 key batch mismatch: 3 vs 2}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<3x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_key_length(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                            %qr: tensor<2x8x16x32xf32>, %kr: tensor<2x1x20x32xf32>) {
  // expected-error @+1 {{pair 1 key length mismatch: 20 vs 16}}
  %0 = attn.score %q, %k + %qr, %kr
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x32xf32>,
         tensor<2x1x20x32xf32>) -> tensor<2x8x16x?xf32>
  return
}

// -----

func.func @score_head_dim(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x32xf32>) {
  // expected-error @+1 {{pair 0 head dim mismatch: 32 vs 64}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x32xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_gqa(%q: tensor<2x8x16x64xf32>, %k: tensor<2x3x16x64xf32>) {
  // expected-error @+1 {{pair 0 query heads (8) are not a multiple of pair 0 key heads (3)}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<2x3x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_zero_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x0x16x64xf32>) {
  // expected-error @+1 {{pair 0 key has zero heads}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<2x0x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_dynamic_dim(%q: tensor<2x8x16x?xf32>, %k: tensor<2x2x16x?xf32>) {
  // expected-error @+1 {{needs a static head dim or an explicit scale}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x?xf32>, tensor<2x2x16x?xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

// The default scale 1/sqrt(0) would be infinite.
func.func @score_zero_dim(%q: tensor<2x8x16x0xf32>, %k: tensor<2x2x16x0xf32>) {
  // expected-error @+1 {{needs a non-zero head dim or an explicit scale}}
  %0 = attn.score %q, %k
      : (tensor<2x8x16x0xf32>, tensor<2x2x16x0xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_scale(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{scale must be finite and positive}}
  %0 = attn.score %q, %k scale -0.125
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_scale_inf(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{scale must be finite and positive}}
  %0 = attn.score %q, %k scale 0x7FF0000000000000
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_scale_f32_overflow(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{scale 1.000000e+39 is outside f32's normal range [1.18e-38, 3.4e38], in which the backends compute}}
  %0 = attn.score %q, %k scale 1.0e39
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_scale_f32_underflow(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{scale 1.000000e-40 is outside f32's normal range}}
  %0 = attn.score %q, %k scale 1.0e-40
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_decay_pairs(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                             %g: tensor<2x8x16x64xf32>) {
  // expected-error @+1 {{per-key decay needs a single query-key pair}}
  %0 = attn.score %q, %k + %q, %k decay %g
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>,
         tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_decay_gate(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                            %g: tensor<2x8x16x32xf32>) {
  // expected-error @+1 {{decay gate vs query feature size mismatch: 32 vs 64}}
  %0 = attn.score %q, %k decay %g
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x32xf32>)
      -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @score_decay_causal(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>,
                              %g: tensor<2x8x16x64xf32>) {
  // expected-error @+1 {{decayed scores are causal: query vs key length mismatch: 16 vs 32}}
  %0 = attn.score %q, %k decay %g
      : (tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x8x16x64xf32>)
      -> tensor<2x8x16x32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.mask
//===----------------------------------------------------------------------===//

func.func @mask_takes_no_size(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{mask 'causal' takes no size}}
  %0 = attn.mask %s, causal(4) : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_needs_size(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{mask 'sliding_window' needs a size}}
  %0 = attn.mask %s, sliding_window : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_needs_stride(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{mask 'compressed' needs a stride}}
  %0 = attn.mask %s, compressed(32) : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_takes_no_stride(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{mask 'block_causal' takes no stride}}
  %0 = attn.mask %s, block_causal(64, 2) : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_compressed_stride(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{compressed stride 32 exceeds block 16: tokens between blocks would be dropped}}
  %0 = attn.mask %s, compressed(16, 32) : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_lengths(%s: tensor<2x8x?x?xf32>, %len: tensor<3xi64>) {
  // expected-error @+1 {{lengths vs batch mismatch: 3 vs 2}}
  %0 = attn.mask %s, causal lengths %len : tensor<2x8x?x?xf32>, tensor<3xi64>
  return
}

// -----

func.func @mask_size_positive(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{attribute 'size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = attn.mask %s, sliding_window(0) : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_kind(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind'}}
  %0 = attn.mask %s, banana : tensor<?x8x?x?xf32>
  return
}

// -----

func.func @mask_lengths_rank(%s: tensor<?x8x?x?xf32>, %len: tensor<?x2xi64>) {
  // expected-error @+1 {{operand #1 must be 1D tensor of signless integer values}}
  %0 = attn.mask %s, causal lengths %len : tensor<?x8x?x?xf32>, tensor<?x2xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.block_mask
//===----------------------------------------------------------------------===//

func.func @block_mask_block(%s: tensor<?x16x?x?xf32>, %idx: tensor<?x4x?x16xi64>) {
  // expected-error @+1 {{attribute 'block' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = attn.block_mask %s, %idx, block 0
      : tensor<?x16x?x?xf32>, tensor<?x4x?x16xi64>
  return
}

// -----

func.func @block_mask_batch(%s: tensor<2x16x?x?xf32>, %idx: tensor<3x4x?x16xi64>) {
  // expected-error @+1 {{indices batch mismatch: 3 vs 2}}
  %0 = attn.block_mask %s, %idx, block 64
      : tensor<2x16x?x?xf32>, tensor<3x4x?x16xi64>
  return
}

// -----

func.func @block_mask_length(%s: tensor<?x16x8x?xf32>, %idx: tensor<?x4x9x16xi64>) {
  // expected-error @+1 {{indices query length mismatch: 9 vs 8}}
  %0 = attn.block_mask %s, %idx, block 64
      : tensor<?x16x8x?xf32>, tensor<?x4x9x16xi64>
  return
}

// -----

func.func @block_mask_heads(%s: tensor<?x16x?x?xf32>, %idx: tensor<?x3x?x16xi64>) {
  // expected-error @+1 {{score heads (16) are not a multiple of indices heads (3)}}
  %0 = attn.block_mask %s, %idx, block 64
      : tensor<?x16x?x?xf32>, tensor<?x3x?x16xi64>
  return
}

// -----

func.func @block_mask_zero_heads(%s: tensor<?x16x?x?xf32>, %idx: tensor<?x0x?x16xi64>) {
  // expected-error @+1 {{indices has zero heads}}
  %0 = attn.block_mask %s, %idx, block 64
      : tensor<?x16x?x?xf32>, tensor<?x0x?x16xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.score_mod
//===----------------------------------------------------------------------===//

func.func @score_mod_args(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{body must take ('f32', 'index', 'index', 'index', 'index'): the score and its batch, head, query and key indices}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @score_mod_arg_type(%s: tensor<?x8x?x?xbf16>) {
  // expected-error @+1 {{body must take ('bf16', 'index', 'index', 'index', 'index')}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xbf16> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @score_mod_yield(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{body must yield one 'f32'}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    attn.yield %x, %x : f32, f32
  }
  return
}

// -----

func.func @score_mod_yield_type(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{body must yield one 'f32'}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    attn.yield %t : index
  }
  return
}

// -----

func.func @score_mod_non_arith(%s: tensor<?x8x?x?xf32>) {
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    // expected-error @+1 {{'tensor.empty' op is not allowed in a score_mod body: it takes these ops on scalars}}
    %e = tensor.empty() : tensor<4xf32>
    attn.yield %x : f32
  }
  return
}

// -----

func.func @score_mod_tensor_arith(%s: tensor<?x8x?x?xf32>) {
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    // expected-error @+1 {{'arith.constant' op is not allowed in a score_mod body: it takes these ops on scalars}}
    %c = arith.constant dense<1.0> : tensor<4xf32>
    attn.yield %x : f32
  }
  return
}

// -----

// arith ops that no backend implements are refused where they are written.
func.func @score_mod_extui(%s: tensor<?x8x?x?xf32>) {
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %c = arith.cmpi ult, %t, %j : index
    // expected-error @+1 {{'arith.extui' op is not allowed in a score_mod body: it takes these ops on scalars}}
    %e = arith.extui %c : i1 to i32
    attn.yield %x : f32
  }
  return
}

// -----

func.func @score_mod_ori(%s: tensor<?x8x?x?xf32>) {
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %c = arith.cmpi ult, %t, %j : index
    %d = arith.cmpi eq, %b, %h : index
    // expected-error @+1 {{'arith.ori' op is not allowed in a score_mod body: it takes these ops on scalars}}
    %e = arith.ori %c, %d : i1
    %y = arith.select %e, %x, %x : f32
    attn.yield %y : f32
  }
  return
}

// -----

func.func @score_mod_no_terminator(%s: tensor<?x8x?x?xf32>) {
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    // expected-error @+1 {{block with no terminator}}
    %y = math.tanh %x : f32
  }
  return
}

// -----

func.func @score_mod_empty(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{expects a non-empty block}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  }
  return
}

// -----

func.func @yield_outside(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.score_mod, attn.scan, attn.attention'}}
  attn.yield %s : tensor<?x8x?x?xf32>
}

// -----

//===----------------------------------------------------------------------===//
// attn.softmax, attn.feature_map
//===----------------------------------------------------------------------===//

func.func @softmax_type(%s: tensor<?x8x?x?xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "attn.softmax"(%s) : (tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf16>
  return
}

// -----

func.func @feature_map_kind(%x: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [identity, elu_plus_one, relu]}}
  %0 = attn.feature_map %x, softplus : tensor<?x4x?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.decay
//===----------------------------------------------------------------------===//

func.func @decay_gates(%s: tensor<2x4x16x16xf32>, %g: tensor<2x4x8xf32>) {
  // expected-error @+1 {{gates vs scores sequence size mismatch: 8 vs 16}}
  %0 = attn.decay %s, %g : tensor<2x4x16x16xf32>, tensor<2x4x8xf32>
  return
}

// -----

func.func @decay_head_gates(%s: tensor<2x4x16x16xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{gates vs scores head size mismatch: 8 vs 4}}
  %0 = attn.decay %s, %g : tensor<2x4x16x16xf32>, tensor<8xf32>
  return
}

// -----

func.func @decay_causal(%s: tensor<2x4x16x32xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{decayed scores are causal: query vs key length mismatch: 16 vs 32}}
  %0 = attn.decay %s, %g : tensor<2x4x16x32xf32>, tensor<4xf32>
  return
}

// -----

func.func @decay_gate_rank(%s: tensor<2x4x16x16xf32>, %g: tensor<2x4xf32>) {
  // expected-error @+1 {{operand #1 must be 1D tensor of floating-point values or 3D tensor of floating-point values}}
  %0 = attn.decay %s, %g : tensor<2x4x16x16xf32>, tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.aggregate
//===----------------------------------------------------------------------===//

func.func @aggregate_output(%p: tensor<2x8x16x16xf32>, %v: tensor<2x2x16x64xf32>) {
  // expected-error @+1 {{output feature size mismatch: 32 vs 64}}
  %0 = attn.aggregate %p, %v
      : tensor<2x8x16x16xf32>, tensor<2x2x16x64xf32> -> tensor<2x8x16x32xf32>
  return
}

// -----

// The weights' batch is dynamic; values and output still disagree.
func.func @aggregate_batch(%p: tensor<?x8x16x16xf32>, %v: tensor<3x2x16x64xf32>) {
  // expected-error @+1 {{values batch mismatch: 3 vs 2}}
  %0 = attn.aggregate %p, %v
      : tensor<?x8x16x16xf32>, tensor<3x2x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @aggregate_length(%p: tensor<2x8x16x16xf32>, %v: tensor<2x2x32x64xf32>) {
  // expected-error @+1 {{values length vs keys mismatch: 32 vs 16}}
  %0 = attn.aggregate %p, %v
      : tensor<2x8x16x16xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @aggregate_gqa(%p: tensor<2x8x16x16xf32>, %v: tensor<2x3x16x64xf32>) {
  // expected-error @+1 {{weights heads (8) are not a multiple of values heads (3)}}
  %0 = attn.aggregate %p, %v
      : tensor<2x8x16x16xf32>, tensor<2x3x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @aggregate_zero_heads(%p: tensor<2x8x16x16xf32>, %v: tensor<2x0x16x64xf32>) {
  // expected-error @+1 {{values has zero heads}}
  %0 = attn.aggregate %p, %v
      : tensor<2x8x16x16xf32>, tensor<2x0x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.scan
//===----------------------------------------------------------------------===//

func.func @scan_dynamic_dim(%q: tensor<?x4x?x?xf32>, %k: tensor<?x4x?x64xf32>,
                            %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{needs static, non-zero key and value head dims: the state is Dk x Dv}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x?xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_key_batch(%q: tensor<2x4x?x64xf32>, %k: tensor<3x4x?x64xf32>,
                          %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{key batch mismatch: 3 vs 2}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<2x4x?x64xf32>, tensor<3x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

// The query's batch is dynamic; keys and values still disagree.
func.func @scan_value_batch(%q: tensor<?x4x?x64xf32>, %k: tensor<2x4x?x64xf32>,
                            %v: tensor<3x4x?x32xf32>) {
  // expected-error @+1 {{value batch mismatch: 3 vs 2}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<2x4x?x64xf32>, tensor<3x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_key_length(%q: tensor<?x4x16x64xf32>, %k: tensor<?x4x8x64xf32>,
                           %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{key length mismatch: 8 vs 16}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x16x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_value_length(%q: tensor<?x4x16x64xf32>, %k: tensor<?x4x?x64xf32>,
                             %v: tensor<?x4x8x32xf32>) {
  // expected-error @+1 {{value length mismatch: 8 vs 16}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x16x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x8x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_key_dim(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x32xf32>,
                        %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{key head dim mismatch: 32 vs 64}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_value_heads(%q: tensor<?x4x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                            %v: tensor<?x1x?x32xf32>) {
  // expected-error @+1 {{value heads mismatch: 1 vs 2}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x1x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_output(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                       %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{output feature size mismatch: 64 vs 32}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_gqa(%q: tensor<?x4x?x64xf32>, %k: tensor<?x3x?x64xf32>,
                    %v: tensor<?x3x?x32xf32>) {
  // expected-error @+1 {{query heads (4) are not a multiple of key heads (3)}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x3x?x64xf32>, tensor<?x3x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_zero_heads(%q: tensor<?x4x?x64xf32>, %k: tensor<?x0x?x64xf32>,
                           %v: tensor<?x0x?x32xf32>) {
  // expected-error @+1 {{key has zero heads}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x0x?x64xf32>, tensor<?x0x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_final_state(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                            %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{final state key dim size mismatch: 32 vs 64}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x32x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_init(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                     %v: tensor<?x4x?x32xf32>, %s0: tensor<?x8x64x32xf32>) {
  // expected-error @+1 {{initial state head size mismatch: 8 vs 4}}
  %o, %f = attn.scan %q, %k, %v init %s0
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x8x64x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_no_args(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                        %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{body's first argument must be '!attn.state<64x32xf32>': the state, in the final state's element type}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0:
    attn.yield
  }
  return
}

// -----

func.func @scan_state_dims(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                           %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{body's first argument must be '!attn.state<64x32xf32>'}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<32x64xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %vt
        : !attn.state<32x64xf32>, tensor<32xf32> -> tensor<64xf32>
    attn.yield %S, %vt : !attn.state<32x64xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_state_element(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                              %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{body's first argument must be '!attn.state<64x32xf32>': the state, in the final state's element type}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xbf16>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xbf16>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xbf16>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_gates(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                      %v: tensor<?x4x?x32xf32>, %g: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{gates feature size mismatch: 32 vs 64}}
  %o, %f = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_head_gates(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                           %v: tensor<?x4x?x32xf32>, %g: tensor<2xf32>) {
  // expected-error @+1 {{gates head size mismatch: 2 vs 4}}
  %o, %f = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<2xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: f32):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_gates_rank(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                           %v: tensor<?x4x?x32xf32>, %g: tensor<?x4xf32>) {
  // expected-error @+1 {{operand #3 must be 1D tensor of floating-point values or 3D tensor of floating-point values or 4D tensor of floating-point values}}
  %o, %f = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x4xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: f32):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

// Scalar [B, H, T] gates reach the body as f32, not as a tensor.
func.func @scan_body_args(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                          %v: tensor<?x4x?x32xf32>, %g: tensor<?x4x?xf32>) {
  // expected-error @+1 {{body must take ('!attn.state<64x32xf32>', 'tensor<64xf32>', 'tensor<64xf32>', 'tensor<32xf32>', 'f32'): the state, q_t, k_t, v_t and the gate if any}}
  %o, %f = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x4x?xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: tensor<64xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_missing_gate_arg(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                                 %v: tensor<?x4x?x32xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{body must take ('!attn.state<64x32xf32>', 'tensor<64xf32>', 'tensor<64xf32>', 'tensor<32xf32>', 'f32')}}
  %o, %f = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<4xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %S, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// -----

func.func @scan_yield(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                      %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{body must yield ('!attn.state<64x32xf32>', 'tensor<32xf32>'): the next state and o_t}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    attn.yield %S : !attn.state<64x32xf32>
  }
  return
}

// -----

func.func @scan_yield_order(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                            %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{body must yield ('!attn.state<64x32xf32>', 'tensor<32xf32>')}}
  %o, %f = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %ot, %S : tensor<32xf32>, !attn.state<64x32xf32>
  }
  return
}

// -----

func.func @scan_two_blocks(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>,
                           %v: tensor<?x4x?x32xf32>) {
  // expected-error @+1 {{expects region #0 to have 0 or 1 blocks}}
  %o, %f = "attn.scan"(%q, %k, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> ({
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %ot = attn.state.read %S, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    "attn.yield"(%S, %ot) : (!attn.state<64x32xf32>, tensor<32xf32>) -> ()
  ^bb1:
    "attn.yield"(%S, %ot) : (!attn.state<64x32xf32>, tensor<32xf32>) -> ()
  }) : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.state.decay, attn.state.update, attn.state.read
//===----------------------------------------------------------------------===//

func.func @state_decay_gate(%S: !attn.state<64x32xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{per-key gate vs state key dim mismatch: 32 vs 64}}
  %0 = attn.state.decay %S, %g : !attn.state<64x32xf32>, tensor<32xf32>
  return
}

// -----

func.func @state_decay_not_state(%S: tensor<64x32xf32>, %g: f32) {
  // expected-error @+1 {{operand #0 must be attn state, but got 'tensor<64x32xf32>'}}
  %0 = "attn.state.decay"(%S, %g) : (tensor<64x32xf32>, f32) -> tensor<64x32xf32>
  return
}

// -----

func.func @state_update_key(%S: !attn.state<64x32xf32>, %k: tensor<32xf32>,
                            %v: tensor<32xf32>) {
  // expected-error @+1 {{key vs state key dim mismatch: 32 vs 64}}
  %0 = attn.state.update %S, %k, %v
      : !attn.state<64x32xf32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @state_update_value(%S: !attn.state<64x32xf32>, %k: tensor<64xf32>,
                              %v: tensor<64xf32>) {
  // expected-error @+1 {{value vs state value dim mismatch: 64 vs 32}}
  %0 = attn.state.update %S, %k, %v
      : !attn.state<64x32xf32>, tensor<64xf32>, tensor<64xf32>
  return
}

// -----

func.func @state_read_query(%S: !attn.state<64x32xf32>, %q: tensor<32xf32>) {
  // expected-error @+1 {{query vs state key dim mismatch: 32 vs 64}}
  %0 = attn.state.read %S, %q
      : !attn.state<64x32xf32>, tensor<32xf32> -> tensor<32xf32>
  return
}

// -----

func.func @state_read_output(%S: !attn.state<64x32xf32>, %q: tensor<64xf32>) {
  // expected-error @+1 {{output vs state value dim mismatch: 64 vs 32}}
  %0 = attn.state.read %S, %q
      : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.compress
//===----------------------------------------------------------------------===//

func.func @compress_stride(%k: tensor<?x4x?x128xf32>) {
  // expected-error @+1 {{stride 64 exceeds block 32: tokens between blocks would be dropped}}
  %0 = attn.compress %k, mean block 32 stride 64
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_blocks(%k: tensor<2x4x100x128xf32>) {
  // expected-error @+1 {{result sequence size mismatch: 6 vs 5}}
  %0 = attn.compress %k, mean block 32 stride 16
      : tensor<2x4x100x128xf32> -> tensor<2x4x6x128xf32>
  return
}

// -----

func.func @compress_mean_weights(%k: tensor<?x4x?x128xf32>, %pe: tensor<32x128xf32>) {
  // expected-error @+1 {{mean pooling takes no weights}}
  %0 = attn.compress %k, mean block 32 stride 16
      weights(%pe : tensor<32x128xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_mlp_weights(%k: tensor<?x4x?x128xf32>) {
  // expected-error @+1 {{mlp pooling needs three weights: the position encoding [block, D], W1 [block*D, hidden] and W2 [hidden, D]}}
  %0 = attn.compress %k, mlp block 32 stride 16
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_overflow(%k: tensor<?x4x?x128xf32>, %w: tensor<?x?xf32>) {
  // expected-error @+1 {{block * head dim overflows}}
  %0 = attn.compress %k, mlp block 4611686018427387904 stride 16
      weights(%w, %w, %w : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_pe(%k: tensor<?x4x?x128xf32>, %pe: tensor<16x128xf32>,
                       %w1: tensor<4096x256xf32>, %w2: tensor<256x128xf32>) {
  // expected-error @+1 {{position encoding dim 0 size mismatch: 16 vs 32}}
  %0 = attn.compress %k, mlp block 32 stride 16
      weights(%pe, %w1, %w2 : tensor<16x128xf32>, tensor<4096x256xf32>,
              tensor<256x128xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_w1(%k: tensor<?x4x?x128xf32>, %pe: tensor<32x128xf32>,
                       %w1: tensor<128x256xf32>, %w2: tensor<256x128xf32>) {
  // expected-error @+1 {{W1 dim 0 size mismatch: 128 vs 4096}}
  %0 = attn.compress %k, mlp block 32 stride 16
      weights(%pe, %w1, %w2 : tensor<32x128xf32>, tensor<128x256xf32>,
              tensor<256x128xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_w2(%k: tensor<?x4x?x128xf32>, %pe: tensor<32x128xf32>,
                       %w1: tensor<4096x256xf32>, %w2: tensor<128x128xf32>) {
  // expected-error @+1 {{W2 dim 0 size mismatch: 128 vs 256}}
  %0 = attn.compress %k, mlp block 32 stride 16
      weights(%pe, %w1, %w2 : tensor<32x128xf32>, tensor<4096x256xf32>,
              tensor<128x128xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @compress_pooling(%k: tensor<?x4x?x128xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'pooling' [mean, mlp]}}
  %0 = attn.compress %k, max block 32 stride 16
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.select_blocks
//===----------------------------------------------------------------------===//

func.func @select_blocks_stride(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{compressed stride 64 exceeds block 32: tokens between blocks would be dropped}}
  %0 = attn.select_blocks %p compressed(32, 64) block 64 top 16 initial 1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
  return
}

// -----

func.func @select_blocks_forced(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{keeps 2 initial and 3 local blocks, more than top 4}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 4 initial 2
      local 3 : tensor<?x16x?x?xf32> -> tensor<?x4x?x4xi64>
  return
}

// -----

func.func @select_blocks_top(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{result must hold top = 16 indices per query}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x8xi64>
  return
}

// -----

func.func @select_blocks_batch(%p: tensor<2x16x?x?xf32>) {
  // expected-error @+1 {{indices batch mismatch: 3 vs 2}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<2x16x?x?xf32> -> tensor<3x4x?x16xi64>
  return
}

// -----

func.func @select_blocks_length(%p: tensor<?x16x8x?xf32>) {
  // expected-error @+1 {{indices query length mismatch: 4 vs 8}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<?x16x8x?xf32> -> tensor<?x4x4x16xi64>
  return
}

// -----

func.func @select_blocks_heads(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{probs heads (16) are not a multiple of indices heads (3)}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x3x?x16xi64>
  return
}

// -----

func.func @select_blocks_initial(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{attribute 'initial' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial -1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.gate_combine
//===----------------------------------------------------------------------===//

func.func @gate_combine_none(%g: tensor<?x16x?x1xf32>) {
  // expected-error @+1 {{needs at least one branch}}
  %0 = "attn.gate_combine"(%g)
      : (tensor<?x16x?x1xf32>) -> tensor<?x16x?x128xf32>
  return
}

// -----

func.func @gate_combine_branch(%a: tensor<?x16x?x128xf32>, %b: tensor<?x16x?x64xf32>,
                               %g: tensor<?x16x?x2xf32>) {
  // expected-error @+1 {{branch type 'tensor<?x16x?x64xf32>' differs from the output type}}
  %0 = attn.gate_combine %a, %b gates %g
      : (tensor<?x16x?x128xf32>, tensor<?x16x?x64xf32>), tensor<?x16x?x2xf32>
      -> tensor<?x16x?x128xf32>
  return
}

// -----

func.func @gate_combine_gates(%a: tensor<?x16x?x128xf32>, %b: tensor<?x16x?x128xf32>,
                              %g: tensor<?x16x?x3xf32>) {
  // expected-error @+1 {{gates (one per branch) feature size mismatch: 3 vs 2}}
  %0 = attn.gate_combine %a, %b gates %g
      : (tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>), tensor<?x16x?x3xf32>
      -> tensor<?x16x?x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.nsa
//===----------------------------------------------------------------------===//

func.func @nsa_branch_name(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{unknown NSA branch 'sliding': expected compressed, selected or window}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, sliding)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_branch_twice(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{NSA branch 'selected' has two gate columns}}
  %0 = attn.nsa %q, %k, %v gates %g(selected, compressed, selected)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_branch_missing(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{the gate columns must name all three NSA branches}}
  %0 = attn.nsa %q, %k, %v gates %g(selected, compressed)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_gate_columns(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{gate columns [0, 2, 2] must give each of the three branches its own column}}
  %0 = "attn.nsa"(%q, %k, %v, %g) <{compress_block = 8 : i64,
      compress_stride = 4 : i64, gate_columns = array<i64: 0, 2, 2>,
      initial = 1 : i64, local = 1 : i64,
      operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>, pooling = 0 : i32,
      scale = 2.5e-01 : f64, select_block = 8 : i64, top = 4 : i64,
      window = 16 : i64}>
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_key_batch(%q: tensor<2x8x?x16xf32>, %k: tensor<3x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{key batch mismatch: 3 vs 2}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<2x8x?x16xf32>, tensor<3x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_self_attention(%q: tensor<?x8x10x16xf32>, %k: tensor<?x2x20x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{self-attention: key length vs query length mismatch: 20 vs 10}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x10x16xf32>, tensor<?x2x20x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_head_dim(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x32xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{key head dim vs query head dim mismatch: 32 vs 16}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x32xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_value_heads(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x4x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{value vs key head size mismatch: 4 vs 2}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_value_length(%q: tensor<?x8x10x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x12x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{value vs key sequence size mismatch: 12 vs 10}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x10x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x12x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_output(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{output feature size mismatch: 32 vs 16}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x32xf32>
  return
}

// -----

func.func @nsa_gates(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x2xf32>) {
  // expected-error @+1 {{gates (one per branch) feature size mismatch: 2 vs 3}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x2xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_groups(%q: tensor<?x6x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>,
    %g: tensor<?x6x?x3xf32>) {
  // expected-error @+1 {{query heads (6) are not a multiple of key heads (4)}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x6x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x6x?x3xf32>) -> tensor<?x6x?x16xf32>
  return
}

// -----

func.func @nsa_groups_from_gates(%q: tensor<?x?x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>,
    %g: tensor<?x6x?x3xf32>) {
  // expected-error @+1 {{query heads (6) are not a multiple of key heads (4)}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x?x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x6x?x3xf32>) -> tensor<?x?x?x16xf32>
  return
}

// -----

func.func @nsa_stride(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{compressed stride 16 exceeds block 8: tokens between blocks would be dropped}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 16 select block 16 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_select_block(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{selection block 6 is not a multiple of the compression stride 4}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 6 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_forced(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{keeps 2 initial and 3 local blocks, more than top 4}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 2 local 3
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_window(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{attribute 'window' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 0 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_scale(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>) {
  // expected-error @+1 {{scale must be finite and positive}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4 select block 8 top 4 initial 1 local 1
      window 16 scale -0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_mean_weights(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>, %w: tensor<8x16xf32>) {
  // expected-error @+1 {{mean pooling takes no key weights}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 8 stride 4
      key_weights(%w) select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>, tensor<8x16xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_mlp_value_weights(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>,
    %pe: tensor<8x16xf32>, %w1: tensor<128x32xf32>, %w2: tensor<32x16xf32>) {
  // expected-error @+1 {{mlp pooling needs three value weights: the position encoding [block, D], W1 [block*D, hidden] and W2 [hidden, D]}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 8 stride 4
      key_weights(%pe, %w1, %w2) select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>, tensor<8x16xf32>, tensor<128x32xf32>, tensor<32x16xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_mlp_key_pe(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>,
    %bad: tensor<4x16xf32>, %pe: tensor<8x16xf32>, %w1: tensor<128x32xf32>, %w2: tensor<32x16xf32>) {
  // expected-error @+1 {{key position encoding dim 0 size mismatch: 4 vs 8}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 8 stride 4
      key_weights(%bad, %w1, %w2) value_weights(%pe, %w1, %w2) select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>, tensor<4x16xf32>, tensor<128x32xf32>, tensor<32x16xf32>, tensor<8x16xf32>, tensor<128x32xf32>, tensor<32x16xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

func.func @nsa_mlp_value_w1(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x8xf32>,
    %g: tensor<?x8x?x3xf32>,
    %pe: tensor<8x16xf32>, %w1: tensor<128x32xf32>, %w2: tensor<32x16xf32>,
    %pv: tensor<8x8xf32>, %w2v: tensor<32x8xf32>) {
  // expected-error @+1 {{value W1 dim 0 size mismatch: 128 vs 64}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 8 stride 4
      key_weights(%pe, %w1, %w2) value_weights(%pv, %w1, %w2v) select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x8xf32>, tensor<?x8x?x3xf32>, tensor<8x16xf32>, tensor<128x32xf32>, tensor<32x16xf32>, tensor<8x8xf32>, tensor<128x32xf32>, tensor<32x8xf32>) -> tensor<?x8x?x8xf32>
  return
}

// -----

func.func @nsa_mlp_key_w2(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
    %g: tensor<?x8x?x3xf32>,
    %pe: tensor<8x16xf32>, %w1: tensor<128x32xf32>, %w2: tensor<32x16xf32>, %w2b: tensor<16x16xf32>) {
  // expected-error @+1 {{key W2 dim 0 size mismatch: 16 vs 32}}
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mlp block 8 stride 4
      key_weights(%pe, %w1, %w2b) value_weights(%pe, %w1, %w2) select block 8 top 4 initial 1 local 1
      window 16 scale 0.25
      : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x8x?x3xf32>, tensor<8x16xf32>, tensor<128x32xf32>, tensor<16x16xf32>, tensor<8x16xf32>, tensor<128x32xf32>, tensor<32x16xf32>) -> tensor<?x8x?x16xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.project
//===----------------------------------------------------------------------===//

func.func @project_din(%x: tensor<?x1x?x1024xf32>, %w: tensor<1x512x512xf32>) {
  // expected-error @+1 {{weight input dim mismatch: 512 vs 1024}}
  %0 = attn.project %x, %w
      : tensor<?x1x?x1024xf32>, tensor<1x512x512xf32> -> tensor<?x1x?x512xf32>
  return
}

// -----

// `transposed` reads W as [Hout, Dout, Din].
func.func @project_transposed(%q: tensor<?x16x?x128xf32>, %w: tensor<16x128x512xf32>) {
  // expected-error @+1 {{weight input dim mismatch: 512 vs 128}}
  %0 = attn.project %q, %w transposed
      : tensor<?x16x?x128xf32>, tensor<16x128x512xf32> -> tensor<?x16x?x128xf32>
  return
}

// -----

func.func @project_heads(%x: tensor<?x3x?x512xf32>, %w: tensor<16x512x128xf32>) {
  // expected-error @+1 {{weight heads (16) are not a multiple of input heads (3)}}
  %0 = attn.project %x, %w
      : tensor<?x3x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  return
}

// -----

func.func @project_result(%x: tensor<?x1x?x512xf32>, %w: tensor<16x512x128xf32>) {
  // expected-error @+1 {{result feature size mismatch: 64 vs 128}}
  %0 = attn.project %x, %w
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x64xf32>
  return
}

// -----

func.func @project_weight_rank(%x: tensor<?x1x?x512xf32>, %w: tensor<512x128xf32>) {
  // expected-error @+1 {{operand #1 must be 3D tensor of floating-point values}}
  %0 = attn.project %x, %w
      : tensor<?x1x?x512xf32>, tensor<512x128xf32> -> tensor<?x1x?x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.rope
//===----------------------------------------------------------------------===//

func.func @rope_odd(%x: tensor<?x8x?x63xf32>) {
  // expected-error @+1 {{needs a static, even head dim to rotate in pairs}}
  %0 = attn.rope %x theta 10000.0 : tensor<?x8x?x63xf32>
  return
}

// -----

func.func @rope_theta(%x: tensor<?x8x?x64xf32>) {
  // expected-error @+1 {{theta must be finite and positive}}
  %0 = attn.rope %x theta 0.0 : tensor<?x8x?x64xf32>
  return
}

// -----

func.func @rope_theta_nan(%x: tensor<?x8x?x64xf32>) {
  // expected-error @+1 {{theta must be finite and positive}}
  %0 = attn.rope %x theta 0x7FF8000000000000 : tensor<?x8x?x64xf32>
  return
}

// -----

func.func @rope_lengths(%x: tensor<2x8x?x64xf32>, %len: tensor<4xi64>) {
  // expected-error @+1 {{lengths vs batch mismatch: 4 vs 2}}
  %0 = attn.rope %x theta 10000.0 lengths %len
      : tensor<2x8x?x64xf32>, tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.index_score
//===----------------------------------------------------------------------===//

func.func @index_score_heads(%q: tensor<?x64x?x128xf32>, %k: tensor<?x2x?x128xf32>,
                             %w: tensor<?x64x?xf32>) {
  // expected-error @+1 {{indexer keys must have one head}}
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x2x?x128xf32>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xf32>
  return
}

// -----

// The one key head is part of the op's form: a dynamic count is rejected.
func.func @index_score_dynamic_heads(%q: tensor<?x64x?x128xf32>, %k: tensor<?x?x?x128xf32>,
                                     %w: tensor<?x64x?xf32>) {
  // expected-error @+1 {{indexer keys must have one head}}
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x?x?x128xf32>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xf32>
  return
}

// -----

func.func @index_score_batch(%q: tensor<2x64x?x128xf32>, %k: tensor<3x1x?x128xf32>,
                             %w: tensor<?x64x?xf32>) {
  // expected-error @+1 {{key batch mismatch: 3 vs 2}}
  %0 = attn.index_score %q, %k, %w
      : tensor<2x64x?x128xf32>, tensor<3x1x?x128xf32>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xf32>
  return
}

// -----

func.func @index_score_dim(%q: tensor<?x64x?x128xf32>, %k: tensor<?x1x?x64xf32>,
                           %w: tensor<?x64x?xf32>) {
  // expected-error @+1 {{indexer head dim mismatch: 64 vs 128}}
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x1x?x64xf32>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xf32>
  return
}

// -----

func.func @index_score_weights(%q: tensor<?x64x?x128xf32>, %k: tensor<?x1x?x128xf32>,
                               %w: tensor<?x32x?xf32>) {
  // expected-error @+1 {{weights vs query head size mismatch: 32 vs 64}}
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x32x?xf32>
      -> tensor<?x1x?x?xf32>
  return
}

// -----

func.func @index_score_result(%q: tensor<?x64x?x128xf32>, %k: tensor<?x1x?x128xf32>,
                              %w: tensor<?x64x?xf32>) {
  // expected-error @+1 {{scores head size mismatch: 64 vs 1}}
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x64x?xf32>
      -> tensor<?x64x?x?xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.select_tokens
//===----------------------------------------------------------------------===//

func.func @select_tokens_top(%s: tensor<?x1x?x?xf32>) {
  // expected-error @+1 {{result must hold top = 2048 indices per query}}
  %0 = attn.select_tokens %s top 2048 : tensor<?x1x?x?xf32> -> tensor<?x1x?x1024xi64>
  return
}

// -----

func.func @select_tokens_shape(%s: tensor<?x1x8x?xf32>) {
  // expected-error @+1 {{indices sequence size mismatch: 4 vs 8}}
  %0 = attn.select_tokens %s top 16 : tensor<?x1x8x?xf32> -> tensor<?x1x4x16xi64>
  return
}

// -----

func.func @select_tokens_zero(%s: tensor<?x1x?x?xf32>) {
  // expected-error @+1 {{attribute 'top' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = attn.select_tokens %s top 0 : tensor<?x1x?x?xf32> -> tensor<?x1x?x0xi64>
  return
}

// -----

func.func @select_tokens_missing_top(%s: tensor<?x1x?x?xf32>) {
  // expected-error @+1 {{requires attribute 'top'}}
  %0 = "attn.select_tokens"(%s) : (tensor<?x1x?x?xf32>) -> tensor<?x1x?x16xi64>
  return
}

// -----

func.func @select_tokens_float(%s: tensor<?x1x?x?xf32>) {
  // expected-error @+1 {{result #0 must be 4D tensor of signless integer values}}
  %0 = attn.select_tokens %s top 16 : tensor<?x1x?x?xf32> -> tensor<?x1x?x16xf32>
  return
}

// -----

func.func @select_blocks_dynamic_groups(%p: tensor<?x16x?x?xf32>) {
  // expected-error @+1 {{result needs a static number of head groups}}
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x?x?x16xi64>
  return
}

// -----

// Bodies see only their arguments: a captured value would have no per-score
// meaning.
func.func @score_mod_captures(%s: tensor<?x8x?x?xf32>, %c: f32) {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    // expected-error @+1 {{using value defined outside the region}}
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  return
}

// -----

func.func @chunked_scan_states_not_materialized(%q: tensor<?x4x?x64xf32>,
    %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{returns the per-chunk states exactly when materialized}}
  %o, %s, %c = attn.chunked_scan %q, %k, %v chunk 16 scale 1.0
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>, tensor<?x4x?x64x64xf32>)
  return
}

// -----

func.func @chunked_scan_missing_states(%q: tensor<?x4x?x64xf32>,
    %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{returns the per-chunk states exactly when materialized}}
  %o, %s = attn.chunked_scan %q, %k, %v chunk 16 scale 1.0 materialized
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>)
  return
}

// -----

func.func @chunked_scan_chunk_too_large(%q: tensor<?x4x?x64xf32>,
    %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{chunk must lie in [1, 4096]: each chunk is a dense chunk x chunk block}}
  %o, %s = attn.chunked_scan %q, %k, %v chunk 9223372036854775807 scale 1.0
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>)
  return
}

// -----

func.func @chunked_scan_chunk_count(%q: tensor<1x4x100x64xf32>,
    %k: tensor<1x4x100x64xf32>, %v: tensor<1x4x100x64xf32>) {
  // expected-error @+1 {{chunk states chunk size mismatch: 3 vs 4}}
  %o, %s, %c = attn.chunked_scan %q, %k, %v chunk 32 scale 1.0 materialized
      : (tensor<1x4x100x64xf32>, tensor<1x4x100x64xf32>, tensor<1x4x100x64xf32>)
      -> (tensor<1x4x100x64xf32>, tensor<1x4x64x64xf32>, tensor<1x4x3x64x64xf32>)
  return
}

// -----

func.func @chunked_scan_scale(%q: tensor<?x4x?x64xf32>,
    %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{scale must be finite}}
  %o, %s = attn.chunked_scan %q, %k, %v chunk 16 scale 0x7FF0000000000000
      : (tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>)
  return
}

// -----

func.func @chunked_scan_value_heads(%q: tensor<?x4x?x64xf32>,
    %k: tensor<?x2x?x64xf32>, %v: tensor<?x4x?x64xf32>) {
  // expected-error @+1 {{value heads mismatch: 4 vs 2}}
  %o, %s = attn.chunked_scan %q, %k, %v chunk 16 scale 1.0
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x64xf32>, tensor<?x4x64x64xf32>)
  return
}

// -----

func.func @state_read_scale(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                            %v: tensor<?x1x?x4xf32>) {
  %o, %st = attn.scan %q, %k, %v
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    // expected-error @+1 {{scale must be finite}}
    %r = attn.state.read %S, %qt scale 0x7FF8000000000000
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    attn.yield %S, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.paged_cache
//===----------------------------------------------------------------------===//

func.func @paged_cache_slots(%pages: tensor<?x16x2x128xf32>, %table: tensor<4x8xi32>) {
  // expected-error @+1 {{cache sequence size mismatch: 100 vs 128}}
  %0 = attn.paged_cache %pages, %table
      : tensor<?x16x2x128xf32>, tensor<4x8xi32> -> tensor<4x2x100x128xf32>
  return
}

// -----

func.func @paged_cache_heads(%pages: tensor<?x16x2x128xf32>, %table: tensor<?x?xi32>) {
  // expected-error @+1 {{cache head size mismatch: 4 vs 2}}
  %0 = attn.paged_cache %pages, %table
      : tensor<?x16x2x128xf32>, tensor<?x?xi32> -> tensor<?x4x?x128xf32>
  return
}

// -----

func.func @paged_cache_element(%pages: tensor<?x16x2x128xbf16>, %table: tensor<?x?xi32>) {
  // expected-error @+1 {{cache elements must be the pages' elements}}
  %0 = attn.paged_cache %pages, %table
      : tensor<?x16x2x128xbf16>, tensor<?x?xi32> -> tensor<?x2x?x128xf32>
  return
}

// -----

func.func @paged_cache_table(%pages: tensor<?x16x2x128xf32>, %table: tensor<?x?xf32>) {
  // expected-error @+1 {{operand #1 must be 2D tensor of signless integer values}}
  %0 = attn.paged_cache %pages, %table
      : tensor<?x16x2x128xf32>, tensor<?x?xf32> -> tensor<?x2x?x128xf32>
  return
}

// -----

// expected-error @+1 {{attn.dims "B,H,T" names 3 dimensions of a rank-4 tensor}}
func.func @dims_count(%q: tensor<?x2x?x8xf32> {attn.dims = "B,H,T"}) {
  return
}

// -----

// expected-error @+1 {{attn.dims must be a string such as "B,Hq,T,Dk"}}
func.func @dims_not_string(%q: tensor<?x2x?x8xf32> {attn.dims = 4 : i64}) {
  return
}

// -----

// expected-error @+1 {{unknown argument attribute 'attn.dim'; attn takes attn.dims}}
func.func @dims_misspelled(%q: tensor<?x2x?x8xf32> {attn.dim = "B,H,T,D"}) {
  return
}

//===----------------------------------------------------------------------===//
// attn.attention and attn.logsumexp
//===----------------------------------------------------------------------===//

// -----

func.func @logsumexp_shape(%s: tensor<2x8x4x4xf32>) {
  // expected-error @+1 {{result sequence size mismatch: 5 vs 4}}
  %l = attn.logsumexp %s : tensor<2x8x4x4xf32> -> tensor<2x8x5xf32>
  return
}

// -----

func.func @attention_unknown_mask(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{unknown mask 'diagonal'}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 masks(diagonal)
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_mask_size(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{mask 'sliding_window' needs a size}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 masks(sliding_window)
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_mask_stride(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{mask 'causal' takes no size}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 masks(causal(4))
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_compressed_gap(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{compressed stride 8 exceeds block 4: tokens between blocks would be dropped}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 masks(compressed(4, 8))
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_result_count(%q: tensor<1x2x4x8xf32>) {
  %o = attn.attention %q, %q, %q scale 1.0
      // expected-error @+1 {{expected 3 operand types and two result types (output, log-sum-exp)}}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{scale must be finite and positive}}
  %o, %l = attn.attention %q, %q, %q scale -1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x4x8xf32>, %k: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{pair 0 query heads (3) are not a multiple of pair 0 key heads (2)}}
  %o, %l = attn.attention %q, %k, %k scale 1.0
      : (tensor<1x3x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x3x4x8xf32>, tensor<1x3x4xf32>)
  return
}

// -----

func.func @attention_key_length(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x5x8xf32>) {
  // expected-error @+1 {{pair 0 key length mismatch: 6 vs 5}}
  %o, %l = attn.attention %q, %k, %v scale 1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x5x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_output_dim(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{output head dim mismatch: 4 vs 8}}
  %o, %l = attn.attention %q, %q, %q scale 1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_lse_shape(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{log-sum-exp sequence size mismatch: 3 vs 4}}
  %o, %l = attn.attention %q, %q, %q scale 1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x3xf32>)
  return
}

// -----

func.func @attention_values_batch(%q: tensor<1x2x4x8xf32>, %v: tensor<2x2x4x8xf32>) {
  // expected-error @+1 {{values batch mismatch: 2 vs 1}}
  %o, %l = attn.attention %q, %q, %v scale 1.0
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<2x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_value_heads(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x3x4x8xf32>) {
  // expected-error @+1 {{query heads (4) are not a multiple of value heads (3)}}
  %o, %l = attn.attention %q, %k, %v scale 1.0
      : (tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x3x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x4x4xf32>)
  return
}

// -----

func.func @attention_lengths(%q: tensor<2x2x4x8xf32>, %len: tensor<3xi32>) {
  // expected-error @+1 {{lengths vs batch mismatch: 3 vs 2}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 masks(causal) lengths %len
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<3xi32>) -> (tensor<2x2x4x8xf32>, tensor<2x2x4xf32>)
  return
}

// -----

func.func @attention_block(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{takes a block size exactly with selected blocks}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 {block = 4 : i64}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_indices(%q: tensor<1x2x4x8xf32>, %idx: tensor<1x2x5x2xi64>) {
  // expected-error @+1 {{indices query length mismatch: 5 vs 4}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 select %idx block 2
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x5x2xi64>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_index_rows(%q: tensor<1x4x4x8xf32>, %idx: tensor<1x3x4x2xi64>) {
  // expected-error @+1 {{query heads (4) are not a multiple of indices heads (3)}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 select %idx block 2
      : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x3x4x2xi64>) -> (tensor<1x4x4x8xf32>, tensor<1x4x4xf32>)
  return
}

// -----

func.func @attention_no_pair(%v: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{needs as many keys as queries, and at least one pair}}
  %o, %l = "attn.attention"(%v) ({}) {scale = 1.0 : f64, masks = [], operandSegmentSizes = array<i32: 0, 0, 1, 0, 0>}
      : (tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_body_args(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{body must take ('f32', 'index', 'index', 'index', 'index'): the score and its batch, head, query and key indices}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 score_mod {
  ^bb0(%x: f32, %b: index):
    attn.yield %x : f32
  } : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_body_score(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{score_mod body must take a float score first}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 score_mod {
  ^bb0(%x: index, %b: index, %h: index, %t: index, %s: index):
    %y = arith.constant 1.0 : f32
    attn.yield %y : f32
  } : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @attention_body_op(%q: tensor<1x2x4x8xf32>) {
  %o, %l = attn.attention %q, %q, %q scale 1.0 score_mod {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %s: index):
    // expected-error @+1 {{is not allowed in a score_mod body}}
    %y = math.erf %x : f32
    attn.yield %y : f32
  } : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @mask_attr(%q: tensor<1x2x4x8xf32>) {
  // expected-error @+1 {{mask 'block_causal' needs a size}}
  %o, %l = attn.attention %q, %q, %q scale 1.0 {note = #attn.mask<block_causal>}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4xf32>)
  return
}
