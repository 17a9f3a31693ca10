// RUN: cleave-opt %s --cleave-cpu-zero-size-boundaries | FileCheck %s

// A zero-size argument is replaced by an empty tensor of its shape and a zero-size result
// by an empty rank-1 tensor; the other arguments and results keep their types.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[X:.*]]: tensor<0xi64> {onnx.name = "x"}, %[[K:.*]]: tensor<i64>) -> (tensor<0xi64>, tensor<i64>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<3x0x5xi64>
// CHECK:         linalg.generic {{.*}} ins(%[[E]] : tensor<3x0x5xi64>)
// CHECK:         %[[R:.*]] = tensor.empty() : tensor<0xi64>
// CHECK:         return %[[R]], %[[K]] : tensor<0xi64>, tensor<i64>
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @main(%x: tensor<3x0x5xi64> {onnx.name = "x"}, %k: tensor<i64>)
    -> (tensor<3x0x5xi64>, tensor<i64>) {
  %init = tensor.empty() : tensor<3x0x5xi64>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<3x0x5xi64>) outs(%init : tensor<3x0x5xi64>) {
  ^bb0(%in: i64, %out: i64):
    linalg.yield %in : i64
  } -> tensor<3x0x5xi64>
  return %y, %k : tensor<3x0x5xi64>, tensor<i64>
}

// Rank-1 zero-size tensors already lower; they are left alone.
// CHECK-LABEL: func.func @rank1
// CHECK-SAME:    (%[[A:.*]]: tensor<0xf32>) -> tensor<0xf32>
// CHECK-NEXT:    return %[[A]]
func.func @rank1(%a: tensor<0xf32>) -> tensor<0xf32> {
  return %a : tensor<0xf32>
}
