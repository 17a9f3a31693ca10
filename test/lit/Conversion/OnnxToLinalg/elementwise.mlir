// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<(d0, d1) -> ()>

// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID2]], #[[$ROW]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[A]], %[[B]] : tensor<2x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = onnx.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// Unsigned types become signless; their ops pick the unsigned arith variants.
// CHECK-LABEL: func.func @unsigned
// CHECK-SAME: (%[[U:.*]]: tensor<3xi8>)
// CHECK: arith.divui %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpi ult, %{{.*}}, %{{.*}} : i8
// CHECK: arith.maxui
func.func @unsigned(%u: tensor<3xui8>) -> (tensor<3xui8>, tensor<3xi1>, tensor<3xui8>) {
  %0 = onnx.div %u, %u : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %1 = onnx.less %u, %u : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xi1>
  %2 = onnx.max %u, %0 : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  return %0, %1, %2 : tensor<3xui8>, tensor<3xi1>, tensor<3xui8>
}

// The signed integer Div truncates toward zero.
// CHECK-LABEL: func.func @int_div
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i64
func.func @int_div(%a: tensor<4xi64>, %b: tensor<i64>) -> tensor<4xi64> {
  %0 = onnx.div %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// Clip's bounds are rank-0 operands of the generic; max applies after min.
// CHECK-LABEL: func.func @clip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[LO:.*]]: tensor<f32>, %[[HI:.*]]: tensor<f32>)
// CHECK: linalg.generic {indexing_maps = [#[[$ID2]], #[[$SCALAR]], #[[$SCALAR]], #[[$ID2]]], {{.*}} ins(%[[X]], %[[LO]], %[[HI]] :
// CHECK: ^bb0(%[[V:.*]]: f32, %[[L:.*]]: f32, %[[H:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[M:.*]] = arith.maximumf %[[V]], %[[L]] : f32
// CHECK:   %[[R:.*]] = arith.minimumf %[[M]], %[[H]] : f32
// CHECK:   linalg.yield %[[R]]
func.func @clip(%x: tensor<2x3xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<2x3xf32> {
  %0 = onnx.clip %x min %lo max %hi : (tensor<2x3xf32>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @where_identity
// CHECK-SAME: (%[[C:.*]]: tensor<2x3xi1>, %[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[W:.*]] = linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ROW]], #[[$ID2]]], {{.*}} ins(%[[C]], %[[A]], %[[B]] :
// CHECK:   arith.select
// CHECK: return %[[W]]
func.func @where_identity(%c: tensor<2x3xi1>, %a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = onnx.where %c, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = onnx.identity %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
