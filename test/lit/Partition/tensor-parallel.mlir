// Megatron split of a small MLP for rank 1 of 2. Three splits are possible: fc1 -> fc2 (an
// all-reduce of 4x8), fc2 -> fc3 (an all-reduce of 4x2) and fc3 alone (an all-gather of the
// 4x2 output); the smallest collective comes first, ties in program order: fc2 (MatMul +
// Add) is split by output columns with its bias, fc3 (Gemm) by input rows and followed by
// the all-reduce; fc1 and its Relu are replicated.
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=1" | FileCheck %s
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=0" | FileCheck %s --check-prefix=RANK0

// CHECK:       module attributes {cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "fc3", elements = 8>], cleave.tensor_parallel = [#cleave.split<node = "fc2", how = "column", weight = "w2">, #cleave.split<node = "fc3", how = "row", weight = "w3">]}
// CHECK-LABEL: func.func @main(
// CHECK-DAG:     %[[W1:.*]] = onnx.parameter "w1.rank1" {{.*}} : tensor<8x8xf32>
// CHECK-DAG:     %[[B1:.*]] = onnx.parameter "b1.rank1" {{.*}} : tensor<8xf32>
// CHECK-DAG:     %[[W2:.*]] = onnx.parameter "w2.rank1" {{.*}} : tensor<8x4xf32>
// CHECK-DAG:     %[[B2:.*]] = onnx.parameter "b2.rank1" {{.*}} : tensor<4xf32>
// CHECK-DAG:     %[[W3:.*]] = onnx.parameter "w3.rank1" {{.*}} : tensor<4x2xf32>
// CHECK:         %[[H:.*]] = onnx.gemm %{{.*}}, %[[W1]], %[[B1]] {transB = true} : {{.*}} -> tensor<4x8xf32>
// CHECK:         %[[R:.*]] = onnx.relu %[[H]] : tensor<4x8xf32>
// CHECK:         %[[P:.*]] = onnx.matmul %[[R]], %[[W2]] : {{.*}} -> tensor<4x4xf32>
// CHECK:         %[[A:.*]] = onnx.add %[[P]], %[[B2]] : {{.*}} -> tensor<4x4xf32>
// CHECK:         %[[Y:.*]] = onnx.gemm %[[A]], %[[W3]] : (tensor<4x4xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
// CHECK:         %[[S:.*]] = cleave.all_reduce %[[Y]] into
// CHECK:         return %[[S]]

// Rank 0 holds the other halves: the shapes are the same, the data is not. Rank 0 alone
// adds fc3's bias.
// RANK0:       onnx.parameter "b2.rank0" dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<4xf32>
// RANK0:       onnx.gemm %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// RANK0:       cleave.all_reduce

func.func @main(%x: tensor<4x8xf32> {onnx.name = "x"}) -> (tensor<4x2xf32> {onnx.name = "y"}) {
  %w1 = onnx.parameter "w1" dense<0.5> : tensor<8x8xf32>
  %b1 = onnx.parameter "b1" dense<1.0> : tensor<8xf32>
  %w2 = onnx.parameter "w2" dense<0.25> : tensor<8x8xf32>
  %b2 = onnx.parameter "b2" dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]> : tensor<8xf32>
  %w3 = onnx.parameter "w3" dense<1.0> : tensor<8x2xf32>
  %b3 = onnx.parameter "b3" dense<0.5> : tensor<2xf32>
  %h = onnx.gemm %x, %w1, %b1 {transB = true} : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("fc1")
  %r = onnx.relu %h : tensor<4x8xf32> loc("relu1")
  %p = onnx.matmul %r, %w2 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("fc2")
  %a = onnx.add %p, %b2 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("fc2.bias")
  %y = onnx.gemm %a, %w3, %b3 : (tensor<4x8xf32>, tensor<8x2xf32>, tensor<2xf32>) -> tensor<4x2xf32> loc("fc3")
  return %y : tensor<4x2xf32>
}
