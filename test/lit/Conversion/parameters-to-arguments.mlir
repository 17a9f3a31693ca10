// RUN: cleave-opt %s --cleave-parameters-to-arguments | FileCheck %s

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[X:.*]]: tensor<4xf32> {bufferization.writable = false, onnx.name = "x"},
// CHECK-SAME:    %[[W:.*]]: tensor<4xf32> {bufferization.writable = false, cleave.param = "w", cleave.param_value = dense<{{.*}}> : tensor<4xf32>})
// CHECK-NOT:   onnx.parameter
// CHECK:       onnx.add %[[X]], %[[W]]
func.func @main(%x: tensor<4xf32> {onnx.name = "x"}) -> tensor<4xf32> {
  %w = onnx.parameter "w" dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = onnx.add %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
