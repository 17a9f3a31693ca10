// Elementwise chains fuse; contractions keep their plain form: a reshape is not folded
// into a batch_matmul, and an elementwise consumer is not fused into it.
// RUN: cleave-opt %s --cleave-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @chain
// CHECK:         linalg.generic
// CHECK:           arith.addf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @chain(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %e = tensor.empty() : tensor<2x3x4xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x3x4xf32>, tensor<2x3x4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<2x3x4xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%0 : tensor<2x3x4xf32>) outs(%e : tensor<2x3x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @attention_scores
// CHECK:         %[[C:.*]] = tensor.collapse_shape
// CHECK:         %[[P:.*]] = linalg.batch_matmul ins(%[[C]], %{{.*}} : tensor<8x4x4xf32>, tensor<8x4x4xf32>)
// CHECK:         %[[E:.*]] = tensor.expand_shape %[[P]]
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<2x4x4x4xf32>)
// CHECK:           math.exp
func.func @attention_scores(%q: tensor<2x4x4x4xf32>, %k: tensor<8x4x4xf32>) -> tensor<2x4x4x4xf32> {
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x4x4x4xf32> into tensor<8x4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4x4xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %p = linalg.batch_matmul ins(%q3, %k : tensor<8x4x4xf32>, tensor<8x4x4xf32>) outs(%init : tensor<8x4x4xf32>) -> tensor<8x4x4xf32>
  %p4 = tensor.expand_shape %p [[0, 1], [2], [3]] output_shape [2, 4, 4, 4] : tensor<8x4x4xf32> into tensor<2x4x4x4xf32>
  %e4 = tensor.empty() : tensor<2x4x4x4xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p4 : tensor<2x4x4x4xf32>) outs(%e4 : tensor<2x4x4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4x4xf32>
  return %x : tensor<2x4x4x4xf32>
}
