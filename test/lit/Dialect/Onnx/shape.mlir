// Round-trip of the shape and data-movement ops.
// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<2x3xf32>, %i: tensor<4xi64>) -> tensor<2x4xf32> {
  // CHECK: onnx.reshape %{{.*}} : tensor<2x3xf32> -> tensor<6xf32>
  %0 = onnx.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  // CHECK: onnx.transpose %{{.*}} {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = onnx.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  // CHECK: onnx.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %2 = onnx.concat %x, %x {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  // CHECK: onnx.slice %{{.*}} {starts = array<i64: 0, 5>, steps = array<i64: 1, -2>} : tensor<2x6xf32> -> tensor<2x3xf32>
  %3 = onnx.slice %2 {starts = array<i64: 0, 5>, steps = array<i64: 1, -2>} : tensor<2x6xf32> -> tensor<2x3xf32>
  // CHECK: onnx.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x4xf32>
  %4 = onnx.gather %3, %i {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @fill
func.func @fill(%x: tensor<3x1xf32>, %v: tensor<f32>, %k: tensor<i64>) -> tensor<5x4xf32> {
  // CHECK: onnx.expand %{{.*}} : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %0 = onnx.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  // CHECK: onnx.tile %{{.*}} : tensor<3x1xf32> -> tensor<6x4xf32>
  %1 = onnx.tile %x : tensor<3x1xf32> -> tensor<6x4xf32>
  // CHECK: onnx.constant_of_shape 1 : i64 : tensor<2x2xi64>
  %2 = onnx.constant_of_shape 1 : i64 : tensor<2x2xi64>
  // CHECK: onnx.pad %{{.*}}, %{{.*}} {mode = "constant", pads = array<i64: 1, 1, 1, 2>} : (tensor<3x1xf32>, tensor<f32>) -> tensor<5x4xf32>
  %3 = onnx.pad %x, %v {mode = "constant", pads = array<i64: 1, 1, 1, 2>} : (tensor<3x1xf32>, tensor<f32>) -> tensor<5x4xf32>
  // CHECK: onnx.pad %{{.*}} {mode = "edge", pads = array<i64: 0, 0, 0, 1>} : (tensor<3x1xf32>) -> tensor<3x2xf32>
  %4 = onnx.pad %x {mode = "edge", pads = array<i64: 0, 0, 0, 1>} : (tensor<3x1xf32>) -> tensor<3x2xf32>
  // CHECK: onnx.trilu %{{.*}}, %{{.*}} {upper = false} : (tensor<5x4xf32>, tensor<i64>) -> tensor<5x4xf32>
  %5 = onnx.trilu %3, %k {upper = false} : (tensor<5x4xf32>, tensor<i64>) -> tensor<5x4xf32>
  return %5 : tensor<5x4xf32>
}

// CHECK-LABEL: func.func @resample
func.func @resample(%x: tensor<1x1x2x2xf32>, %s: tensor<4xf32>, %a: tensor<f32>) -> tensor<1x1x4x4xf32> {
  // CHECK: onnx.resize %{{.*}}, %{{.*}} {coordinate_transformation_mode = "half_pixel", mode = "linear", nearest_mode = "floor"}
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "half_pixel", mode = "linear", nearest_mode = "floor"} : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x4xf32>
  // CHECK: onnx.range %{{.*}}, %{{.*}}, %{{.*}} : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3xf32>
  %1 = onnx.range %a, %a, %a : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<1x1x4x4xf32>
}
