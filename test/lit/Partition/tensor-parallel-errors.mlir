// A split that would need a whole tensor inside the graph is not taken: fc's columns feed a
// layer normalization over them. With nothing else to split, the pass fails on @main.
// RUN: not cleave-opt %s --cleave-tensor-parallel="tp=2 rank=0" 2>&1 | FileCheck %s
// RUN: not cleave-opt %s --cleave-tensor-parallel="tp=3 rank=0" 2>&1 | FileCheck %s --check-prefix=THREE
// RUN: not cleave-opt %s --cleave-tensor-parallel="tp=2 rank=2" 2>&1 | FileCheck %s --check-prefix=RANK

// CHECK: error: tensor parallelism (--tp=2) found nothing to split: first candidate 'fc': 'ln' needs the whole of a split tensor
// THREE: error: tensor parallelism (--tp=3) found nothing to split: first candidate 'fc': its weight cannot be split 3 ways
// RANK: error: expects tp >= 2 and 0 <= rank < tp, got tp = 2, rank = 2

func.func @main(%x: tensor<4x8xf32> {onnx.name = "x"}) -> (tensor<4x8xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<0.5> : tensor<8x8xf32>
  %g = onnx.parameter "g" dense<1.0> : tensor<8xf32>
  %h = onnx.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("fc")
  %y = onnx.layer_normalization %h, %g {axis = 1 : i64} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("ln")
  return %y : tensor<4x8xf32>
}
