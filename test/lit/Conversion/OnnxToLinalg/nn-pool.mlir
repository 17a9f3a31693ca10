// Lowering of the pools: padding with the neutral value, named pooling ops (generics for
// 3-D and integers), average divisors computed at compile time.
// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// ceil_mode pads the end by what the last window reaches past the input.
// CHECK-LABEL: func.func @max_pool_ceil
// CHECK-SAME:    %[[X:.*]]: tensor<1x4x8x8xf32>
// CHECK:         %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 2, 2]
// CHECK:           tensor.yield %[[NEG]]
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[NEG]] : f32)
// CHECK:         linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %{{.*}} : tensor<1x4x11x11xf32>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<1x4x5x5xf32>)
func.func @max_pool_ceil(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x5x5xf32> {
  %0 = onnx.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// Unsigned max pooling needs arith.maxui, so it is a generic; padding is 0.
// CHECK-LABEL: func.func @max_pool_ui8
// CHECK:         %[[ZERO:.*]] = arith.constant 0 : i8
// CHECK:         linalg.generic
// CHECK:           arith.maxui
func.func @max_pool_ui8(%x: tensor<1x1x4x4xui8>) -> tensor<1x1x2x2xui8> {
  %0 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x1x4x4xui8> -> tensor<1x1x2x2xui8>
  return %0 : tensor<1x1x2x2xui8>
}

// Without count_include_pad the border windows cover fewer positions: a per-dim count
// vector [2, 3, 2] divides the sum.
// CHECK-LABEL: func.func @average_pool_pads
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum
// CHECK:         %[[ROWS:.*]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK:         %[[COLS:.*]] = arith.constant dense<[2.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]], %[[ROWS]], %[[COLS]] : tensor<1x2x3x3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK:         ^bb0(%[[S:.*]]: f32, %[[R:.*]]: f32, %[[C:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[N:.*]] = arith.mulf %[[R]], %[[C]]
// CHECK:           arith.divf %[[S]], %[[N]]
func.func @average_pool_pads(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %0 = onnx.average_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                             pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// With count_include_pad every window counts 9.
// CHECK-LABEL: func.func @average_pool_include_pad
// CHECK:         %[[NINE:.*]] = arith.constant 9.000000e+00 : f32
// CHECK:         linalg.generic
// CHECK:           arith.divf %{{.*}}, %[[NINE]]
func.func @average_pool_include_pad(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %0 = onnx.average_pool %x {count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                             pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// CHECK-LABEL: func.func @global_average_pool
// CHECK-SAME:    %[[X:.*]]: tensor<1x8x4x4xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<1x8x4x4xf32>) outs(%{{.*}} : tensor<1x8xf32>)
// CHECK:         %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x8xf32>)
// CHECK:           arith.divf
// CHECK:         tensor.expand_shape %[[M]] {{.*}} into tensor<1x8x1x1xf32>
func.func @global_average_pool(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32> {
  %0 = onnx.global_average_pool %x : tensor<1x8x4x4xf32> -> tensor<1x8x1x1xf32>
  return %0 : tensor<1x8x1x1xf32>
}

// With Indices: one generic reduces into the maximum and its flattened position together,
// reading the unpadded input; out-of-range window positions never win.
// CHECK-LABEL: func.func @max_pool_indices
// CHECK-SAME:    %[[X:.*]]: tensor<1x1x4x4xf32>
// CHECK:         %[[NONE:.*]] = arith.constant -1 : i64
// CHECK:         %[[IINIT:.*]] = linalg.fill ins(%[[NONE]] : i64)
// CHECK:         %[[R:.*]]:2 = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]{{.*}} outs(%{{.*}}, %[[IINIT]] : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>)
// CHECK:           %[[E:.*]] = tensor.extract %[[X]]
// CHECK:           arith.cmpf ogt, %[[E]]
// CHECK:           linalg.yield
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @max_pool_indices(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  %0:2 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                           pads = array<i64: 1, 1, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
  return %0#0, %0#1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}
