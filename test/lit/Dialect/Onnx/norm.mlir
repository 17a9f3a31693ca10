// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<4x8xf32>, %i: tensor<4x8xi64>) -> (tensor<4x1xf32>, tensor<8xf32>, tensor<1x1xi64>) {
  // CHECK: onnx.reduce_sum %{{.*}} {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4x1xf32>
  %0 = onnx.reduce_sum %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4x1xf32>
  // CHECK: onnx.reduce_mean %{{.*}} {axes = array<i64: 0>, keepdims = false} : tensor<4x8xf32> -> tensor<8xf32>
  %1 = onnx.reduce_mean %x {axes = array<i64: 0>, keepdims = false} : tensor<4x8xf32> -> tensor<8xf32>
  // CHECK: onnx.reduce_max %{{.*}} {axes = array<i64: 0, 1>} : tensor<4x8xi64> -> tensor<1x1xi64>
  %2 = onnx.reduce_max %i {axes = array<i64: 0, 1>} : tensor<4x8xi64> -> tensor<1x1xi64>
  return %0, %1, %2 : tensor<4x1xf32>, tensor<8xf32>, tensor<1x1xi64>
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<2x10xf32>) -> (tensor<2x10xf32>, tensor<2x10xf32>) {
  // CHECK: onnx.softmax %{{.*}} {axis = 0 : i64} : tensor<2x10xf32>
  %0 = onnx.softmax %x {axis = 0 : i64} : tensor<2x10xf32>
  // CHECK: onnx.log_softmax %{{.*}} : tensor<2x10xf32>
  %1 = onnx.log_softmax %x : tensor<2x10xf32>
  return %0, %1 : tensor<2x10xf32>, tensor<2x10xf32>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>) {
  // CHECK: onnx.layer_normalization %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %0 = onnx.layer_normalization %x, %g, %b {epsilon = 1.0e-3 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: onnx.layer_normalization %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  %1:3 = onnx.layer_normalization %x, %g {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %0, %1#1 : tensor<2x3x4xf32>, tensor<2x1x1xf32>
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<1x3x5x5xf32>, %c: tensor<3xf32>) -> tensor<1x3x5x5xf32> {
  // CHECK: onnx.batch_normalization %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 1.000000e-03 : f32} : (tensor<1x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  %0 = onnx.batch_normalization %x, %c, %c, %c, %c {epsilon = 1.0e-3 : f32} : (tensor<1x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}

// CHECK-LABEL: func.func @batch_norm_training
func.func @batch_norm_training(%x: tensor<2x3x4xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = onnx.batch_normalization_training %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {momentum = 5.000000e-01 : f32} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>)
  %0:3 = onnx.batch_normalization_training %x, %c, %c, %c, %c {momentum = 0.5 : f32} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#2 : tensor<3xf32>
}
