// Lowering of MatMul and Gemm to linalg.matmul / linalg.batch_matmul.
// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// A 2-D right operand (a weight): the batch dims join the rows, the weight is not copied.
// CHECK-LABEL: func.func @matmul_weight
// CHECK-SAME:    %[[A:.*]]: tensor<2x8x16xf32>, %[[B:.*]]: tensor<16x4xf32>
// CHECK:         %[[A2:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0, 1], [2]] : tensor<2x8x16xf32> into tensor<16x16xf32>
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A2]], %[[B]] : tensor<16x16xf32>, tensor<16x4xf32>) outs(%[[Z]] : tensor<16x4xf32>)
// CHECK:         tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [2, 8, 4]
func.func @matmul_weight(%a: tensor<2x8x16xf32>, %b: tensor<16x4xf32>) -> tensor<2x8x4xf32> {
  %0 = onnx.matmul %a, %b : (tensor<2x8x16xf32>, tensor<16x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// Batched on both sides: the right operand is broadcast to the common batch shape.
// CHECK-LABEL: func.func @matmul_batched
// CHECK-SAME:    %[[A:.*]]: tensor<2x8x16xf32>, %[[B:.*]]: tensor<1x16x4xf32>
// CHECK:         %[[BB:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<1x16x4xf32>) outs(%{{.*}} : tensor<2x16x4xf32>)
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         linalg.batch_matmul ins(%[[A]], %[[BB]] : tensor<2x8x16xf32>, tensor<2x16x4xf32>) outs(%[[Z]] : tensor<2x8x4xf32>)
func.func @matmul_batched(%a: tensor<2x8x16xf32>, %b: tensor<1x16x4xf32>) -> tensor<2x8x4xf32> {
  %0 = onnx.matmul %a, %b : (tensor<2x8x16xf32>, tensor<1x16x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// CHECK-LABEL: func.func @matmul_vector
// CHECK-SAME:    %[[A:.*]]: tensor<16xf32>, %[[B:.*]]: tensor<16x4xf32>
// CHECK:         %[[A2:.*]] = tensor.expand_shape %[[A]] {{.*}} into tensor<1x16xf32>
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[A2]], %[[B]] : tensor<1x16xf32>, tensor<16x4xf32>)
// CHECK:         tensor.collapse_shape %[[R]] {{.*}} into tensor<4xf32>
func.func @matmul_vector(%a: tensor<16xf32>, %b: tensor<16x4xf32>) -> tensor<4xf32> {
  %0 = onnx.matmul %a, %b : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// With alpha = 1 the product accumulates into beta * C, broadcast.
// CHECK-LABEL: func.func @gemm_trans_b
// CHECK-SAME:    %[[A:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<4x16xf32>, %[[C:.*]]: tensor<4xf32>
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[W]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<16x4xf32>) permutation = [1, 0]
// CHECK:         %[[BETA:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<4xf32>)
// CHECK:           arith.mulf %{{.*}}, %[[BETA]]
// CHECK:         linalg.matmul ins(%[[A]], %[[WT]] : tensor<8x16xf32>, tensor<16x4xf32>) outs(%[[INIT]] : tensor<8x4xf32>)
func.func @gemm_trans_b(%a: tensor<8x16xf32>, %w: tensor<4x16xf32>, %c: tensor<4xf32>) -> tensor<8x4xf32> {
  %0 = onnx.gemm %a, %w, %c {beta = 2.0 : f32, transB = true}
      : (tensor<8x16xf32>, tensor<4x16xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// Otherwise alpha * AB + beta * C is one elementwise generic after the matmul.
// CHECK-LABEL: func.func @gemm_alpha
// CHECK-SAME:    %[[A:.*]]: tensor<16x8xf32>, %[[B:.*]]: tensor<16x4xf32>, %[[C:.*]]: tensor<8x1xf32>
// CHECK:         %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<16x8xf32>)
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         %[[P:.*]] = linalg.matmul ins(%[[AT]], %[[B]] : tensor<8x16xf32>, tensor<16x4xf32>) outs(%[[Z]] : tensor<8x4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[P]], %[[C]] : tensor<8x4xf32>, tensor<8x1xf32>)
// CHECK:           %[[S:.*]] = arith.mulf
// CHECK:           arith.addf %[[S]], %{{.*}}
func.func @gemm_alpha(%a: tensor<16x8xf32>, %b: tensor<16x4xf32>, %c: tensor<8x1xf32>) -> tensor<8x4xf32> {
  %0 = onnx.gemm %a, %b, %c {alpha = 0.5 : f32, transA = true}
      : (tensor<16x8xf32>, tensor<16x4xf32>, tensor<8x1xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}
