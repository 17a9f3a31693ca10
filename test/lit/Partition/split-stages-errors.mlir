// cleave-split-stages on modules that are not partitions.
// RUN: not cleave-opt %s -split-input-file --cleave-split-stages 2>&1 | FileCheck %s

// CHECK: error: function 'main' is not a pipeline stage (no cleave.stage)
func.func @main() {
  return
}

// -----

// CHECK: error: expects stages in order 0, 1, ..., got stage 1 at position 0
func.func @stage_1() attributes {cleave.stage = 1 : i64} {
  return
}

// -----

// CHECK: error: expects pipeline stages (functions with cleave.stage)
module {
}

// -----

// CHECK: error: stage 'stage_0' must hold at most one pipe.recv and one pipe.send, in its body
func.func @stage_0(%a: tensor<4xf32>) attributes {cleave.stage = 0 : i64} {
  pipe.send %a to 1 as ["a"] : tensor<4xf32>
  pipe.send %a to 1 as ["b"] : tensor<4xf32>
  return
}

// -----

// CHECK: error: stage 'stage_0' must end with its pipe.send
func.func @stage_0(%a: tensor<4xf32>) attributes {cleave.stage = 0 : i64} {
  pipe.send %a to 1 as ["a"] : tensor<4xf32>
  %b = onnx.relu %a : tensor<4xf32>
  return
}
