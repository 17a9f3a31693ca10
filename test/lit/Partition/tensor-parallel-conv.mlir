// Convolutions split by channels for rank 1 of 2: conv1 by output channels (weight, bias
// and the batch normalization's statistics with them), conv2 by input channels, followed
// by the all-reduce; rank 0 alone adds conv2's bias (RANK0).
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=1" | FileCheck %s
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=0" | FileCheck %s --check-prefix=RANK0

// CHECK:       module attributes {cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "conv2", elements = 256>], cleave.tensor_parallel = [#cleave.split<node = "conv1", how = "column", weight = "c1.w">, #cleave.split<node = "conv2", how = "row", weight = "c2.w">]}
// CHECK-LABEL: func.func @main(
// CHECK-NOT:     onnx.parameter "c2.b
// CHECK-DAG:     %[[W1:.*]] = onnx.parameter "c1.w.rank1" {{.*}} : tensor<4x3x3x3xf32>
// CHECK-DAG:     %[[B1:.*]] = onnx.parameter "c1.b.rank1" dense<[4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00]> : tensor<4xf32>
// CHECK-DAG:     %[[MEAN:.*]] = onnx.parameter "bn.mean.rank1" dense<[4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00]> : tensor<4xf32>
// CHECK-DAG:     %[[W2:.*]] = onnx.parameter "c2.w.rank1" {{.*}} : tensor<4x4x3x3xf32>
// CHECK:         %[[C1:.*]] = onnx.conv %{{.*}}, %[[W1]], %[[B1]] {{.*}} -> tensor<1x4x8x8xf32>
// CHECK:         %[[BN:.*]] = onnx.batch_normalization %[[C1]], %{{.*}}, %{{.*}}, %[[MEAN]], %{{.*}} : {{.*}} -> tensor<1x4x8x8xf32>
// CHECK:         %[[R:.*]] = onnx.relu %[[BN]] : tensor<1x4x8x8xf32>
// CHECK:         %[[C2:.*]] = onnx.conv %[[R]], %[[W2]] {{.*}} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
// CHECK:         %[[S:.*]] = cleave.all_reduce %[[C2]] into
// CHECK:         return %[[S]]
// RANK0:         onnx.conv %{{.*}}, %{{.*}}, %{{.*}} {{.*}} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>

func.func @main(%x: tensor<1x3x8x8xf32> {onnx.name = "x"}) -> (tensor<1x4x8x8xf32> {onnx.name = "y"}) {
  %w1 = onnx.parameter "c1.w" dense<0.1> : tensor<8x3x3x3xf32>
  %b1 = onnx.parameter "c1.b" dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]> : tensor<8xf32>
  %scale = onnx.parameter "bn.scale" dense<1.0> : tensor<8xf32>
  %shift = onnx.parameter "bn.bias" dense<0.0> : tensor<8xf32>
  %mean = onnx.parameter "bn.mean" dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]> : tensor<8xf32>
  %var = onnx.parameter "bn.var" dense<1.0> : tensor<8xf32>
  %w2 = onnx.parameter "c2.w" dense<0.2> : tensor<4x8x3x3xf32>
  %b2 = onnx.parameter "c2.b" dense<0.5> : tensor<4xf32>
  %c1 = onnx.conv %x, %w1, %b1 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv1")
  %bn = onnx.batch_normalization %c1, %scale, %shift, %mean, %var : (tensor<1x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("bn")
  %r = onnx.relu %bn : tensor<1x8x8x8xf32> loc("relu")
  %c2 = onnx.conv %r, %w2, %b2 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x8x8x8xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  return %c2 : tensor<1x4x8x8xf32>
}
