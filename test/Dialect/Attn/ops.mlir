// RUN: attention-opt %s | attention-opt | FileCheck %s
// RUN: attention-opt %s --mlir-print-op-generic | attention-opt | FileCheck %s

// Round trip of every attn op, the !attn.state type and every assembly
// variant. Each function is one op family.

// CHECK-LABEL: func.func @score
func.func @score(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x16x64xf32>,
                 %qr: tensor<2x8x16x32xf32>, %kr: tensor<2x1x16x32xf32>,
                 %g: tensor<2x8x16x64xf32>, %qd: tensor<?x8x?x?xbf16>,
                 %kd: tensor<?x2x?x?xbf16>) {
  // CHECK: attn.score %{{.*}}, %{{.*}} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  %0 = attn.score %q, %k
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 1.250000e-01 :
  %1 = attn.score %q, %k scale 0.125
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  // MLA: the no-RoPE and the decoupled RoPE pairs, each with its KV heads.
  // CHECK: attn.score %{{.*}}, %{{.*}} + %{{.*}}, %{{.*}} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x32xf32>, tensor<2x1x16x32xf32>) -> tensor<2x8x16x16xf32>
  %2 = attn.score %q, %k + %qr, %kr
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x32xf32>,
         tensor<2x1x16x32xf32>) -> tensor<2x8x16x16xf32>
  // CHECK: attn.score %{{.*}}, %{{.*}} + %{{.*}}, %{{.*}} scale 5.000000e-01 :
  %3 = attn.score %q, %k + %qr, %kr scale 0.5
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x32xf32>,
         tensor<2x1x16x32xf32>) -> tensor<2x8x16x16xf32>
  // CHECK: attn.score %{{.*}}, %{{.*}} decay %{{.*}} : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>) -> tensor<2x8x16x16xf32>
  %4 = attn.score %q, %k decay %g
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>)
      -> tensor<2x8x16x16xf32>
  // CHECK: attn.score %{{.*}}, %{{.*}} decay %{{.*}} scale 1.250000e-01 :
  %5 = attn.score %q, %k decay %g scale 0.125
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x8x16x64xf32>)
      -> tensor<2x8x16x16xf32>
  // A dynamic head dim is fine with an explicit scale.
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 1.250000e-01 : (tensor<?x8x?x?xbf16>, tensor<?x2x?x?xbf16>) -> tensor<?x8x?x?xf32>
  %6 = attn.score %qd, %kd scale 0.125
      : (tensor<?x8x?x?xbf16>, tensor<?x2x?x?xbf16>) -> tensor<?x8x?x?xf32>
  // CHECK: attn.score %{{.*}}, %{{.*}} {note = "kept"} :
  %7 = attn.score %q, %k {note = "kept"}
      : (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>) -> tensor<2x8x16x16xf32>
  return
}

// CHECK-LABEL: func.func @mask
func.func @mask(%s: tensor<?x8x?x?xf32>, %len: tensor<?xi64>) {
  // CHECK: attn.mask %{{.*}}, none : tensor<?x8x?x?xf32>
  %0 = attn.mask %s, none : tensor<?x8x?x?xf32>
  // CHECK: attn.mask %{{.*}}, none lengths %{{.*}} : tensor<?x8x?x?xf32>, tensor<?xi64>
  %1 = attn.mask %s, none lengths %len : tensor<?x8x?x?xf32>, tensor<?xi64>
  // CHECK: attn.mask %{{.*}}, causal : tensor<?x8x?x?xf32>
  %2 = attn.mask %s, causal : tensor<?x8x?x?xf32>
  // CHECK: attn.mask %{{.*}}, causal lengths %{{.*}} : tensor<?x8x?x?xf32>, tensor<?xi64>
  %3 = attn.mask %s, causal lengths %len : tensor<?x8x?x?xf32>, tensor<?xi64>
  // CHECK: attn.mask %{{.*}}, sliding_window(512) : tensor<?x8x?x?xf32>
  %4 = attn.mask %s, sliding_window(512) : tensor<?x8x?x?xf32>
  // CHECK: attn.mask %{{.*}}, sliding_window(512) lengths %{{.*}} : tensor<?x8x?x?xf32>, tensor<?xi64>
  %5 = attn.mask %s, sliding_window(512) lengths %len
      : tensor<?x8x?x?xf32>, tensor<?xi64>
  // CHECK: attn.mask %{{.*}}, block_causal(64) : tensor<?x8x?x?xf32>
  %6 = attn.mask %s, block_causal(64) : tensor<?x8x?x?xf32>
  // CHECK: attn.mask %{{.*}}, block_causal(64) lengths %{{.*}} : tensor<?x8x?x?xf32>, tensor<?xi64>
  %7 = attn.mask %s, block_causal(64) lengths %len
      : tensor<?x8x?x?xf32>, tensor<?xi64>
  // CHECK: attn.mask %{{.*}}, compressed(32, 16) : tensor<?x8x?x?xf32>
  %8 = attn.mask %s, compressed(32, 16) : tensor<?x8x?x?xf32>
  // CHECK: attn.mask %{{.*}}, compressed(32, 16) lengths %{{.*}} : tensor<?x8x?x?xf32>, tensor<?xi64>
  %9 = attn.mask %s, compressed(32, 16) lengths %len
      : tensor<?x8x?x?xf32>, tensor<?xi64>
  return
}

// CHECK-LABEL: func.func @block_mask
func.func @block_mask(%s: tensor<?x16x?x?xf32>, %idx: tensor<?x4x?x16xi64>,
                      %tok: tensor<2x1x8x2048xi32>,
                      %s1: tensor<2x16x8x4096xf32>) {
  // CHECK: attn.block_mask %{{.*}}, %{{.*}}, block 64 : tensor<?x16x?x?xf32>, tensor<?x4x?x16xi64>
  %0 = attn.block_mask %s, %idx, block 64
      : tensor<?x16x?x?xf32>, tensor<?x4x?x16xi64>
  // Block 1 selects single tokens (DSA), shared by all heads.
  // CHECK: attn.block_mask %{{.*}}, %{{.*}}, block 1 : tensor<2x16x8x4096xf32>, tensor<2x1x8x2048xi32>
  %1 = attn.block_mask %s1, %tok, block 1
      : tensor<2x16x8x4096xf32>, tensor<2x1x8x2048xi32>
  return
}

// CHECK-LABEL: func.func @score_mod
func.func @score_mod(%s: tensor<?x8x?x?xf32>) {
  // Softcap: 30 * tanh(x / 30).
  // CHECK: attn.score_mod %{{.*}} : tensor<?x8x?x?xf32> {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
  // CHECK: math.tanh
  // CHECK: attn.yield %{{.*}} : f32
  // CHECK-NEXT: }
  %0 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %cap = arith.constant 30.0 : f32
    %d = arith.divf %x, %cap : f32
    %th = math.tanh %d : f32
    %y = arith.mulf %th, %cap : f32
    attn.yield %y : f32
  }
  // ALiBi-like: x - slope(h) * (t - j), from the index arguments.
  // CHECK: attn.score_mod %{{.*}} : tensor<?x8x?x?xf32> {
  // CHECK: arith.subi
  // CHECK: arith.index_cast
  // CHECK: attn.yield %{{.*}} : f32
  %1 = attn.score_mod %s : tensor<?x8x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %one = arith.constant 1 : index
    %h1 = arith.addi %h, %one : index
    %hi = arith.index_cast %h1 : index to i64
    %hf = arith.sitofp %hi : i64 to f32
    %neg = arith.constant -0.5 : f32
    %lg = arith.mulf %hf, %neg : f32
    %slope = math.exp2 %lg : f32
    %dist = arith.subi %t, %j : index
    %di = arith.index_cast %dist : index to i64
    %df = arith.sitofp %di : i64 to f32
    %bias = arith.mulf %slope, %df : f32
    %y = arith.subf %x, %bias : f32
    attn.yield %y : f32
  }
  return
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%s: tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32> {
  // CHECK: attn.softmax %{{.*}} : tensor<?x8x?x?xf32>
  %0 = attn.softmax %s : tensor<?x8x?x?xf32>
  return %0 : tensor<?x8x?x?xf32>
}

// CHECK-LABEL: func.func @feature_map
func.func @feature_map(%x: tensor<?x4x?x64xf32>) {
  // CHECK: attn.feature_map %{{.*}}, identity : tensor<?x4x?x64xf32>
  %0 = attn.feature_map %x, identity : tensor<?x4x?x64xf32>
  // CHECK: attn.feature_map %{{.*}}, elu_plus_one : tensor<?x4x?x64xf32>
  %1 = attn.feature_map %x, elu_plus_one : tensor<?x4x?x64xf32>
  // CHECK: attn.feature_map %{{.*}}, relu : tensor<?x4x?x64xf32>
  %2 = attn.feature_map %x, relu : tensor<?x4x?x64xf32>
  return
}

// CHECK-LABEL: func.func @decay
func.func @decay(%s: tensor<?x4x?x?xf32>, %g: tensor<?x4x?xf32>,
                 %c: tensor<4xf32>) {
  // Data-dependent (Mamba2, simple GLA): [B, H, T] log-decays.
  // CHECK: attn.decay %{{.*}}, %{{.*}} : tensor<?x4x?x?xf32>, tensor<?x4x?xf32>
  %0 = attn.decay %s, %g : tensor<?x4x?x?xf32>, tensor<?x4x?xf32>
  // Constant per head (RetNet): [H].
  // CHECK: attn.decay %{{.*}}, %{{.*}} : tensor<?x4x?x?xf32>, tensor<4xf32>
  %1 = attn.decay %s, %c : tensor<?x4x?x?xf32>, tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @aggregate
func.func @aggregate(%p: tensor<2x8x16x16xf32>, %v: tensor<2x2x16x128xf32>,
                     %pd: tensor<?x8x?x?xf32>, %vd: tensor<?x1x?x64xf32>) {
  // GQA: 8 query heads over 2 value heads.
  // CHECK: attn.aggregate %{{.*}}, %{{.*}} : tensor<2x8x16x16xf32>, tensor<2x2x16x128xf32> -> tensor<2x8x16x128xf32>
  %0 = attn.aggregate %p, %v
      : tensor<2x8x16x16xf32>, tensor<2x2x16x128xf32> -> tensor<2x8x16x128xf32>
  // MQA with dynamic sizes.
  // CHECK: attn.aggregate %{{.*}}, %{{.*}} : tensor<?x8x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x8x?x64xf32>
  %1 = attn.aggregate %pd, %vd
      : tensor<?x8x?x?xf32>, tensor<?x1x?x64xf32> -> tensor<?x8x?x64xf32>
  return
}

// CHECK-LABEL: func.func @scan
func.func @scan(%q: tensor<?x4x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                %v: tensor<?x2x?x32xf32>, %g: tensor<?x4x?xf32>,
                %gk: tensor<?x4x?x64xf32>, %gh: tensor<4xf32>,
                %s0: tensor<?x4x64x32xf32>) {
  // Scalar gates [B, H, T] (Mamba2): the body gets g_t as f32.
  // CHECK: attn.scan %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}} : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>, tensor<?x4x?xf32>) -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: !attn.state<64x32xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<32xf32>, %{{.*}}: f32):
  // CHECK: attn.yield %{{.*}}, %{{.*}} : !attn.state<64x32xf32>, tensor<32xf32>
  %o0, %f0 = attn.scan %q, %k, %v gates %g
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>,
         tensor<?x4x?xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: f32):
    %d = attn.state.decay %S, %gt : !attn.state<64x32xf32>, f32
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<64x32xf32>, tensor<64xf32>, tensor<32xf32>
    %ot = attn.state.read %u, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %u, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  // Per-key gates [B, H, T, Dk] (GLA): the body gets g_t as tensor<Dk>.
  // CHECK: attn.scan %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}} : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>, tensor<?x4x?x64xf32>) -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: !attn.state<64x32xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<32xf32>, %{{.*}}: tensor<64xf32>):
  // CHECK: attn.state.decay %{{.*}}, %{{.*}} : !attn.state<64x32xf32>, tensor<64xf32>
  %o1, %f1 = attn.scan %q, %k, %v gates %gk
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>,
         tensor<?x4x?x64xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: tensor<64xf32>):
    %d = attn.state.decay %S, %gt : !attn.state<64x32xf32>, tensor<64xf32>
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<64x32xf32>, tensor<64xf32>, tensor<32xf32>
    %ot = attn.state.read %u, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %u, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  // Constant per-head gates [H] (RetNet), with an initial state.
  // CHECK: attn.scan %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}} init %{{.*}} : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>, tensor<4xf32>, tensor<?x4x64x32xf32>) -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: !attn.state<64x32xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<32xf32>, %{{.*}}: f32):
  %o2, %f2 = attn.scan %q, %k, %v gates %gh init %s0
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>,
         tensor<4xf32>, tensor<?x4x64x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>, %gt: f32):
    %d = attn.state.decay %S, %gt : !attn.state<64x32xf32>, f32
    %u = attn.state.update %d, %kt, %vt
        : !attn.state<64x32xf32>, tensor<64xf32>, tensor<32xf32>
    %ot = attn.state.read %u, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %u, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  // No gates (plain linear attention), with an initial state.
  // CHECK: attn.scan %{{.*}}, %{{.*}}, %{{.*}} init %{{.*}} : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>, tensor<?x4x64x32xf32>) -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: !attn.state<64x32xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<64xf32>, %{{.*}}: tensor<32xf32>):
  %o3, %f3 = attn.scan %q, %k, %v init %s0
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>,
         tensor<?x4x64x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<64x32xf32>, tensor<64xf32>, tensor<32xf32>
    %ot = attn.state.read %u, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %u, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  // No gates, no init.
  // CHECK: attn.scan %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>) -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  %o4, %f4 = attn.scan %q, %k, %v
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>) {
  ^bb0(%S: !attn.state<64x32xf32>, %qt: tensor<64xf32>, %kt: tensor<64xf32>,
       %vt: tensor<32xf32>):
    %u = attn.state.update %S, %kt, %vt
        : !attn.state<64x32xf32>, tensor<64xf32>, tensor<32xf32>
    %ot = attn.state.read %u, %qt
        : !attn.state<64x32xf32>, tensor<64xf32> -> tensor<32xf32>
    attn.yield %u, %ot : !attn.state<64x32xf32>, tensor<32xf32>
  }
  return
}

// The state ops on their own, on a block argument of the state type.
// CHECK-LABEL: func.func @state
// CHECK-SAME: %{{.*}}: !attn.state<16x8xf32>
func.func @state(%S: !attn.state<16x8xf32>, %k: tensor<16xf32>,
                 %v: tensor<8xf32>, %g: f32, %gk: tensor<16xf32>)
    -> tensor<8xf32> {
  // CHECK: attn.state.decay %{{.*}}, %{{.*}} : !attn.state<16x8xf32>, f32
  %0 = attn.state.decay %S, %g : !attn.state<16x8xf32>, f32
  // CHECK: attn.state.decay %{{.*}}, %{{.*}} : !attn.state<16x8xf32>, tensor<16xf32>
  %1 = attn.state.decay %0, %gk : !attn.state<16x8xf32>, tensor<16xf32>
  // CHECK: attn.state.update %{{.*}}, %{{.*}}, %{{.*}} : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
  %2 = attn.state.update %1, %k, %v
      : !attn.state<16x8xf32>, tensor<16xf32>, tensor<8xf32>
  // CHECK: attn.state.read %{{.*}}, %{{.*}} : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
  %3 = attn.state.read %2, %k
      : !attn.state<16x8xf32>, tensor<16xf32> -> tensor<8xf32>
  return %3 : tensor<8xf32>
}

// CHECK-LABEL: func.func @compress
func.func @compress(%k: tensor<?x4x?x128xf32>, %ks: tensor<2x4x100x128xf32>,
                    %pe: tensor<32x128xf32>, %w1: tensor<4096x256xf32>,
                    %w2: tensor<256x128xf32>) {
  // CHECK: attn.compress %{{.*}}, mean block 32 stride 16 : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  %0 = attn.compress %k, mean block 32 stride 16
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  // (100 - 32) / 16 + 1 = 5 blocks.
  // CHECK: attn.compress %{{.*}}, mean block 32 stride 16 : tensor<2x4x100x128xf32> -> tensor<2x4x5x128xf32>
  %1 = attn.compress %ks, mean block 32 stride 16
      : tensor<2x4x100x128xf32> -> tensor<2x4x5x128xf32>
  // CHECK: attn.compress %{{.*}}, mlp block 32 stride 16 weights(%{{.*}}, %{{.*}}, %{{.*}} : tensor<32x128xf32>, tensor<4096x256xf32>, tensor<256x128xf32>) : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  %2 = attn.compress %k, mlp block 32 stride 16
      weights(%pe, %w1, %w2 : tensor<32x128xf32>, tensor<4096x256xf32>,
              tensor<256x128xf32>)
      : tensor<?x4x?x128xf32> -> tensor<?x4x?x128xf32>
  return
}

// CHECK-LABEL: func.func @select_blocks
func.func @select_blocks(%p: tensor<?x16x?x?xf32>) -> tensor<?x4x?x16xi64> {
  // CHECK: attn.select_blocks %{{.*}} compressed(32, 16) block 64 top 16 initial 1 local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
  %0 = attn.select_blocks %p compressed(32, 16) block 64 top 16 initial 1
      local 2 : tensor<?x16x?x?xf32> -> tensor<?x4x?x16xi64>
  return %0 : tensor<?x4x?x16xi64>
}

// CHECK-LABEL: func.func @gate_combine
func.func @gate_combine(%a: tensor<?x16x?x128xf32>, %b: tensor<?x16x?x128xf32>,
                        %c: tensor<?x16x?x128xf32>, %g: tensor<?x16x?x3xf32>,
                        %g1: tensor<?x16x?x1xf32>) {
  // CHECK: attn.gate_combine %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}} : (tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>), tensor<?x16x?x3xf32> -> tensor<?x16x?x128xf32>
  %0 = attn.gate_combine %a, %b, %c gates %g
      : (tensor<?x16x?x128xf32>, tensor<?x16x?x128xf32>,
         tensor<?x16x?x128xf32>), tensor<?x16x?x3xf32> -> tensor<?x16x?x128xf32>
  // CHECK: attn.gate_combine %{{.*}} gates %{{.*}} : (tensor<?x16x?x128xf32>), tensor<?x16x?x1xf32> -> tensor<?x16x?x128xf32>
  %1 = attn.gate_combine %a gates %g1
      : (tensor<?x16x?x128xf32>), tensor<?x16x?x1xf32> -> tensor<?x16x?x128xf32>
  return
}

// CHECK-LABEL: func.func @nsa
func.func @nsa(%q: tensor<?x16x?x64xf32>, %k: tensor<?x4x?x64xf32>,
               %v: tensor<?x4x?x32xf32>, %g: tensor<?x16x?x3xf32>,
               %pk: tensor<32x64xf32>, %w1k: tensor<2048x128xf32>,
               %w2k: tensor<128x64xf32>, %pv: tensor<32x32xf32>,
               %w1v: tensor<1024x64xf32>, %w2v: tensor<64x32xf32>,
               %qs: tensor<2x8x40x16xf32>, %ks: tensor<2x1x40x16xf32>,
               %gs: tensor<2x8x40x3xf32>) {
  // CHECK: attn.nsa %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}}(compressed, selected, window) compress mean block 32 stride 16 select block 64 top 16 initial 1 local 2 window 512 scale 1.250000e-01 : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>, tensor<?x16x?x3xf32>) -> tensor<?x16x?x32xf32>
  %0 = attn.nsa %q, %k, %v gates %g(compressed, selected, window)
      compress mean block 32 stride 16 select block 64 top 16 initial 1
      local 2 window 512 scale 0.125
      : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x16x?x3xf32>) -> tensor<?x16x?x32xf32>
  // Gates in another column order; separate MLPs for keys and values.
  // CHECK: attn.nsa %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}}(window, compressed, selected) compress mlp block 32 stride 16 key_weights(%{{.*}}, %{{.*}}, %{{.*}}) value_weights(%{{.*}}, %{{.*}}, %{{.*}}) select block 32 top 4 initial 0 local 0 window 1 scale 1.000000e+00 : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>, tensor<?x16x?x3xf32>, tensor<32x64xf32>, tensor<2048x128xf32>, tensor<128x64xf32>, tensor<32x32xf32>, tensor<1024x64xf32>, tensor<64x32xf32>) -> tensor<?x16x?x32xf32>
  %1 = attn.nsa %q, %k, %v gates %g(window, compressed, selected)
      compress mlp block 32 stride 16 key_weights(%pk, %w1k, %w2k)
      value_weights(%pv, %w1v, %w2v) select block 32 top 4 initial 0
      local 0 window 1 scale 1.0
      : (tensor<?x16x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x32xf32>,
         tensor<?x16x?x3xf32>, tensor<32x64xf32>, tensor<2048x128xf32>,
         tensor<128x64xf32>, tensor<32x32xf32>, tensor<1024x64xf32>,
         tensor<64x32xf32>) -> tensor<?x16x?x32xf32>
  // Static sizes; T = 40 is no multiple of any block.
  // CHECK: attn.nsa %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}}(selected, window, compressed) compress mean block 8 stride 4 select block 12 top 3 initial 1 local 1 window 16 scale 2.500000e-01 : (tensor<2x8x40x16xf32>, tensor<2x1x40x16xf32>, tensor<2x1x40x16xf32>, tensor<2x8x40x3xf32>) -> tensor<2x8x40x16xf32>
  %2 = attn.nsa %qs, %ks, %ks gates %gs(selected, window, compressed)
      compress mean block 8 stride 4 select block 12 top 3 initial 1 local 1
      window 16 scale 0.25
      : (tensor<2x8x40x16xf32>, tensor<2x1x40x16xf32>, tensor<2x1x40x16xf32>,
         tensor<2x8x40x3xf32>) -> tensor<2x8x40x16xf32>
  return
}

// CHECK-LABEL: func.func @project
func.func @project(%x: tensor<?x1x?x1024xf32>, %wdkv: tensor<1x1024x512xf32>,
                   %c: tensor<?x1x?x512xf32>, %wuk: tensor<16x512x128xf32>,
                   %qn: tensor<?x16x?x128xf32>) {
  // CHECK: attn.project %{{.*}}, %{{.*}} : tensor<?x1x?x1024xf32>, tensor<1x1024x512xf32> -> tensor<?x1x?x512xf32>
  %0 = attn.project %x, %wdkv
      : tensor<?x1x?x1024xf32>, tensor<1x1024x512xf32> -> tensor<?x1x?x512xf32>
  // CHECK: attn.project %{{.*}}, %{{.*}} : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  %1 = attn.project %c, %wuk
      : tensor<?x1x?x512xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x128xf32>
  // MLA absorption: fold W_UK into the query through W_UK^T.
  // CHECK: attn.project %{{.*}}, %{{.*}} transposed : tensor<?x16x?x128xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x512xf32>
  %2 = attn.project %qn, %wuk transposed
      : tensor<?x16x?x128xf32>, tensor<16x512x128xf32> -> tensor<?x16x?x512xf32>
  return
}

// CHECK-LABEL: func.func @rope
func.func @rope(%x: tensor<?x8x?x64xf32>, %len: tensor<?xi64>) {
  // CHECK: attn.rope %{{.*}} theta 1.000000e+04 : tensor<?x8x?x64xf32>
  %0 = attn.rope %x theta 10000.0 : tensor<?x8x?x64xf32>
  // CHECK: attn.rope %{{.*}} theta 1.000000e+04 lengths %{{.*}} : tensor<?x8x?x64xf32>, tensor<?xi64>
  %1 = attn.rope %x theta 10000.0 lengths %len
      : tensor<?x8x?x64xf32>, tensor<?xi64>
  return
}

// CHECK-LABEL: func.func @index_score
func.func @index_score(%q: tensor<?x64x?x128xf32>, %k: tensor<?x1x?x128xf32>,
                       %w: tensor<?x64x?xf32>) -> tensor<?x1x?x?xf32> {
  // CHECK: attn.index_score %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x64x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x64x?xf32> -> tensor<?x1x?x?xf32>
  %0 = attn.index_score %q, %k, %w
      : tensor<?x64x?x128xf32>, tensor<?x1x?x128xf32>, tensor<?x64x?xf32>
      -> tensor<?x1x?x?xf32>
  return %0 : tensor<?x1x?x?xf32>
}

// CHECK-LABEL: func.func @paged_cache
func.func @paged_cache(%pages: tensor<?x16x2x128xbf16>, %table: tensor<?x?xi32>,
                       %fixed: tensor<4x8xi64>) -> tensor<?x2x?x128xbf16> {
  // CHECK: attn.paged_cache %{{.*}}, %{{.*}} : tensor<?x16x2x128xbf16>, tensor<?x?xi32> -> tensor<?x2x?x128xbf16>
  %0 = attn.paged_cache %pages, %table
      : tensor<?x16x2x128xbf16>, tensor<?x?xi32> -> tensor<?x2x?x128xbf16>
  // With a static table the slots are M x P = 128.
  // CHECK: attn.paged_cache %{{.*}}, %{{.*}} : tensor<?x16x2x128xbf16>, tensor<4x8xi64> -> tensor<4x2x128x128xbf16>
  %1 = attn.paged_cache %pages, %fixed
      : tensor<?x16x2x128xbf16>, tensor<4x8xi64> -> tensor<4x2x128x128xbf16>
  return %0 : tensor<?x2x?x128xbf16>
}

// CHECK-LABEL: func.func @select_tokens
func.func @select_tokens(%s: tensor<?x1x?x?xf32>) -> tensor<?x1x?x2048xi64> {
  // CHECK: attn.select_tokens %{{.*}} top 2048 : tensor<?x1x?x?xf32> -> tensor<?x1x?x2048xi64>
  %0 = attn.select_tokens %s top 2048 : tensor<?x1x?x?xf32> -> tensor<?x1x?x2048xi64>
  // A dynamic index count is allowed, as every dynamic size is.
  // CHECK: attn.select_tokens %{{.*}} top 16 : tensor<?x1x?x?xf32> -> tensor<?x1x?x?xi64>
  %1 = attn.select_tokens %s top 16 : tensor<?x1x?x?xf32> -> tensor<?x1x?x?xi64>
  return %0 : tensor<?x1x?x2048xi64>
}

// CHECK-LABEL: func.func @chunked_scan
// CHECK: attn.chunked_scan %{{.*}}, %{{.*}}, %{{.*}} gates %{{.*}} init %{{.*}} chunk 64 scale 1.250000e-01 :
// CHECK: attn.chunked_scan %{{.*}}, %{{.*}}, %{{.*}} chunk 16 scale 1.000000e+00 materialized :
// CHECK-SAME: tensor<?x4x?x64x32xf32>
func.func @chunked_scan(%q: tensor<?x4x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                        %v: tensor<?x2x?x32xf32>, %g: tensor<?x4x?x64xf32>,
                        %s0: tensor<?x4x64x32xf32>) {
  %o, %s = attn.chunked_scan %q, %k, %v gates %g init %s0 chunk 64
      scale 0.125
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>,
         tensor<?x4x?x64xf32>, tensor<?x4x64x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>)
  %o2, %s2, %states = attn.chunked_scan %q, %k, %v chunk 16 scale 1.0
      materialized
      : (tensor<?x4x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x32xf32>)
      -> (tensor<?x4x?x32xf32>, tensor<?x4x64x32xf32>, tensor<?x4x?x64x32xf32>)
  return
}

// CHECK-LABEL: func.func @state_read_scale
// CHECK: attn.state.read %{{.*}}, %{{.*}} scale 1.250000e-01
func.func @state_read_scale(%q: tensor<?x1x?x4xf32>, %k: tensor<?x1x?x4xf32>,
                            %v: tensor<?x1x?x4xf32>) {
  %o, %st = attn.scan %q, %k, %v
      : (tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>, tensor<?x1x?x4xf32>)
      -> (tensor<?x1x?x4xf32>, tensor<?x1x4x4xf32>) {
  ^bb0(%S: !attn.state<4x4xf32>, %qt: tensor<4xf32>, %kt: tensor<4xf32>,
       %vt: tensor<4xf32>):
    %r = attn.state.read %S, %qt scale 0.125
        : !attn.state<4x4xf32>, tensor<4xf32> -> tensor<4xf32>
    attn.yield %S, %r : !attn.state<4x4xf32>, tensor<4xf32>
  }
  return
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x8x?x32xbf16>, %k: tensor<?x2x?x32xbf16>,
                     %v: tensor<?x2x?x16xbf16>, %qr: tensor<?x8x?x8xbf16>,
                     %kr: tensor<?x1x?x8xbf16>, %len: tensor<?xi32>,
                     %idx: tensor<?x2x?x4xi64>) {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} scale 1.250000e-01 : (tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x16xbf16>) -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>)
  %o0, %l0 = attn.attention %q, %k, %v scale 0.125
      : (tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x2x?x16xbf16>)
      -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>)
  // CHECK: attn.attention %{{.*}}, %{{.*}} + %{{.*}}, %{{.*}}, %{{.*}} scale 2.500000e-01 masks(causal, sliding_window(64), block_causal(4), compressed(8, 4)) lengths %{{.*}} select %{{.*}} block 16 score_mod {
  // CHECK: attn.yield
  // CHECK: } {note = 1 : i64} : (tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x8x?x8xbf16>, tensor<?x1x?x8xbf16>, tensor<?x2x?x16xbf16>, tensor<?xi32>, tensor<?x2x?x4xi64>) -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>)
  %o1, %l1 = attn.attention %q, %k + %qr, %kr, %v scale 0.25
      masks(causal, sliding_window(64), block_causal(4), compressed(8, 4))
      lengths %len select %idx block 16 score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %t: index, %s: index):
        %y = math.tanh %x : f32
        attn.yield %y : f32
      } {note = 1}
      : (tensor<?x8x?x32xbf16>, tensor<?x2x?x32xbf16>, tensor<?x8x?x8xbf16>,
         tensor<?x1x?x8xbf16>, tensor<?x2x?x16xbf16>, tensor<?xi32>,
         tensor<?x2x?x4xi64>)
      -> (tensor<?x8x?x16xbf16>, tensor<?x8x?xf32>)
  return
}

// CHECK-LABEL: func.func @logsumexp
// CHECK: attn.logsumexp %{{.*}} : tensor<?x8x?x?xf32> -> tensor<?x8x?xf32>
func.func @logsumexp(%s: tensor<?x8x?x?xf32>) -> tensor<?x8x?xf32> {
  %l = attn.logsumexp %s : tensor<?x8x?x?xf32> -> tensor<?x8x?xf32>
  return %l : tensor<?x8x?xf32>
}
