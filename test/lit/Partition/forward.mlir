// A graph input used by the last of three stages is forwarded through the middle one.
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=3 | FileCheck %s

// CHECK-LABEL: func.func @stage_0(
// CHECK-SAME:    %[[X:.*]]: tensor<64x256xf32> {onnx.name = "x"})
// CHECK:         %[[A:.*]] = onnx.matmul %[[X]]
// CHECK:         pipe.send %[[X]], %[[A]] to 1 as ["x", "mm1"]
// CHECK-LABEL: func.func @stage_1()
// CHECK:         %[[IN:.*]]:2 = pipe.recv from 0 as ["x", "mm1"]
// CHECK:         %[[B:.*]] = onnx.matmul %[[IN]]#1
// CHECK:         pipe.send %[[IN]]#0, %[[B]] to 2 as ["x", "mm2"]
// CHECK-LABEL: func.func @stage_2()
// CHECK:         %[[IN2:.*]]:2 = pipe.recv from 1 as ["x", "mm2"]
// CHECK:         %[[C:.*]] = onnx.matmul %[[IN2]]#1
// CHECK:         onnx.add %[[C]], %[[IN2]]#0
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32>
  %a = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm1")
  %b = onnx.matmul %a, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm2")
  %c = onnx.matmul %b, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm3")
  %y = onnx.add %c, %x : (tensor<64x256xf32>, tensor<64x256xf32>) -> tensor<64x256xf32> loc("res")
  return %y : tensor<64x256xf32>
}
