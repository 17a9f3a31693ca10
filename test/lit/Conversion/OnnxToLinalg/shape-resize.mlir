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
