// RUN: cleave-opt %s --cleave-fold-parameter-transposes --split-input-file | FileCheck %s

// A weight used only through a transpose is stored transposed under its own name.
// CHECK-LABEL: func.func @only_use
// CHECK-NOT:   linalg.transpose
// CHECK:       %[[W:.*]] = onnx.parameter "w" dense_resource<{{.*}}> : tensor<3x2xf32>
// CHECK:       return %[[W]]
func.func @only_use() -> tensor<3x2xf32> {
  %w = onnx.parameter "w" dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %t : tensor<3x2xf32>
}

// -----

// A weight with other users keeps its data; the transposed copy is "<name>.T".
// CHECK-LABEL: func.func @shared
// CHECK-DAG:   onnx.parameter "w.T" {{.*}} : tensor<3x2xf32>
// CHECK-DAG:   onnx.parameter "w" {{.*}} : tensor<2x3xf32>
func.func @shared() -> (tensor<3x2xf32>, tensor<2x3xf32>) {
  %w = onnx.parameter "w" dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%w : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %t, %w : tensor<3x2xf32>, tensor<2x3xf32>
}
