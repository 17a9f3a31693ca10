// Round trip of pipe.send and pipe.recv.
// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @stage_0
// CHECK:         pipe.send %{{.*}}, %{{.*}} to 1 as ["h", "x"] : tensor<2x4xf32>, tensor<2x4xf32>
func.func @stage_0(%x: tensor<2x4xf32>) attributes {cleave.stage = 0 : i64} {
  %h = onnx.relu %x : tensor<2x4xf32>
  pipe.send %h, %x to 1 as ["h", "x"] : tensor<2x4xf32>, tensor<2x4xf32>
  return
}

// CHECK-LABEL: func.func @stage_1
// CHECK:         %[[R:.*]]:2 = pipe.recv from 0 as ["h", "x"] : tensor<2x4xf32>, tensor<2x4xf32>
// CHECK:         onnx.add %[[R]]#0, %[[R]]#1
func.func @stage_1() -> tensor<2x4xf32> attributes {cleave.stage = 1 : i64} {
  %h, %x = pipe.recv from 0 as ["h", "x"] : tensor<2x4xf32>, tensor<2x4xf32>
  %y = onnx.add %h, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// Outside a stage function any peer is accepted.
// CHECK-LABEL: func.func @free
// CHECK:         pipe.send %{{.*}} to 3 as ["a"] : tensor<4xf32>
func.func @free(%a: tensor<4xf32>) {
  pipe.send %a to 3 as ["a"] : tensor<4xf32>
  return
}
