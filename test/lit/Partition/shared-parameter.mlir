// A parameter used on both sides of a cut (as an unrolled recurrent layer uses its
// recurrence weights in every step) is cloned into each stage; the later copy gets its own
// name, since the artifact stores each rank's parameters under unique names.
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 | FileCheck %s

// CHECK-LABEL: func.func @stage_0(
// CHECK:         %[[W0:.*]] = onnx.parameter "r" dense<
// CHECK:         onnx.matmul %{{.*}}, %[[W0]]
// CHECK-LABEL: func.func @stage_1()
// CHECK:         %[[W1:.*]] = onnx.parameter "r@stage1" dense<
// CHECK:         onnx.matmul %{{.*}}, %[[W1]]
func.func @main(%x: tensor<64x64xf32> {onnx.name = "x"}) -> (tensor<64x64xf32> {onnx.name = "y"}) {
  %r = onnx.parameter "r" dense<0.5> : tensor<64x64xf32>
  %a = onnx.matmul %x, %r : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %b = onnx.tanh %a : tensor<64x64xf32>
  %c = onnx.matmul %b, %r : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %y = onnx.tanh %c : tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}
