// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$ROWS:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[$KEEP:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, 0)>
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[$CHAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Mean and variance over dims 1 and 2; the statistics results are the keepdims values.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x3x4xf32>, %[[G:[^:]*]]: tensor<4xf32>, %[[B:[^:]*]]: tensor<4xf32>
// CHECK:  %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROWS]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<2x3x4xf32>)
// CHECK:  %[[SUMK:.*]] = tensor.expand_shape %[[SUM]] {{\[\[}}0, 1, 2]] output_shape [2, 1, 1]
// CHECK:  %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUMK]] : tensor<2x1x1xf32>)
// CHECK:    arith.constant 0.0833333358 : f32
// CHECK:  %[[D:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$KEEP]], #[[$ID]]], {{.*}} ins(%[[X]], %[[MEAN]] : tensor<2x3x4xf32>, tensor<2x1x1xf32>)
// CHECK:    arith.subf
// CHECK:  %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[D]] : tensor<2x3x4xf32>)
// CHECK:    arith.mulf
// CHECK:  %[[VAR:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[SQ]] : tensor<2x3x4xf32>)
// CHECK:  %[[VARK:.*]] = tensor.expand_shape %[[VAR]]
// CHECK:  %[[INV:.*]] = linalg.generic {{.*}} ins(%[[VARK]] : tensor<2x1x1xf32>)
// CHECK:    arith.constant 9.99999974E-6 : f32
// CHECK:    math.sqrt
// CHECK:    arith.divf
// CHECK:  %[[Y:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$KEEP]], #[[$LAST]], #[[$LAST]], #[[$ID]]], {{.*}} ins(%[[D]], %[[INV]], %[[G]], %[[B]] :
// CHECK:  return %[[Y]], %[[MEAN]], %[[INV]]
func.func @layer_norm(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) {
  %0:3 = onnx.layer_normalization %x, %g, %b {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>
}

// Per-channel factor and shift, then one multiply-add broadcast along dim 1.
// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME:    %[[X:[^:]*]]: tensor<1x3x5x5xf32>, %[[S:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>
// CHECK:  %[[A:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[V]] : tensor<3xf32>, tensor<3xf32>)
// CHECK:    arith.constant 1.000000e-03 : f32
// CHECK:    math.sqrt
// CHECK:    arith.divf
// CHECK:  %[[SHIFT:.*]] = linalg.generic {{.*}} ins(%[[B]], %[[M]], %[[A]] : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK:  %[[AK:.*]] = tensor.expand_shape %[[A]] {{\[\[}}0, 1, 2]] output_shape [3, 1, 1]
// CHECK:  %[[SHIFTK:.*]] = tensor.expand_shape %[[SHIFT]]
// CHECK:  %[[Y:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$CHAN]], #[[$CHAN]], #{{.*}}], {{.*}} ins(%[[X]], %[[AK]], %[[SHIFTK]] :
// CHECK:    arith.mulf
// CHECK:    arith.addf
// CHECK:  return %[[Y]]
func.func @batch_norm(%x: tensor<1x3x5x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x5x5xf32> {
  %0 = onnx.batch_normalization %x, %s, %b, %m, %v {epsilon = 1.0e-3 : f32} : (tensor<1x3x5x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x5x5xf32>
  return %0 : tensor<1x3x5x5xf32>
}

// Training mode: batch mean and biased variance over dims 0 and 2 (sums divided by 2 * 4),
// then the inference formula with them, and the running statistics blended by momentum.
// CHECK-LABEL: func.func @batch_norm_training
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x3x4xf32>, %[[S:[^:]*]]: tensor<3xf32>, %[[B:[^:]*]]: tensor<3xf32>, %[[M:[^:]*]]: tensor<3xf32>, %[[V:[^:]*]]: tensor<3xf32>
// CHECK:  %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]{{.*}} ins(%[[X]] : tensor<2x3x4xf32>)
// CHECK:  %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK:    arith.constant 8.000000e+00 : f32
// CHECK:  %[[SQSUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]
// CHECK:  %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[SQSUM]] : tensor<3xf32>)
// CHECK:  %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<3x1xf32>, tensor<3x1xf32>)
// CHECK:  %[[RM:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[MEAN]] : tensor<3xf32>, tensor<3xf32>)
// CHECK:    arith.constant 0.899999976 : f32
// CHECK:  %[[RV:.*]] = linalg.generic {{.*}} ins(%[[V]], %[[VAR]] : tensor<3xf32>, tensor<3xf32>)
// CHECK:  return %[[Y]], %[[RM]], %[[RV]]
func.func @batch_norm_training(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %0:3 = onnx.batch_normalization_training %x, %s, %b, %m, %v {epsilon = 1.0e-5 : f32, momentum = 0.9 : f32} : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>
}
