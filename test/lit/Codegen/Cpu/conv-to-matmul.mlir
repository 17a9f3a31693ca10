// RUN: cleave-opt %s --cleave-cpu-conv-to-matmul | FileCheck %s

// 3x3 convolution over 7x7 (49 columns): im2col copy, a matmul of the first 48 columns in
// place, and one of the last column padded to 16.
// CHECK-LABEL: func.func @conv
// CHECK:       %[[COL:.*]] = linalg.generic
// CHECK-SAME:    ins(%{{.*}} : tensor<1x8x9x9xf32>) outs(%{{.*}} : tensor<8x3x3x7x7xf32>)
// CHECK:       %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{.*}} into tensor<72x49xf32>
// CHECK:       %[[W:.*]] = tensor.collapse_shape %{{.*}} {{.*}} into tensor<16x72xf32>
// CHECK:       %[[ACC:.*]] = tensor.collapse_shape %{{.*}} {{.*}} into tensor<16x49xf32>
// CHECK:       %[[MAINCOL:.*]] = tensor.extract_slice %[[COL2]][0, 0] [72, 48] [1, 1]
// CHECK:       %[[MAINACC:.*]] = tensor.extract_slice %[[ACC]][0, 0] [16, 48] [1, 1]
// CHECK:       %[[MAIN:.*]] = linalg.matmul ins(%[[W]], %[[MAINCOL]] : tensor<16x72xf32>, tensor<72x48xf32>) outs(%[[MAINACC]] : tensor<16x48xf32>)
// CHECK:       %[[PART:.*]] = tensor.insert_slice %[[MAIN]] into %[[ACC]][0, 0] [16, 48] [1, 1]
// CHECK:       %[[TAILCOL:.*]] = tensor.extract_slice %[[COL2]][0, 48] [72, 1] [1, 1]
// CHECK:       %[[PADDED:.*]] = tensor.pad %[[TAILCOL]] low[0, 0] high[0, 15]
// CHECK:       %[[TAILACC:.*]] = tensor.extract_slice %[[PART]][0, 48] [16, 1] [1, 1]
// CHECK:       %[[PADDEDACC:.*]] = tensor.pad %[[TAILACC]] low[0, 0] high[0, 15]
// CHECK:       %[[TAIL:.*]] = linalg.matmul ins(%[[W]], %[[PADDED]] : tensor<16x72xf32>, tensor<72x16xf32>) outs(%[[PADDEDACC]] : tensor<16x16xf32>)
// CHECK:       %[[TAIL1:.*]] = tensor.extract_slice %[[TAIL]][0, 0] [16, 1] [1, 1]
// CHECK:       tensor.insert_slice %[[TAIL1]] into %[[PART]][0, 48] [16, 1] [1, 1]
// CHECK-NOT:   linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<1x8x9x9xf32>, %w: tensor<16x8x3x3xf32>, %init: tensor<1x16x7x7xf32>) -> tensor<1x16x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x8x9x9xf32>, tensor<16x8x3x3xf32>) outs(%init : tensor<1x16x7x7xf32>) -> tensor<1x16x7x7xf32>
  return %y : tensor<1x16x7x7xf32>
}

// Batch 2: a loop over the samples whose body is the batch-1 im2col + matmul above.
// CHECK-LABEL: func.func @batch2
// CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG:   %[[C2:.*]] = arith.constant 2 : index
// CHECK:       scf.for %[[N:.*]] = %[[C0]] to %[[C2]] step %[[C1]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<2x16x7x7xf32>)
// CHECK:         tensor.extract_slice %{{.*}}[%[[N]], 0, 0, 0] [1, 8, 9, 9] [1, 1, 1, 1] : tensor<2x8x9x9xf32> to tensor<1x8x9x9xf32>
// CHECK:         tensor.extract_slice %[[ACC]][%[[N]], 0, 0, 0] [1, 16, 7, 7] [1, 1, 1, 1] : tensor<2x16x7x7xf32> to tensor<1x16x7x7xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<8x3x3x7x7xf32>)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x72xf32>, tensor<72x48xf32>)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x72xf32>, tensor<72x16xf32>)
// CHECK:         tensor.insert_slice %{{.*}} into %[[ACC]][%[[N]], 0, 0, 0] [1, 16, 7, 7] [1, 1, 1, 1]
// CHECK-NOT:   linalg.conv_2d_nchw_fchw
func.func @batch2(%x: tensor<2x8x9x9xf32>, %w: tensor<16x8x3x3xf32>, %init: tensor<2x16x7x7xf32>) -> tensor<2x16x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<2x8x9x9xf32>, tensor<16x8x3x3xf32>) outs(%init : tensor<2x16x7x7xf32>) -> tensor<2x16x7x7xf32>
  return %y : tensor<2x16x7x7xf32>
}

// 1x1 at stride 1: the input, reshaped, is the column matrix; no copy.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT:   linalg.generic
// CHECK:       %[[COL:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2, 3]] : tensor<1x32x8x8xf32> into tensor<32x64xf32>
// CHECK-NOT:   linalg.generic
// CHECK:       linalg.matmul ins(%{{.*}}, %[[COL]] : tensor<16x32xf32>, tensor<32x64xf32>)
func.func @pointwise(%x: tensor<1x32x8x8xf32>, %w: tensor<16x32x1x1xf32>, %init: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x32x8x8xf32>, tensor<16x32x1x1xf32>) outs(%init : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %y : tensor<1x16x8x8xf32>
}

// A 1x1 convolution at stride 2 still copies the strided columns.
// CHECK-LABEL: func.func @pointwise_strided
// CHECK:       linalg.generic
// CHECK-SAME:    outs(%{{.*}} : tensor<32x1x1x4x4xf32>)
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x16xf32>)
func.func @pointwise_strided(%x: tensor<1x32x8x8xf32>, %w: tensor<16x32x1x1xf32>, %init: tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
         ins(%x, %w : tensor<1x32x8x8xf32>, tensor<16x32x1x1xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %y : tensor<1x16x4x4xf32>
}

// A 1-D convolution with a long kernel and a large stride (an STFT front end): a 2-D one of
// height 1, so the same im2col (columns of 400 samples, hop 160) and matmul.
// CHECK-LABEL: func.func @conv1d
// CHECK:       tensor.expand_shape %{{.*}} output_shape [1, 1, 1, 1680] : tensor<1x1x1680xf32> into tensor<1x1x1x1680xf32>
// CHECK:       %[[COL:.*]] = linalg.generic
// CHECK-SAME:    outs(%{{.*}} : tensor<1x1x400x1x9xf32>)
// CHECK:       tensor.collapse_shape %[[COL]] {{.*}} into tensor<400x9xf32>
// CHECK-NOT:   linalg.matmul
// CHECK:       tensor.pad
// CHECK:       linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x400xf32>, tensor<400x16xf32>)
// CHECK-NOT:   linalg.conv_1d_ncw_fcw
// CHECK-NOT:   linalg.conv_2d_nchw_fchw
// CHECK:       return %{{.*}} : tensor<1x8x9xf32>
func.func @conv1d(%x: tensor<1x1x1680xf32>, %w: tensor<8x1x400xf32>, %init: tensor<1x8x9xf32>) -> tensor<1x8x9xf32> {
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<160> : tensor<1xi64>}
         ins(%x, %w : tensor<1x1x1680xf32>, tensor<8x1x400xf32>) outs(%init : tensor<1x8x9xf32>) -> tensor<1x8x9xf32>
  return %y : tensor<1x8x9xf32>
}

// Grouped (2 groups of 4 -> 8 channels): a loop over the groups, each a plain convolution of
// its channels, so the same im2col + matmul.
// CHECK-LABEL: func.func @grouped
// CHECK:       scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x2x8x7x7xf32>)
// CHECK:         tensor.extract_slice %{{.*}}[0, %[[G]], 0, 0, 0] [1, 1, 4, 9, 9] [1, 1, 1, 1, 1] : tensor<1x2x4x9x9xf32> to tensor<1x4x9x9xf32>
// CHECK:         tensor.extract_slice %{{.*}}[%[[G]], 0, 0, 0, 0] [1, 8, 4, 3, 3] [1, 1, 1, 1, 1] : tensor<2x8x4x3x3xf32> to tensor<8x4x3x3xf32>
// CHECK:         linalg.generic
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x36xf32>, tensor<36x48xf32>)
// CHECK:         tensor.insert_slice %{{.*}} into %[[ACC]][0, %[[G]], 0, 0, 0] [1, 1, 8, 7, 7] [1, 1, 1, 1, 1] : tensor<1x8x7x7xf32> into tensor<1x2x8x7x7xf32>
// CHECK-NOT:   linalg.conv_2d_ngchw_gfchw
func.func @grouped(%x: tensor<1x2x4x9x9xf32>, %w: tensor<2x8x4x3x3xf32>, %init: tensor<1x2x8x7x7xf32>) -> tensor<1x2x8x7x7xf32> {
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x2x4x9x9xf32>, tensor<2x8x4x3x3xf32>) outs(%init : tensor<1x2x8x7x7xf32>) -> tensor<1x2x8x7x7xf32>
  return %y : tensor<1x2x8x7x7xf32>
}
