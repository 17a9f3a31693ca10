// Attention split by heads for rank 1 of 2: the fused QKV projection is split by output
// columns in three blocks (q, k, v), so each rank holds the same head of q, k and v; the
// slices, reshapes, transposes, batched matmuls, mask and softmax work on one head; the
// output projection is split by input rows and followed by the all-reduce.
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=1" | FileCheck %s

// CHECK:       module attributes {cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "proj", elements = 32>], cleave.tensor_parallel = [#cleave.split<node = "qkv", how = "column", weight = "qkv.w">, #cleave.split<node = "proj", how = "row", weight = "proj.w">]}
// CHECK-LABEL: func.func @main(
// Rank 1's parts of the q, k and v blocks of the bias.
// CHECK-DAG:     %[[B:.*]] = onnx.parameter "qkv.b.rank1" dense<[4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 1.200000e+01, 1.300000e+01, 1.400000e+01, 1.500000e+01, 2.000000e+01, 2.100000e+01, 2.200000e+01, 2.300000e+01]> : tensor<12xf32>
// CHECK-DAG:     %[[W:.*]] = onnx.parameter "qkv.w.rank1" {{.*}} : tensor<8x12xf32>
// CHECK-DAG:     %[[WO:.*]] = onnx.parameter "proj.w.rank1" {{.*}} : tensor<4x8xf32>
// CHECK:         %[[QKV:.*]] = onnx.matmul %{{.*}}, %[[W]] : {{.*}} -> tensor<1x4x12xf32>
// CHECK:         %[[A:.*]] = onnx.add %[[B]], %[[QKV]] : {{.*}} -> tensor<1x4x12xf32>
// CHECK:         onnx.slice %[[A]] {starts = array<i64: 0, 0, 0>, {{.*}} -> tensor<1x4x4xf32>
// CHECK:         onnx.slice %[[A]] {starts = array<i64: 0, 0, 4>, {{.*}} -> tensor<1x4x4xf32>
// CHECK:         onnx.slice %[[A]] {starts = array<i64: 0, 0, 8>, {{.*}} -> tensor<1x4x4xf32>
// CHECK:         onnx.reshape {{.*}} : tensor<1x4x4xf32> -> tensor<1x4x1x4xf32>
// CHECK:         onnx.matmul {{.*}} : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
// CHECK:         onnx.where {{.*}} : (tensor<4x4xi1>, tensor<f32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
// CHECK:         onnx.softmax {{.*}} : tensor<1x1x4x4xf32>
// CHECK:         %[[O:.*]] = onnx.reshape {{.*}} : tensor<1x4x1x4xf32> -> tensor<1x4x4xf32>
// CHECK:         %[[Y:.*]] = onnx.matmul %[[O]], %[[WO]] : (tensor<1x4x4xf32>, tensor<4x8xf32>) -> tensor<1x4x8xf32>
// CHECK:         %[[S:.*]] = cleave.all_reduce %[[Y]] into
// CHECK:         return %[[S]]

func.func @main(%x: tensor<1x4x8xf32> {onnx.name = "x"}) -> (tensor<1x4x8xf32> {onnx.name = "y"}) {
  %wqkv = onnx.parameter "qkv.w" dense<0.125> : tensor<8x24xf32>
  %bqkv = onnx.parameter "qkv.b" dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0]> : tensor<24xf32>
  %wo = onnx.parameter "proj.w" dense<0.5> : tensor<8x8xf32>
  %qkv = onnx.matmul %x, %wqkv : (tensor<1x4x8xf32>, tensor<8x24xf32>) -> tensor<1x4x24xf32> loc("qkv")
  %a = onnx.add %bqkv, %qkv : (tensor<24xf32>, tensor<1x4x24xf32>) -> tensor<1x4x24xf32> loc("qkv.bias")
  %q = onnx.slice %a {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : tensor<1x4x24xf32> -> tensor<1x4x8xf32> loc("split")
  %k = onnx.slice %a {starts = array<i64: 0, 0, 8>, steps = array<i64: 1, 1, 1>} : tensor<1x4x24xf32> -> tensor<1x4x8xf32> loc("split")
  %v = onnx.slice %a {starts = array<i64: 0, 0, 16>, steps = array<i64: 1, 1, 1>} : tensor<1x4x24xf32> -> tensor<1x4x8xf32> loc("split")
  %q4 = onnx.reshape %q : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %qt = onnx.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %k4 = onnx.reshape %k : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %kt = onnx.transpose %k4 {perm = array<i64: 0, 2, 3, 1>} : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %v4 = onnx.reshape %v : tensor<1x4x8xf32> -> tensor<1x4x2x4xf32>
  %vt = onnx.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
  %s = onnx.matmul %qt, %kt : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %mask = onnx.constant dense<[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]> : tensor<4x4xi1>
  %ninf = onnx.constant dense<0xFF800000> : tensor<f32>
  %m = onnx.where %mask, %ninf, %s : (tensor<4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = onnx.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = onnx.matmul %p, %vt : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %ot = onnx.transpose %o {perm = array<i64: 0, 2, 1, 3>} : tensor<1x2x4x4xf32> -> tensor<1x4x2x4xf32>
  %o3 = onnx.reshape %ot : tensor<1x4x2x4xf32> -> tensor<1x4x8xf32>
  %y = onnx.matmul %o3, %wo : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32> loc("proj")
  return %y : tensor<1x4x8xf32>
}
