// Megatron split of a small MLP for rank 1 of 2: fc1 (Gemm, transB) is split by output
// columns with its bias, the Relu stays local, fc2 (MatMul + Add) is split by input rows and
// all-reduced before its bias; fc3 (Gemm) has no partner and is replicated.
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=1" | FileCheck %s
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=0" | FileCheck %s --check-prefix=RANK0

// CHECK:       module attributes {cleave.tensor_parallel = [{column = "fc1", column_weight = "w1", row = "fc2", row_weight = "w2"}]}
// CHECK:       func.func private @cleave_all_reduce_sum_0(tensor<4x16xf32>) -> tensor<4x16xf32> attributes {cleave.collective = "all_reduce_sum"}
// CHECK-LABEL: func.func @main(
// CHECK-DAG:     %[[W2:.*]] = onnx.parameter "w2.rank1" {{.*}} : tensor<4x16xf32>
// CHECK-DAG:     %[[B2:.*]] = onnx.parameter "b2.rank1" {{.*}} : tensor<16xf32>
// CHECK-DAG:     %[[W1:.*]] = onnx.parameter "w1.rank1" {{.*}} : tensor<4x8xf32>
// CHECK-DAG:     %[[B1:.*]] = onnx.parameter "b1.rank1" {{.*}} : tensor<4xf32>
// CHECK-DAG:     %[[W3:.*]] = onnx.parameter "w3.rank1" {{.*}} : tensor<16x2xf32>
// CHECK:         %[[H:.*]] = onnx.gemm %{{.*}}, %[[W1]], %[[B1]] {transB = true} : {{.*}} -> tensor<4x4xf32>
// CHECK:         %[[R:.*]] = onnx.relu %[[H]] : tensor<4x4xf32>
// CHECK:         %[[P:.*]] = onnx.matmul %[[R]], %[[W2]] : {{.*}} -> tensor<4x16xf32>
// CHECK:         %[[S:.*]] = call @cleave_all_reduce_sum_0(%[[P]])
// CHECK:         %[[A:.*]] = onnx.add %[[S]], %[[B2]]
// CHECK:         onnx.gemm %{{.*}}, %[[W3]] : (tensor<4x16xf32>, tensor<16x2xf32>) -> tensor<4x2xf32>

// Rank 0 holds the other halves; the sliced data differs, the shapes do not.
// RANK0:       onnx.parameter "w1.rank0" {{.*}} : tensor<4x8xf32>
// RANK0:       call @cleave_all_reduce_sum_0

func.func @main(%x: tensor<4x8xf32> {onnx.name = "x"}) -> (tensor<4x2xf32> {onnx.name = "y"}) {
  %w1 = onnx.parameter "w1" dense<0.5> : tensor<8x8xf32>
  %b1 = onnx.parameter "b1" dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]> : tensor<8xf32>
  %w2 = onnx.parameter "w2" dense<0.25> : tensor<8x16xf32>
  %b2 = onnx.parameter "b2" dense<1.0> : tensor<16xf32>
  %w3 = onnx.parameter "w3" dense<1.0> : tensor<16x2xf32>
  %h = onnx.gemm %x, %w1, %b1 {transB = true} : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> loc("fc1")
  %r = onnx.relu %h : tensor<4x8xf32> loc("relu1")
  %p = onnx.matmul %r, %w2 : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32> loc("fc2")
  %a = onnx.add %p, %b2 : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32> loc("fc2.bias")
  %y = onnx.gemm %a, %w3 : (tensor<4x16xf32>, tensor<16x2xf32>) -> tensor<4x2xf32> loc("fc3")
  return %y : tensor<4x2xf32>
}

// Rank 1's half of b1 is [4, 5, 6, 7] (after the blob's alignment word).
// CHECK:       param: "0x40000000000080400000A0400000C0400000E040"
