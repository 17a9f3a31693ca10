// Each stage becomes a module with one @main: received tensors are leading arguments,
// sent tensors results, graph inputs and outputs keep their names; the weight all three
// stages use is renamed in the later ones.
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=3 --cleave-split-stages | FileCheck %s

// CHECK-LABEL: module @stage_0
// CHECK:       func.func @main(%[[X:.*]]: tensor<64x256xf32> {onnx.name = "x"})
// CHECK-SAME:    -> (tensor<64x256xf32> {cleave.send = #cleave.transfer<"x", 1>}, tensor<64x256xf32> {cleave.send = #cleave.transfer<"mm1", 1>})
// CHECK-SAME:    cleave.stage = 0
// CHECK:         %[[A:.*]] = onnx.matmul %[[X]]
// CHECK:         return %[[X]], %[[A]]
// CHECK-LABEL: module @stage_1
// CHECK:       func.func @main(%[[RX:.*]]: tensor<64x256xf32> {cleave.recv = #cleave.transfer<"x", 0>}, %[[RA:.*]]: tensor<64x256xf32> {cleave.recv = #cleave.transfer<"mm1", 0>})
// CHECK-SAME:    -> (tensor<64x256xf32> {cleave.send = #cleave.transfer<"x", 2>}, tensor<64x256xf32> {cleave.send = #cleave.transfer<"mm2", 2>})
// CHECK:         %[[B:.*]] = onnx.matmul %[[RA]]
// CHECK:         return %[[RX]], %[[B]]
// CHECK-LABEL: module @stage_2
// CHECK:       func.func @main(%[[RX2:.*]]: tensor<64x256xf32> {cleave.recv = #cleave.transfer<"x", 1>}, %[[RB:.*]]: tensor<64x256xf32> {cleave.recv = #cleave.transfer<"mm2", 1>})
// CHECK-SAME:    -> (tensor<64x256xf32> {onnx.name = "y"})
// CHECK:         onnx.parameter "w@stage2"
// CHECK-NOT:   pipe.
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32>
  %a = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm1")
  %b = onnx.matmul %a, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm2")
  %c = onnx.matmul %b, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm3")
  %y = onnx.add %c, %x : (tensor<64x256xf32>, tensor<64x256xf32>) -> tensor<64x256xf32> loc("res")
  return %y : tensor<64x256xf32>
}
