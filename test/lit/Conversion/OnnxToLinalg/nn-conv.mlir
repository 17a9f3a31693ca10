// Lowering of Conv and ConvTranspose: tensor.pad, then named linalg convolutions
// accumulating into the broadcast bias.
// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @conv_2d
// CHECK-SAME:    %[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>
// CHECK:         %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<4xf32>) outs(%{{.*}} : tensor<1x4x4x4xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[P]], %[[W]] : tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%[[INIT]] : tensor<1x4x4x4xf32>)
func.func @conv_2d(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = onnx.conv %x, %w, %b {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func @conv_depthwise
// CHECK-SAME:    %[[X:.*]]: tensor<1x4x8x8xf32>, %[[W:.*]]: tensor<4x1x3x3xf32>
// CHECK:         %[[F:.*]] = tensor.collapse_shape %[[W]] {{.*}} into tensor<4x3x3xf32>
// CHECK:         linalg.depthwise_conv_2d_nchw_chw {{.*}} ins(%[[X]], %[[F]] : tensor<1x4x8x8xf32>, tensor<4x3x3xf32>)
func.func @conv_depthwise(%x: tensor<1x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = onnx.conv %x, %w {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// CHECK-LABEL: func.func @conv_grouped
// CHECK:         %[[GX:.*]] = tensor.expand_shape %{{.*}} into tensor<1x2x2x8x8xf32>
// CHECK:         %[[GW:.*]] = tensor.expand_shape %{{.*}} into tensor<2x3x2x3x3xf32>
// CHECK:         %[[R:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[GX]], %[[GW]] : {{.*}}) outs(%{{.*}} : tensor<1x2x3x6x6xf32>)
// CHECK:         tensor.collapse_shape %[[R]] {{.*}} into tensor<1x6x6x6xf32>
func.func @conv_grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32> {
  %0 = onnx.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %0 : tensor<1x6x6x6xf32>
}

// CHECK-LABEL: func.func @conv_1d
// CHECK:         linalg.conv_1d_ncw_fcw {dilations = dense<2> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
func.func @conv_1d(%x: tensor<1x3x9xf32>, %w: tensor<2x3x3xf32>) -> tensor<1x2x5xf32> {
  %0 = onnx.conv %x, %w {dilations = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x3x9xf32>, tensor<2x3x3xf32>) -> tensor<1x2x5xf32>
  return %0 : tensor<1x2x5xf32>
}

// Grouped 3-D convolution has no named op: a generic over (n, g, f, out, c, kernel).
// CHECK-LABEL: func.func @conv_3d_grouped
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]
// CHECK:           arith.mulf
// CHECK:           arith.addf
func.func @conv_3d_grouped(%x: tensor<1x4x4x4x4xf32>, %w: tensor<2x2x2x2x2xf32>) -> tensor<1x2x3x3x3xf32> {
  %0 = onnx.conv %x, %w {dilations = array<i64: 1, 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0, 0, 0>, strides = array<i64: 1, 1, 1>}
      : (tensor<1x4x4x4x4xf32>, tensor<2x2x2x2x2xf32>) -> tensor<1x2x3x3x3xf32>
  return %0 : tensor<1x2x3x3x3xf32>
}

// Transposed: the input is spread by the strides into a zero tensor padded by
// kernel - 1 - pad, the kernel flipped with its channel dims swapped.
// CHECK-LABEL: func.func @conv_transpose
// CHECK-SAME:    %[[X:.*]]: tensor<1x2x3x3xf32>, %[[W:.*]]: tensor<2x3x3x3xf32>
// CHECK:         %[[Z:.*]] = linalg.fill {{.*}} -> tensor<1x2x8x8xf32>
// CHECK:         %[[S:.*]] = tensor.insert_slice %[[X]] into %[[Z]][0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK:         %[[F:.*]] = linalg.generic {indexing_maps = [#[[FLIP:.*]], #{{.*}}]
// CHECK:         %[[K:.*]] = tensor.collapse_shape %[[F]] {{.*}} into tensor<3x2x3x3xf32>
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[S]], %[[K]] : tensor<1x2x8x8xf32>, tensor<3x2x3x3xf32>)
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x3x3x3xf32>) -> tensor<1x3x6x6xf32> {
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 1>,
                                   pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>) -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// Kernel equal to the strides (2x2, stride 2, no padding): per sample one matmul of the
// transposed weights [M*KH*KW, C] with the input [C, H*W], then each pixel's KH x KW block
// written into place with the bias; no spread input, no convolution.
// CHECK-LABEL: func.func @conv_transpose_blocks
// CHECK-SAME:    %[[X:.*]]: tensor<2x4x3x5xf32>, %[[W:.*]]: tensor<4x6x2x2xf32>, %[[B:.*]]: tensor<6xf32>
// CHECK:         %[[W2:.*]] = tensor.collapse_shape %[[W]] {{.*}} into tensor<4x24xf32>
// CHECK:         %[[WT:.*]] = linalg.generic {{.*}} ins(%[[W2]] : tensor<4x24xf32>) outs(%{{.*}} : tensor<24x4xf32>)
// CHECK:         %[[X3:.*]] = tensor.collapse_shape %[[X]] {{.*}} into tensor<2x4x15xf32>
// CHECK:         %[[X0:.*]] = tensor.extract_slice %[[X3]][0, 0, 0] [1, 4, 15] [1, 1, 1] : tensor<2x4x15xf32> to tensor<4x15xf32>
// CHECK:         %[[M0:.*]] = linalg.matmul ins(%[[WT]], %[[X0]] : tensor<24x4xf32>, tensor<4x15xf32>)
// CHECK:         tensor.insert_slice %[[M0]] into %{{.*}}[0, 0, 0] [1, 24, 15] [1, 1, 1]
// CHECK:         %[[X1:.*]] = tensor.extract_slice %[[X3]][1, 0, 0] [1, 4, 15] [1, 1, 1]
// CHECK:         linalg.matmul ins(%[[WT]], %[[X1]] : tensor<24x4xf32>, tensor<4x15xf32>)
// CHECK:         %[[Z6:.*]] = tensor.expand_shape %{{.*}} output_shape [2, 6, 2, 2, 3, 5] : tensor<2x24x15xf32> into tensor<2x6x2x2x3x5xf32>
// CHECK:         %[[Y6:.*]] = linalg.generic {{.*}} ins(%[[Z6]], %[[B]] : tensor<2x6x2x2x3x5xf32>, tensor<6xf32>) outs(%{{.*}} : tensor<2x6x3x2x5x2xf32>)
// CHECK:         arith.addf
// CHECK:         tensor.collapse_shape %[[Y6]] {{.*}} into tensor<2x6x6x10xf32>
// CHECK-NOT:     linalg.conv_2d
func.func @conv_transpose_blocks(%x: tensor<2x4x3x5xf32>, %w: tensor<4x6x2x2xf32>, %b: tensor<6xf32>) -> tensor<2x6x6x10xf32> {
  %0 = onnx.conv_transpose %x, %w, %b {dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>,
                                       pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<2x4x3x5xf32>, tensor<4x6x2x2xf32>, tensor<6xf32>) -> tensor<2x6x6x10xf32>
  return %0 : tensor<2x6x6x10xf32>
}
