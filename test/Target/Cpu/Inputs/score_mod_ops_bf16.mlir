// Every op a score_mod body may hold (ScoreModOps in AttnOps.h), in one body,
// each on values where it is defined: the interpreter, the CPU backend and the
// CUDA emitter implement the same table.
func.func @attention(%q: tensor<?x4x?x64xbf16> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x4x?x64xbf16> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x4x?x64xbf16> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x4x?x64xbf16> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>) -> tensor<?x4x?x?xf32>
  %c = attn.score_mod %s : tensor<?x4x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %one = arith.constant 1.0 : f32
    %half = arith.constant 0.5 : f32
    %milli = arith.constant 1.0e-3 : f32
    %ax = math.absf %x : f32
    %p = arith.addf %ax, %one : f32
    %ln = math.log %p : f32
    %lg2 = math.log2 %p : f32
    %e = math.exp %ln : f32
    %e2 = math.exp2 %lg2 : f32
    %sq = math.sqrt %p : f32
    %rs = math.rsqrt %p : f32
    %pw = math.powf %p, %half : f32
    %sn = math.sin %x : f32
    %cs = math.cos %x : f32
    %th = math.tanh %x : f32
    %ti = arith.index_cast %t : index to i64
    %ji = arith.index_castui %j : index to i64
    %d = arith.subi %ti, %ji : i64
    %d2 = arith.muli %d, %d : i64
    %d3 = arith.addi %d2, %ti : i64
    %df = arith.sitofp %d3 : i64 to f32
    %uf = arith.uitofp %ji : i64 to f32
    %neg = arith.negf %df : f32
    %bias = arith.mulf %neg, %milli : f32
    %wide = arith.extf %x : f32 to f64
    %narrow = arith.truncf %wide : f64 to f32
    %a0 = arith.addf %e, %e2 : f32
    %a1 = arith.subf %a0, %sq : f32
    %a2 = arith.divf %a1, %p : f32
    %a3 = arith.addf %a2, %rs : f32
    %a4 = arith.subf %a3, %pw : f32
    %a5 = arith.addf %sn, %cs : f32
    %a6 = arith.mulf %a5, %th : f32
    %hi = arith.maximumf %a4, %a6 : f32
    %lo = arith.minimumf %a4, %a6 : f32
    %a7 = arith.addf %hi, %lo : f32
    %u = arith.mulf %uf, %milli : f32
    %a8 = arith.addf %a7, %u : f32
    %a9 = arith.addf %a8, %bias : f32
    %early = arith.cmpi slt, %ji, %ti : i64
    %pos = arith.cmpf ogt, %narrow, %half : f32
    %y0 = arith.select %early, %a9, %narrow : f32
    %y = arith.select %pos, %y0, %a9 : f32
    attn.yield %y : f32
  }
  %m = attn.mask %c, causal : tensor<?x4x?x?xf32>
  %pr = attn.softmax %m : tensor<?x4x?x?xf32>
  %o = attn.aggregate %pr, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
