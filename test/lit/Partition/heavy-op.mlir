// A heavy matmul among cheap elementwise ops: the cut goes right after the matmul, not at
// the middle op (3 + 3 ops would put 108 us of matmul and 2 relus on stage 0).
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 | FileCheck %s

// CHECK-LABEL: func.func @stage_0(
// CHECK-SAME:    %[[X:.*]]: tensor<64x256xf32> {onnx.name = "x"})
// CHECK-SAME:    attributes {cleave.device = "cpu:0", cleave.estimate = #cleave.estimate<{{.*}}>, cleave.stage = 0 : i64}
// CHECK:         %[[W:.*]] = onnx.parameter "w"
// CHECK:         %[[H:.*]] = onnx.matmul %[[X]], %[[W]]
// CHECK-NEXT:    pipe.send %[[H]] to 1 as ["mm"] : tensor<64x256xf32>
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @stage_1() -> (tensor<64x256xf32> {onnx.name = "y"})
// CHECK-SAME:    cleave.device = "cpu:1"
// CHECK:         %[[R:.*]] = pipe.recv from 0 as ["mm"] : tensor<64x256xf32>
// CHECK-NEXT:    onnx.relu %[[R]]
// CHECK-COUNT-4: onnx.
// CHECK-NEXT:    return
// CHECK-NOT:   func.func @main
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32> loc("w")
  %h = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm")
  %a = onnx.relu %h : tensor<64x256xf32> loc("a")
  %b = onnx.neg %a : tensor<64x256xf32> loc("b")
  %c = onnx.relu %b : tensor<64x256xf32> loc("c")
  %d = onnx.neg %c : tensor<64x256xf32> loc("d")
  %y = onnx.relu %d : tensor<64x256xf32> loc("e")
  return %y : tensor<64x256xf32>
}
