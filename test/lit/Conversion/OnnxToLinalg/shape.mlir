// Lowering of the data-movement ops to tensor and linalg.
// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @concat
// CHECK-SAME:    (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x5xf32>)
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<2x8xf32> {
  // CHECK: %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
  // CHECK: %[[I:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [2, 3] [1, 1]
  // CHECK: tensor.insert_slice %[[B]] into %[[I]][0, 3] [2, 5] [1, 1]
  %0 = onnx.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// CHECK-LABEL: func.func @slice
// CHECK-SAME:    (%[[X:.*]]: tensor<4x10xf32>)
func.func @slice(%x: tensor<4x10xf32>) -> (tensor<2x4xf32>, tensor<2x5xf32>) {
  // CHECK: tensor.extract_slice %[[X]][1, 2] [2, 4] [2, 2] : tensor<4x10xf32> to tensor<2x4xf32>
  %0 = onnx.slice %x {starts = array<i64: 1, 2>, steps = array<i64: 2, 2>} : tensor<4x10xf32> -> tensor<2x4xf32>
  // A negative step reads backwards element by element.
  // CHECK: linalg.generic
  // CHECK:   %[[J:.*]] = linalg.index 1 : index
  // CHECK:   %[[S:.*]] = arith.muli %[[J]], %{{.*}} : index
  // CHECK:   %[[K:.*]] = arith.addi %[[S]], %{{.*}} : index
  // CHECK:   tensor.extract %[[X]][%{{.*}}, %[[K]]] : tensor<4x10xf32>
  %1 = onnx.slice %x {starts = array<i64: 0, 9>, steps = array<i64: 1, -2>} : tensor<4x10xf32> -> tensor<2x5xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<2x5xf32>
}

// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[D:.*]]: tensor<5x3xf32>, %[[I:.*]]: tensor<2xi64>)
func.func @gather(%d: tensor<5x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic {{.*}} ins(%[[I]] : tensor<2xi64>)
  // CHECK:   ^bb0(%[[V:.*]]: i64, %{{.*}}: f32):
  // CHECK:   %[[C:.*]] = arith.index_cast %[[V]] : i64 to index
  // CHECK:   %[[N:.*]] = arith.cmpi slt, %[[C]]
  // CHECK:   %[[W:.*]] = arith.select %[[N]]
  // CHECK:   tensor.extract %[[D]][%[[W]], %{{.*}}] : tensor<5x3xf32>
  %0 = onnx.gather %d, %i {axis = 0 : i64} : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @broadcasts
// CHECK-SAME:    (%[[X:.*]]: tensor<3x1xf32>)
func.func @broadcasts(%x: tensor<3x1xf32>) -> (tensor<2x3x4xf32>, tensor<6x2xf32>) {
  // CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x4xf32>)
  %0 = onnx.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  // Tile: copy into [repeat, dim] pairs, then collapse each pair.
  // CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x2x1xf32>)
  // CHECK: tensor.collapse_shape %[[T]] {{\[\[}}0, 1], [2, 3]] : tensor<2x3x2x1xf32> into tensor<6x2xf32>
  %1 = onnx.tile %x : tensor<3x1xf32> -> tensor<6x2xf32>
  return %0, %1 : tensor<2x3x4xf32>, tensor<6x2xf32>
}

// CHECK-LABEL: func.func @fills
func.func @fills() -> tensor<64x128xui8> {
  // CHECK: %[[C:.*]] = arith.constant 7 : i8
  // CHECK: linalg.fill ins(%[[C]] : i8) outs(%{{.*}} : tensor<64x128xi8>)
  %0 = onnx.constant_of_shape 7 : ui8 : tensor<64x128xui8>
  return %0 : tensor<64x128xui8>
}

// CHECK-LABEL: func.func @pads
// CHECK-SAME:    (%[[X:.*]]: tensor<3x4xf32>, %[[V:.*]]: tensor<f32>)
func.func @pads(%x: tensor<3x4xf32>, %v: tensor<f32>) -> (tensor<5x3xf32>, tensor<3x7xf32>) {
  // Constant mode: crop the negative pads, fill with the value, insert.
  // CHECK: %[[CROP:.*]] = tensor.extract_slice %[[X]][0, 1] [3, 3] [1, 1]
  // CHECK: %[[VAL:.*]] = tensor.extract %[[V]][] : tensor<f32>
  // CHECK: %[[F:.*]] = linalg.fill ins(%[[VAL]] : f32)
  // CHECK: tensor.insert_slice %[[CROP]] into %[[F]][1, 0] [3, 3] [1, 1]
  %0 = onnx.pad %x, %v {mode = "constant", pads = array<i64: 1, -1, 1, 0>} : (tensor<3x4xf32>, tensor<f32>) -> tensor<5x3xf32>
  // Reflect mode: mirror the source index at each end.
  // CHECK: linalg.generic
  // CHECK:   arith.cmpi slt
  // CHECK:   arith.cmpi sgt
  // CHECK:   tensor.extract %[[X]]
  %1 = onnx.pad %x {mode = "reflect", pads = array<i64: 0, 2, 0, 1>} : (tensor<3x4xf32>) -> tensor<3x7xf32>
  return %0, %1 : tensor<5x3xf32>, tensor<3x7xf32>
}

// CHECK-LABEL: func.func @trilu_range
// CHECK-SAME:    (%[[X:.*]]: tensor<4x5xf32>, %[[K:.*]]: tensor<i64>, %[[S:.*]]: tensor<f32>)
func.func @trilu_range(%x: tensor<4x5xf32>, %k: tensor<i64>, %s: tensor<f32>) -> (tensor<4x5xf32>, tensor<3xf32>) {
  // CHECK: %[[KV:.*]] = tensor.extract %[[K]][] : tensor<i64>
  // CHECK: %[[KI:.*]] = arith.index_cast %[[KV]] : i64 to index
  // CHECK: linalg.generic
  // CHECK:   %[[D:.*]] = arith.subi
  // CHECK:   arith.cmpi sge, %[[D]], %[[KI]] : index
  %0 = onnx.trilu %x, %k {upper = true} : (tensor<4x5xf32>, tensor<i64>) -> tensor<4x5xf32>
  // CHECK: linalg.generic
  // CHECK:   arith.sitofp
  // CHECK:   arith.mulf
  // CHECK:   arith.addf
  %1 = onnx.range %s, %s, %s : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<3xf32>
}
