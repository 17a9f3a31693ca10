// RUN: cleave-opt %s --cleave-cpu-tile-and-vectorize | FileCheck %s

// A 3x3 depthwise convolution over 32 channels: the channels are split in 16 chunks of 2 over
// an scf.forall, and the convolution becomes a generic iterating (n, c, oh, kh, kw, ow), so
// the innermost loop walks an output row and an input row (stride 1) instead of the strided
// channel dim.
// CHECK-DAG:   affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d3, d4 + d5)>
// CHECK-DAG:   affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d3, d4)>
// CHECK-DAG:   affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d5)>
// The pooling's maps.
// CHECK-DAG:   affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d3, d5 * 2 + d4)>
// CHECK-DAG:   affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4)>
// CHECK-LABEL: func.func @depthwise
// CHECK:         scf.forall (%{{.*}}) in (16)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
// CHECK-SAME:        tensor<1x2x114x114xf32>, tensor<2x3x3xf32>
// CHECK-NOT:     linalg.depthwise_conv_2d_nchw_chw
func.func @depthwise(%i: tensor<1x32x114x114xf32>, %f: tensor<32x3x3xf32>, %o: tensor<1x32x112x112xf32>) -> tensor<1x32x112x112xf32> {
  %0 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%i, %f : tensor<1x32x114x114xf32>, tensor<32x3x3xf32>) outs(%o : tensor<1x32x112x112xf32>) -> tensor<1x32x112x112xf32>
  return %0 : tensor<1x32x112x112xf32>
}

// Max pooling 3x3 stride 2 over 64 channels: chunks of 4 channels, and the generic iterates
// (n, c, oh, kh, kw, ow) as well (its maps are checked at the top).
// CHECK-LABEL: func.func @max_pool
// CHECK:         scf.forall (%{{.*}}) in (16)
// CHECK:           linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME:        tensor<1x4x113x113xf32>, tensor<3x3xf32>
// CHECK:             arith.maximumf
// CHECK-NOT:     linalg.pooling_nchw_max
func.func @max_pool(%i: tensor<1x64x114x114xf32>, %o: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %k = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%i, %k : tensor<1x64x114x114xf32>, tensor<3x3xf32>) outs(%o : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %0 : tensor<1x64x56x56xf32>
}
