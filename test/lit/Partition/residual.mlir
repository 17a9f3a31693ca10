// A residual connection across the cut: the cut carries two tensors.
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 | FileCheck %s

// CHECK-LABEL: func.func @stage_0(
// CHECK:         %[[H1:.*]] = onnx.matmul
// CHECK:         %[[H2:.*]] = onnx.matmul %[[H1]]
// CHECK-NEXT:    pipe.send %[[H1]], %[[H2]] to 1 as ["mm1", "mm2"] : tensor<64x256xf32>, tensor<64x256xf32>
// CHECK-LABEL: func.func @stage_1(
// CHECK:         %[[IN:.*]]:2 = pipe.recv from 0 as ["mm1", "mm2"]
// CHECK:         %[[H3:.*]] = onnx.matmul %[[IN]]#1, %{{.*}}
// CHECK:         %[[H4:.*]] = onnx.matmul %[[H3]], %{{.*}}
// CHECK:         onnx.add %[[H4]], %[[IN]]#0
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32>
  %h1 = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm1")
  %h2 = onnx.matmul %h1, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm2")
  %h3 = onnx.matmul %h2, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm3")
  %h4 = onnx.matmul %h3, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm4")
  %y = onnx.add %h4, %h1 : (tensor<64x256xf32>, tensor<64x256xf32>) -> tensor<64x256xf32> loc("res")
  return %y : tensor<64x256xf32>
}
