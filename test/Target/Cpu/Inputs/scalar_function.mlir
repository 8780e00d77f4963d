// A function of scalars: nothing the CPU backend compiles.
func.func @f(%x: f32) -> f32 {
  return %x : f32
}
