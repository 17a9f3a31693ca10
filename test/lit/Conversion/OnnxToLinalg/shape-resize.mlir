// Lowering of onnx.resize: nearest rounds the input coordinate, linear blends neighbours.
// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @nearest
// CHECK-SAME:    (%[[X:.*]]: tensor<1x1x2x2xf32>)
func.func @nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x6xf32> {
  %s = onnx.constant dense<[1.0, 1.0, 2.0, 3.0]> : tensor<4xf32>
  // Only the resized dims get coordinate arithmetic.
  // CHECK: linalg.generic
  // CHECK:   %[[Y:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
  // CHECK:   math.floor %[[Y]] : f32
  // CHECK:   math.floor
  // CHECK:   tensor.extract %[[X]]
  // CHECK-NOT: tensor.extract
  // CHECK:   linalg.yield
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "asymmetric", mode = "nearest", nearest_mode = "floor"} : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x6xf32>
  return %0 : tensor<1x1x4x6xf32>
}

// CHECK-LABEL: func.func @bilinear
// CHECK-SAME:    (%[[X:.*]]: tensor<1x1x2x2xf32>)
func.func @bilinear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %s = onnx.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // Four corners, each weighted.
  // CHECK: linalg.generic
  // CHECK-COUNT-4: tensor.extract %[[X]]
  // CHECK-NOT: tensor.extract
  // CHECK:   linalg.yield
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "half_pixel", mode = "linear", nearest_mode = "round_prefer_floor"} : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// CHECK-LABEL: func.func @bicubic
// CHECK-SAME:    (%[[X:.*]]: tensor<1x1x4x4xf32>)
func.func @bicubic(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  %s = onnx.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  // Four clamped taps per resized dim: sixteen weighted reads; exclude_outside renormalises.
  // CHECK: linalg.generic
  // CHECK:   math.floor
  // CHECK:   arith.select
  // CHECK:   arith.divf
  // CHECK-COUNT-16: tensor.extract %[[X]]
  // CHECK-NOT: tensor.extract
  // CHECK:   linalg.yield
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "half_pixel", mode = "cubic", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.5 : f32, exclude_outside = true} : (tensor<1x1x4x4xf32>, tensor<4xf32>) -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// CHECK-LABEL: func.func @crop
// CHECK-SAME:    (%[[X:.*]]: tensor<1x1x4x4xf32>)
func.func @crop(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %s = onnx.constant dense<[1.0, 1.0, 0.5, 0.5]> : tensor<4xf32>
  // Samples outside the input become extrapolation_value.
  // CHECK: linalg.generic
  // CHECK:   arith.cmpf oge
  // CHECK:   arith.cmpf ole
  // CHECK:   tensor.extract %[[X]]
  // CHECK:   %[[FILL:.*]] = arith.constant 1.000000e+01 : f32
  // CHECK:   arith.select %{{.*}}, %{{.*}}, %[[FILL]] : f32
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "tf_crop_and_resize", mode = "nearest", nearest_mode = "round_prefer_floor", roi = array<f32: 0.0, 0.0, 0.2, 0.2, 1.0, 1.0, 0.8, 1.2>, extrapolation_value = 10.0 : f32} : (tensor<1x1x4x4xf32>, tensor<4xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
