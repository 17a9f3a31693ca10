// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-DAG: #[[$BOUND:.*]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-DAG: #[[$DATA:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$TUPLES:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, 0)>
// CHECK-DAG: #[[$DATA3:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// GatherND reads the index tuple, then the data at the batch dims, the tuple and the rest.
// CHECK-LABEL: func.func @gather_nd
// CHECK-SAME:    %[[D:[^:]*]]: tensor<2x3x4xf32>, %[[I:[^:]*]]: tensor<2x5x1xi64>
// CHECK:  linalg.generic
// CHECK:    %[[B:.*]] = linalg.index 0 : index
// CHECK:    %[[P:.*]] = linalg.index 1 : index
// CHECK:    %[[R:.*]] = linalg.index 2 : index
// CHECK:    %[[V:.*]] = tensor.extract %[[I]][%[[B]], %[[P]], %{{.*}}] : tensor<2x5x1xi64>
// CHECK:    %[[W:.*]] = arith.select %{{.*}} : index
// CHECK:    tensor.extract %[[D]][%[[B]], %[[W]], %[[R]]] : tensor<2x3x4xf32>
func.func @gather_nd(%d: tensor<2x3x4xf32>, %i: tensor<2x5x1xi64>) -> tensor<2x5x4xf32> {
  %0 = onnx.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  return %0 : tensor<2x5x4xf32>
}

// ScatterElements starts from the data and, per element, looks at the updates along the
// axis; one narrower than the data off the axis is read in bounds only.
// CHECK-LABEL: func.func @scatter_elements
// CHECK-SAME:    %[[D:[^:]*]]: tensor<3x5xf32>, %[[I:[^:]*]]: tensor<2x2xi64>, %[[U:[^:]*]]: tensor<2x2xf32>
// CHECK:  linalg.generic {indexing_maps = [#[[$BOUND]], #[[$DATA]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[I]] : tensor<2x2xi64>) outs(%[[D]] : tensor<3x5xf32>)
// CHECK:  ^bb0(%{{.*}}: i64, %[[CUR:.*]]: f32):
// CHECK:    %[[ROW:.*]] = linalg.index 0 : index
// CHECK:    %[[COL:.*]] = linalg.index 1 : index
// CHECK:    %[[K:.*]] = linalg.index 2 : index
// CHECK:    %[[IN:.*]] = arith.cmpi ult, %[[ROW]], %{{.*}} : index
// CHECK:    %[[SAFE:.*]] = arith.select %[[IN]], %[[ROW]], %{{.*}} : index
// CHECK:    tensor.extract %[[I]][%[[SAFE]], %[[K]]] : tensor<2x2xi64>
// CHECK:    %[[EQ:.*]] = arith.cmpi eq, %{{.*}}, %[[COL]] : index
// CHECK:    %[[HIT:.*]] = arith.andi %[[EQ]], %{{.*}} : i1
// CHECK:    %[[UP:.*]] = tensor.extract %[[U]][%[[SAFE]], %[[K]]] : tensor<2x2xf32>
// CHECK:    %[[ADD:.*]] = arith.addf %[[CUR]], %[[UP]] : f32
// CHECK:    arith.select %[[HIT]], %[[ADD]], %[[CUR]] : f32
func.func @scatter_elements(%d: tensor<3x5xf32>, %i: tensor<2x2xi64>, %u: tensor<2x2xf32>) -> tensor<3x5xf32> {
  %0 = onnx.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<3x5xf32>, tensor<2x2xi64>, tensor<2x2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// ScatterND compares every tuple with the element's leading coordinates; "none" replaces.
// CHECK-LABEL: func.func @scatter_nd
// CHECK-SAME:    %[[D:[^:]*]]: tensor<4x4x4xf32>, %[[I:[^:]*]]: tensor<2x1xi64>, %[[U:[^:]*]]: tensor<2x4x4xf32>
// CHECK:  linalg.generic {indexing_maps = [#[[$TUPLES]], #[[$DATA3]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[I]] : tensor<2x1xi64>) outs(%[[D]] : tensor<4x4x4xf32>)
// CHECK:  ^bb0(%{{.*}}: i64, %[[CUR:.*]]: f32):
// CHECK:    %[[A:.*]] = linalg.index 0 : index
// CHECK:    %[[B:.*]] = linalg.index 1 : index
// CHECK:    %[[C:.*]] = linalg.index 2 : index
// CHECK:    %[[T:.*]] = linalg.index 3 : index
// CHECK:    tensor.extract %[[I]][%[[T]], %{{.*}}] : tensor<2x1xi64>
// CHECK:    %[[EQ:.*]] = arith.cmpi eq, %{{.*}}, %[[A]] : index
// CHECK:    %[[HIT:.*]] = arith.andi %{{.*}}, %[[EQ]] : i1
// CHECK:    %[[UP:.*]] = tensor.extract %[[U]][%[[T]], %[[B]], %[[C]]] : tensor<2x4x4xf32>
// CHECK:    arith.select %[[HIT]], %[[UP]], %[[CUR]] : f32
func.func @scatter_nd(%d: tensor<4x4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4x4xf32>) -> tensor<4x4x4xf32> {
  %0 = onnx.scatter_nd %d, %i, %u {reduction = "none"} : (tensor<4x4x4xf32>, tensor<2x1xi64>, tensor<2x4x4xf32>) -> tensor<4x4x4xf32>
  return %0 : tensor<4x4x4xf32>
}
