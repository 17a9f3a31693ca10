// Vocabulary-parallel embedding and output head for rank 1 of 2. The lookup table is split
// by rows: rank 1 holds rows 3..5, looks up the ids in its range (negative ids count from
// the end, as in ONNX), zeroes the others and the all-reduce sums the ranks' results. The
// head is split by output columns (vocabulary entries) and its logits are all-gathered
// for the graph output: the rank-major stack [2 ranks, 2, 3, 3] is moved to [2, 3, 2, 3]
// and reshaped to [2, 3, 6].
// RUN: cleave-opt %s --cleave-tensor-parallel="tp=2 rank=1" | FileCheck %s

// CHECK:       module attributes {cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "embed", elements = 24>, #cleave.collective<kind = "all_gather", after = "head", elements = 36>], cleave.tensor_parallel = [#cleave.split<node = "embed", how = "vocab", weight = "tok">, #cleave.split<node = "head", how = "column", weight = "head">]}
// CHECK-LABEL: func.func @main(
// CHECK-SAME:      %[[IDS:.*]]: tensor<2x3xi64>
// CHECK-DAG:     %[[T:.*]] = onnx.parameter "tok.rank1" dense<{{\[}}[3.000000e+00, {{.*}}]]> : tensor<3x4xf32>
// CHECK-DAG:     %[[H:.*]] = onnx.parameter "head.rank1" {{.*}} : tensor<4x3xf32>
// CHECK:         %[[ZERO:.*]] = onnx.constant dense<0> : tensor<i64>
// CHECK:         %[[NEG:.*]] = onnx.less %[[IDS]], %[[ZERO]]
// CHECK:         %[[SIX:.*]] = onnx.constant dense<6> : tensor<i64>
// CHECK:         %[[WRAP:.*]] = onnx.add %[[IDS]], %[[SIX]]
// CHECK:         %[[ID:.*]] = onnx.where %[[NEG]], %[[WRAP]], %[[IDS]]
// CHECK:         %[[LO:.*]] = onnx.constant dense<3> : tensor<i64>
// CHECK:         %[[LOCAL:.*]] = onnx.sub %[[ID]], %[[LO]]
// CHECK:         %[[GE:.*]] = onnx.greater_or_equal %[[LOCAL]], %[[ZERO]]
// CHECK:         %[[LT:.*]] = onnx.less %[[LOCAL]], %{{.*}}
// CHECK:         %[[MINE:.*]] = onnx.and %[[GE]], %[[LT]]
// CHECK:         %[[ROW:.*]] = onnx.where %[[MINE]], %[[LOCAL]], %[[ZERO]]
// CHECK:         %[[E:.*]] = onnx.gather %[[T]], %[[ROW]] {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
// CHECK:         %[[M:.*]] = onnx.reshape %[[MINE]] : tensor<2x3xi1> -> tensor<2x3x1xi1>
// CHECK:         %[[SEL:.*]] = onnx.where %[[M]], %[[E]], %{{.*}} : (tensor<2x3x1xi1>, tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
// CHECK:         %[[SUM:.*]] = cleave.all_reduce %[[SEL]] into
// CHECK:         %[[R:.*]] = onnx.relu %[[SUM]]
// CHECK:         %[[L:.*]] = onnx.matmul %[[R]], %[[H]] : (tensor<2x3x4xf32>, tensor<4x3xf32>) -> tensor<2x3x3xf32>
// CHECK:         %[[ALL:.*]] = cleave.all_gather %[[L]] into
// CHECK:         %[[MOVED:.*]] = onnx.transpose %[[ALL]] {perm = array<i64: 1, 2, 0, 3>} : tensor<2x2x3x3xf32> -> tensor<2x3x2x3xf32>
// CHECK:         %[[FULL:.*]] = onnx.reshape %[[MOVED]] : tensor<2x3x2x3xf32> -> tensor<2x3x6xf32>
// CHECK:         return %[[FULL]]

func.func @main(%ids: tensor<2x3xi64> {onnx.name = "ids"}) -> (tensor<2x3x6xf32> {onnx.name = "logits"}) {
  %tok = onnx.parameter "tok" dense<[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0], [3.0, 3.0, 3.0, 3.0], [4.0, 4.0, 4.0, 4.0], [5.0, 5.0, 5.0, 5.0]]> : tensor<6x4xf32>
  %head = onnx.parameter "head" dense<0.5> : tensor<4x6xf32>
  %e = onnx.gather %tok, %ids {axis = 0 : i64} : (tensor<6x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32> loc("embed")
  %r = onnx.relu %e : tensor<2x3x4xf32> loc("relu")
  %l = onnx.matmul %r, %head : (tensor<2x3x4xf32>, tensor<4x6xf32>) -> tensor<2x3x6xf32> loc("head")
  return %l : tensor<2x3x6xf32>
}
