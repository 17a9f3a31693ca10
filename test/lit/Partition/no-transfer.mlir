// A cut that no tensor crosses (the last stage only needs a constant) has no send or recv.
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 | FileCheck %s
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 --cleave-split-stages | FileCheck %s --check-prefix=SPLIT

// CHECK-LABEL: func.func @stage_0(
// CHECK:         onnx.relu
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @stage_1()
// CHECK-NEXT:    onnx.constant
// CHECK-NEXT:    onnx.neg
// CHECK-NOT:   pipe.

// SPLIT: func.func @main(%{{.*}}: tensor<4xf32> {onnx.name = "x"}) attributes
// SPLIT: func.func @main() -> (tensor<4xf32> {onnx.name = "y"}) attributes
func.func @main(%x: tensor<4xf32> {onnx.name = "x"}) -> (tensor<4xf32> {onnx.name = "y"}) {
  %a = onnx.relu %x : tensor<4xf32>
  %c = onnx.constant dense<1.0> : tensor<4xf32>
  %y = onnx.neg %c : tensor<4xf32>
  return %y : tensor<4xf32>
}
