// RUN: cleave-opt %s --cleave-cpu-conv-to-matmul | FileCheck %s

// 3x3 convolution over 7x7 (49 columns, padded to 64): im2col copy, matmul, slice back.
// CHECK-LABEL: func.func @conv
// CHECK:       %[[COL:.*]] = linalg.generic
// CHECK-SAME:    ins(%{{.*}} : tensor<1x8x9x9xf32>) outs(%{{.*}} : tensor<8x3x3x7x7xf32>)
// CHECK:       %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{.*}} into tensor<72x49xf32>
// CHECK:       %[[PADDED:.*]] = tensor.pad %[[COL2]] low[0, 0] high[0, 15]
// CHECK:       %[[W:.*]] = tensor.collapse_shape %{{.*}} {{.*}} into tensor<16x72xf32>
// CHECK:       %[[MM:.*]] = linalg.matmul ins(%[[W]], %[[PADDED]] : tensor<16x72xf32>, tensor<72x64xf32>)
// CHECK:       tensor.extract_slice %[[MM]][0, 0] [16, 49] [1, 1]
// CHECK-NOT:   linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<1x8x9x9xf32>, %w: tensor<16x8x3x3xf32>, %init: tensor<1x16x7x7xf32>) -> tensor<1x16x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x8x9x9xf32>, tensor<16x8x3x3xf32>) outs(%init : tensor<1x16x7x7xf32>) -> tensor<1x16x7x7xf32>
  return %y : tensor<1x16x7x7xf32>
}

// Batch 2 is left to the generic lowering.
// CHECK-LABEL: func.func @batch2
// CHECK:       linalg.conv_2d_nchw_fchw
func.func @batch2(%x: tensor<2x8x9x9xf32>, %w: tensor<16x8x3x3xf32>, %init: tensor<2x16x7x7xf32>) -> tensor<2x16x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<2x8x9x9xf32>, tensor<16x8x3x3xf32>) outs(%init : tensor<2x16x7x7xf32>) -> tensor<2x16x7x7xf32>
  return %y : tensor<2x16x7x7xf32>
}
