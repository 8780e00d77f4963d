// Comparisons whose MLIR semantics differ from C's plain operators: an
// unsigned compare of t - s (negative, so huge, for keys after the query)
// and float compares against a NaN the body computes (ult is true there,
// one is false); maximumf and minimumf return the NaN. Full attention, so
// both signs of t - s occur.
func.func @attention(%q: tensor<?x4x?x16xf32> {attn.dims = "B,H,T,Dk"},
                     %k: tensor<?x4x?x16xf32> {attn.dims = "B,H,S,Dk"},
                     %v: tensor<?x4x?x16xf32> {attn.dims = "B,H,S,Dv"})
    -> tensor<?x4x?x16xf32> {
  %s = attn.score %q, %k
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x?xf32>
  %c = attn.score_mod %s : tensor<?x4x?x?xf32> {
  ^bb0(%x: f32, %b: index, %h: index, %t: index, %j: index):
    %eight = arith.constant 8 : index
    %d = arith.subi %t, %j : index
    %far = arith.cmpi ugt, %d, %eight : index
    %zero = arith.constant 0.0 : f32
    %nan = arith.divf %zero, %zero : f32
    %unordered = arith.cmpf ult, %x, %nan : f32
    %ordered = arith.cmpf one, %x, %nan : f32
    %two = arith.constant 2.0 : f32
    %half = arith.constant 0.5 : f32
    %shift = arith.constant 100.0 : f32
    %down = arith.subf %x, %two : f32
    %y = arith.select %far, %down, %x : f32
    %halved = arith.mulf %y, %half : f32
    %z = arith.select %unordered, %halved, %y : f32
    %shifted = arith.addf %z, %shift : f32
    %w = arith.select %ordered, %shifted, %z : f32
    %larger = arith.maximumf %x, %nan : f32
    %smaller = arith.minimumf %x, %nan : f32
    %propagated = arith.cmpf uno, %larger, %smaller : f32
    %kept = arith.select %propagated, %w, %shifted : f32
    attn.yield %kept : f32
  }
  %p = attn.softmax %c : tensor<?x4x?x?xf32>
  %o = attn.aggregate %p, %v
      : tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32> -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}
