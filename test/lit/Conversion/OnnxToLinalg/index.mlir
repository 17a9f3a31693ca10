// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// ArgMax reduces along the axis into (best value, best index); the first element of a
// slice always counts, and a strictly greater one replaces the best.
// CHECK-LABEL: func.func @arg_max
// CHECK-SAME:    %[[X:[^:]*]]: tensor<3x4xf32>
// CHECK:  %[[V:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK:  %[[I:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<3xi64>)
// CHECK:  %[[R:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<3x4xf32>) outs(%[[V]], %[[I]] : tensor<3xf32>, tensor<3xi64>)
// CHECK:  ^bb0(%[[E:.*]]: f32, %[[BEST:.*]]: f32, %[[BI:.*]]: i64):
// CHECK:    %[[IDX:.*]] = linalg.index 1 : index
// CHECK:    %[[IDX64:.*]] = arith.index_cast %[[IDX]] : index to i64
// CHECK:    %[[GT:.*]] = arith.cmpf ogt, %[[E]], %[[BEST]] : f32
// CHECK:    %[[TAKE:.*]] = arith.ori %[[GT]], %{{.*}} : i1
// CHECK:    %[[NV:.*]] = arith.select %[[TAKE]], %[[E]], %[[BEST]] : f32
// CHECK:    %[[NI:.*]] = arith.select %[[TAKE]], %[[IDX64]], %[[BI]] : i64
// CHECK:    linalg.yield %[[NV]], %[[NI]] : f32, i64
// CHECK:  tensor.expand_shape %[[R]]#1 {{\[\[}}0, 1]] output_shape [3, 1] : tensor<3xi64> into tensor<3x1xi64>
func.func @arg_max(%x: tensor<3x4xf32>) -> tensor<3x1xi64> {
  %0 = onnx.arg_max %x {axis = 1 : i64} : tensor<3x4xf32> -> tensor<3x1xi64>
  return %0 : tensor<3x1xi64>
}

// select_last_index takes an equal element too; unsigned inputs compare unsigned.
// CHECK-LABEL: func.func @arg_min_last
// CHECK:    arith.cmpi ule, %{{.*}}, %{{.*}} : i8
// CHECK:    linalg.yield
// CHECK-NOT: tensor.expand_shape
func.func @arg_min_last(%x: tensor<3x4xui8>) -> tensor<4xi64> {
  %0 = onnx.arg_min %x {axis = 0 : i64, keepdims = false, select_last_index = true} : tensor<3x4xui8> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// GatherElements reads data at the loop indices with the axis index replaced by the
// (wrapped) gathered index.
// CHECK-LABEL: func.func @gather_elements
// CHECK-SAME:    %[[D:[^:]*]]: tensor<3x3xf32>, %[[I:[^:]*]]: tensor<3x2xi64>
// CHECK:  linalg.generic {{.*}} ins(%[[I]] : tensor<3x2xi64>)
// CHECK:  ^bb0(%[[V:.*]]: i64, %{{.*}}: f32):
// CHECK:    %[[R:.*]] = linalg.index 0 : index
// CHECK:    %[[IDX:.*]] = arith.index_cast %[[V]] : i64 to index
// CHECK:    %[[W:.*]] = arith.select %{{.*}}, %{{.*}}, %[[IDX]] : index
// CHECK:    tensor.extract %[[D]][%[[R]], %[[W]]] : tensor<3x3xf32>
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  %0 = onnx.gather_elements %d, %i {axis = 1 : i64} : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// Each element's loss and weight (0 where the target is ignore_index); the mean divides
// their sums.
// CHECK-LABEL: func.func @nll_loss_mean
// CHECK-SAME:    %[[X:[^:]*]]: tensor<3x5x2xf32>, %[[T:[^:]*]]: tensor<3x2xi64>, %[[W:[^:]*]]: tensor<5xf32>
// CHECK:  %[[LW:.*]]:2 = linalg.generic {{.*}} ins(%[[T]] : tensor<3x2xi64>)
// CHECK:  ^bb0(%[[C:.*]]: i64, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:    %[[II:.*]] = arith.constant -1 : i64
// CHECK:    %[[IGN:.*]] = arith.cmpi eq, %[[C]], %[[II]] : i64
// CHECK:    %[[SAFE:.*]] = arith.select %[[IGN]], %{{.*}}, %[[C]] : i64
// CHECK:    %[[CI:.*]] = arith.index_cast %[[SAFE]] : i64 to index
// CHECK:    %[[E:.*]] = tensor.extract %[[X]][%{{.*}}, %[[CI]], %{{.*}}] : tensor<3x5x2xf32>
// CHECK:    %[[WT:.*]] = tensor.extract %[[W]][%[[CI]]] : tensor<5xf32>
// CHECK:    %[[WS:.*]] = arith.select %[[IGN]], %{{.*}}, %[[WT]] : f32
// CHECK:    %[[P:.*]] = arith.mulf %[[E]], %[[WS]] : f32
// CHECK:    %[[L:.*]] = arith.negf %[[P]] : f32
// CHECK:    linalg.yield %[[L]], %[[WS]] : f32, f32
// CHECK:  %[[SL:.*]] = linalg.generic {{.*}} ins(%[[LW]]#0 : tensor<3x2xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:  %[[SW:.*]] = linalg.generic {{.*}} ins(%[[LW]]#1 : tensor<3x2xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:  linalg.generic {{.*}} ins(%[[SL]], %[[SW]] : tensor<f32>, tensor<f32>)
// CHECK:    arith.divf
func.func @nll_loss_mean(%x: tensor<3x5x2xf32>, %t: tensor<3x2xi64>, %w: tensor<5xf32>) -> tensor<f32> {
  %0 = onnx.nll_loss %x, %t, %w {reduction = "mean", ignore_index = -1 : i64} : (tensor<3x5x2xf32>, tensor<3x2xi64>, tensor<5xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// Without reduction the losses are the result.
// CHECK-LABEL: func.func @nll_loss_none
// CHECK:  %[[LW:.*]]:2 = linalg.generic
// CHECK-NOT: arith.cmpi
// CHECK:  return %[[LW]]#0 : tensor<3xf32>
func.func @nll_loss_none(%x: tensor<3x5xf32>, %t: tensor<3xi32>) -> tensor<3xf32> {
  %0 = onnx.nll_loss %x, %t {reduction = "none"} : (tensor<3x5xf32>, tensor<3xi32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
