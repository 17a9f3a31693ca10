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
