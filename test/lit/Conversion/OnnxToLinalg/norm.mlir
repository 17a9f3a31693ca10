// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$COLS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$KEEP:.*]] = affine_map<(d0, d1) -> (d0, 0)>

// CHECK-LABEL: func.func @reduce_mean
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4x8xf32>
// CHECK:  %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:  %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK:  %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x8xf32>) outs(%[[INIT]] : tensor<4xf32>)
// CHECK:    arith.addf
// CHECK:  %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>)
// CHECK:    arith.constant 1.250000e-01 : f32
// CHECK:    arith.mulf
// CHECK:  %[[R:.*]] = tensor.expand_shape %[[MEAN]] {{\[\[}}0, 1]] output_shape [4, 1]
// CHECK:  return %[[R]]
func.func @reduce_mean(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  %0 = onnx.reduce_mean %x {axes = array<i64: 1>} : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// Unsigned max starts from 0 and compares unsigned.
// CHECK-LABEL: func.func @reduce_max_ui8
// CHECK:  %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK:  %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : i8)
// CHECK:  %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$COLS]]], iterator_types = ["reduction", "parallel"]} {{.*}} outs(%[[INIT]] : tensor<8xi8>)
// CHECK:    arith.maxui
// CHECK:  return %[[MAX]] : tensor<8xi8>
func.func @reduce_max_ui8(%x: tensor<4x8xui8>) -> tensor<8xui8> {
  %0 = onnx.reduce_max %x {axes = array<i64: 0>, keepdims = false} : tensor<4x8xui8> -> tensor<8xui8>
  return %0 : tensor<8xui8>
}

// CHECK-LABEL: func.func @reduce_sum_i64
// CHECK:  %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK:  linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK:    arith.addi
// CHECK:  tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<i64> into tensor<1x1xi64>
func.func @reduce_sum_i64(%x: tensor<4x8xi64>) -> tensor<1x1xi64> {
  %0 = onnx.reduce_sum %x {axes = array<i64: 0, 1>} : tensor<4x8xi64> -> tensor<1x1xi64>
  return %0 : tensor<1x1xi64>
}

// softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x10xf32>
// CHECK:  %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:  %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK:  %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<2x10xf32>) outs(%[[MAXINIT]] : tensor<2xf32>)
// CHECK:    arith.maximumf
// CHECK:  %[[MAXK:.*]] = tensor.expand_shape %[[MAX]]
// CHECK:  %[[SHIFT:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$KEEP]], #[[$ID]]], {{.*}} ins(%[[X]], %[[MAXK]] : tensor<2x10xf32>, tensor<2x1xf32>)
// CHECK:    arith.subf
// CHECK:  %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[SHIFT]] : tensor<2x10xf32>)
// CHECK:    math.exp
// CHECK:  %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[EXP]] : tensor<2x10xf32>)
// CHECK:    arith.addf
// CHECK:  %[[SUMK:.*]] = tensor.expand_shape %[[SUM]]
// CHECK:  %[[Y:.*]] = linalg.generic {{.*}} ins(%[[EXP]], %[[SUMK]] : tensor<2x10xf32>, tensor<2x1xf32>)
// CHECK:    arith.divf
// CHECK:  return %[[Y]]
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = onnx.softmax %x : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// log_softmax: (x - max) - log(sum(exp(x - max))); f16 runs in f32.
// CHECK-LABEL: func.func @log_softmax_f16
// CHECK:  %[[X32:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<10x2xf16>)
// CHECK:    arith.extf
// CHECK:  %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[X32]], %{{.*}} : tensor<10x2xf32>, tensor<1x2xf32>)
// CHECK:  %[[LOG:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2xf32>)
// CHECK:    math.log
// CHECK:  %[[Y:.*]] = linalg.generic {{.*}} ins(%[[SHIFT]], %[[LOG]] : tensor<10x2xf32>, tensor<1x2xf32>)
// CHECK:    arith.subf
// CHECK:  linalg.generic {{.*}} ins(%[[Y]] : tensor<10x2xf32>)
// CHECK:    arith.truncf
func.func @log_softmax_f16(%x: tensor<10x2xf16>) -> tensor<10x2xf16> {
  %0 = onnx.log_softmax %x {axis = 0 : i64} : tensor<10x2xf16>
  return %0 : tensor<10x2xf16>
}

// Min starts from +inf, Prod from 1.
// CHECK-LABEL: func.func @reduce_min_prod
// CHECK:  %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK:  linalg.fill ins(%[[INF]] : f32)
// CHECK:    arith.minimumf
// CHECK:  %[[ONE:.*]] = arith.constant 1 : i32
// CHECK:  linalg.fill ins(%[[ONE]] : i32)
// CHECK:    arith.muli
func.func @reduce_min_prod(%x: tensor<4x8xf32>, %i: tensor<4x8xi32>) -> (tensor<4xf32>, tensor<1x8xi32>) {
  %0 = onnx.reduce_min %x {axes = array<i64: 1>, keepdims = false} : tensor<4x8xf32> -> tensor<4xf32>
  %1 = onnx.reduce_prod %i {axes = array<i64: 0>} : tensor<4x8xi32> -> tensor<1x8xi32>
  return %0, %1 : tensor<4xf32>, tensor<1x8xi32>
}
