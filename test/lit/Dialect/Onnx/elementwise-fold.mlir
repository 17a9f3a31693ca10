// RUN: cleave-opt %s -canonicalize | FileCheck %s
// Folding of small constant tensors, as shape computations need.

// CHECK-LABEL: func.func @int_div
// CHECK: %[[C:.*]] = onnx.constant dense<[3, 1, -3, -1]> : tensor<4xi64>
// CHECK: return %[[C]]
func.func @int_div() -> tensor<4xi64> {
  // Integer division truncates toward zero.
  %a = onnx.constant dense<[7, 3, -7, -3]> : tensor<4xi64>
  %b = onnx.constant dense<2> : tensor<i64>
  %0 = onnx.div %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// CHECK-LABEL: func.func @broadcast_arith
// CHECK: %[[C:.*]] = onnx.constant dense<{{\[\[}}11, 21], [12, 22]]> : tensor<2x2xi32>
// CHECK: return %[[C]]
func.func @broadcast_arith() -> tensor<2x2xi32> {
  %a = onnx.constant dense<[[1], [2]]> : tensor<2x1xi32>
  %b = onnx.constant dense<[10, 20]> : tensor<2xi32>
  %c = onnx.constant dense<3> : tensor<i32>
  %0 = onnx.add %a, %b : (tensor<2x1xi32>, tensor<2xi32>) -> tensor<2x2xi32>
  %1 = onnx.mul %0, %c : (tensor<2x2xi32>, tensor<i32>) -> tensor<2x2xi32>
  %2 = onnx.sub %1, %0 : (tensor<2x2xi32>, tensor<2x2xi32>) -> tensor<2x2xi32>
  %3 = onnx.sub %2, %0 : (tensor<2x2xi32>, tensor<2x2xi32>) -> tensor<2x2xi32>
  return %3 : tensor<2x2xi32>
}

// CHECK-LABEL: func.func @min_max_neg_abs
// CHECK: %[[C:.*]] = onnx.constant dense<[1, -4, 5]> : tensor<3xi64>
// CHECK: return %[[C]]
func.func @min_max_neg_abs() -> tensor<3xi64> {
  %a = onnx.constant dense<[1, -4, 9]> : tensor<3xi64>
  %b = onnx.constant dense<2> : tensor<1xi64>
  %c = onnx.constant dense<5> : tensor<i64>
  %0 = onnx.neg %a : tensor<3xi64>
  %1 = onnx.abs %0 : tensor<3xi64>
  %2 = onnx.max %1, %b : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  %3 = onnx.min %2, %c, %a : (tensor<3xi64>, tensor<i64>, tensor<3xi64>) -> tensor<3xi64>
  return %3 : tensor<3xi64>
}

// CHECK-LABEL: func.func @compare_where
// CHECK-DAG: onnx.constant dense<[10, 2, 30]> : tensor<3xi64>
// CHECK-DAG: onnx.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: onnx.constant dense<[false, false, true]> : tensor<3xi1>
func.func @compare_where() -> (tensor<3xi64>, tensor<3xi1>, tensor<3xi1>) {
  %a = onnx.constant dense<[1, 2, 3]> : tensor<3xi64>
  %b = onnx.constant dense<2> : tensor<i64>
  %t = onnx.constant dense<[10, 20, 30]> : tensor<3xi64>
  %eq = onnx.equal %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %lt = onnx.less %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %gt = onnx.greater %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi1>
  %ne = onnx.not %eq : tensor<3xi1>
  %0 = onnx.where %ne, %t, %a : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %0, %lt, %gt : tensor<3xi64>, tensor<3xi1>, tensor<3xi1>
}

// CHECK-LABEL: func.func @casts
// CHECK-DAG: onnx.constant dense<[1, -1, 0, 255]> : tensor<4xi32>
// CHECK-DAG: onnx.constant dense<[true, true, false, true]> : tensor<4xi1>
// CHECK-DAG: onnx.constant dense<[1, -1, 0, -1]> : tensor<4xi8>
// CHECK-DAG: onnx.constant dense<[2.550000e+02, 1.000000e+00]> : tensor<2xf16>
func.func @casts() -> (tensor<4xi32>, tensor<4xi1>, tensor<4xi8>, tensor<2xf16>) {
  %f = onnx.constant dense<[1.9, -1.9, 0.0, 255.5]> : tensor<4xf32>
  // Float to int truncates toward zero; float to bool is x != 0.
  %0 = onnx.cast %f : tensor<4xf32> -> tensor<4xi32>
  %1 = onnx.cast %f : tensor<4xf32> -> tensor<4xi1>
  // Integers wrap when narrowed.
  %2 = onnx.cast %0 : tensor<4xi32> -> tensor<4xi8>
  %u = onnx.constant dense<[255, 1]> : tensor<2xui8>
  %3 = onnx.cast %u : tensor<2xui8> -> tensor<2xf16>
  return %0, %1, %2, %3 : tensor<4xi32>, tensor<4xi1>, tensor<4xi8>, tensor<2xf16>
}

// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.identity %x : tensor<4xf32>
  %1 = onnx.cast %0 : tensor<4xf32> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// CHECK-LABEL: func.func @no_fold_div_by_zero
// CHECK: onnx.div
func.func @no_fold_div_by_zero() -> tensor<2xi64> {
  %a = onnx.constant dense<[1, 2]> : tensor<2xi64>
  %b = onnx.constant dense<[1, 0]> : tensor<2xi64>
  %0 = onnx.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// CHECK-LABEL: func.func @logic
// CHECK-DAG: onnx.constant dense<[false, false, false, true]> : tensor<4xi1>
// CHECK-DAG: onnx.constant dense<[false, true, true, true]> : tensor<4xi1>
// CHECK-DAG: onnx.constant dense<[false, true, true, false]> : tensor<4xi1>
func.func @logic() -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>) {
  %a = onnx.constant dense<[false, false, true, true]> : tensor<4xi1>
  %b = onnx.constant dense<[false, true, false, true]> : tensor<4xi1>
  %0 = onnx.and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %1 = onnx.or %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %2 = onnx.xor %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0, %1, %2 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>
}
