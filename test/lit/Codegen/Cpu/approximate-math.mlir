// f32 transcendental functions become inline polynomials (no libm calls left).
// RUN: cleave-opt %s --cleave-cpu-approximate-math | FileCheck %s

// CHECK-LABEL: func.func @gelu_parts
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.erf
// CHECK:         return
func.func @gelu_parts(%x: f32) -> (f32, f32, f32) {
  %t = math.tanh %x : f32
  %e = math.exp %x : f32
  %r = math.erf %x : f32
  return %t, %e, %r : f32, f32, f32
}
