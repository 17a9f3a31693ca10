// Round trip of the matmul/gemm, convolution and pooling ops.
// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @matmul_gemm
func.func @matmul_gemm(%a: tensor<2x8x16xf32>, %b: tensor<16x4xf32>, %w: tensor<4x16xf32>,
                       %c: tensor<4xf32>) -> (tensor<2x8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  // CHECK: onnx.matmul %{{.*}}, %{{.*}} : (tensor<2x8x16xf32>, tensor<16x4xf32>) -> tensor<2x8x4xf32>
  %0 = onnx.matmul %a, %b : (tensor<2x8x16xf32>, tensor<16x4xf32>) -> tensor<2x8x4xf32>
  %x = tensor.extract_slice %a[0, 0, 0] [1, 8, 16] [1, 1, 1] : tensor<2x8x16xf32> to tensor<8x16xf32>
  // CHECK: onnx.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, transB = true} : (tensor<8x16xf32>, tensor<4x16xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %1 = onnx.gemm %x, %w, %c {alpha = 0.5 : f32, transB = true}
      : (tensor<8x16xf32>, tensor<4x16xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // CHECK: onnx.gemm %{{.*}}, %{{.*}} : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %2 = onnx.gemm %x, %b : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  return %0, %1, %2 : tensor<2x8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>,
                %wt: tensor<4x3x3x3xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x3x17x17xf32>) {
  // CHECK: onnx.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
  %0 = onnx.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64,
                             pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<1x4x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: onnx.conv_transpose %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
  %1 = onnx.conv_transpose %x, %wt {dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>,
                                    pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x17x17xf32>
  return %0, %1 : tensor<1x8x4x4xf32>, tensor<1x3x17x17xf32>
}

// CHECK-LABEL: func.func @pool
func.func @pool(%x: tensor<1x4x8x8xf32>, %q: tensor<1x4x8x8xui8>)
    -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xui8>, tensor<1x4x1x1xf32>,
        tensor<1x4x1x1xf32>) {
  // CHECK: onnx.max_pool %{{.*}} {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  %0 = onnx.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  // CHECK: onnx.average_pool %{{.*}} {count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
  %1 = onnx.average_pool %x {count_include_pad = true, dilations = array<i64: 1, 1>,
                             kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>,
                             strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  // CHECK: onnx.max_pool %{{.*}} : tensor<1x4x8x8xui8> -> tensor<1x4x4x4xui8>
  %2 = onnx.max_pool %q {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xui8> -> tensor<1x4x4x4xui8>
  // CHECK: onnx.global_average_pool %{{.*}} : tensor<1x4x8x8xf32> -> tensor<1x4x1x1xf32>
  %3 = onnx.global_average_pool %x : tensor<1x4x8x8xf32> -> tensor<1x4x1x1xf32>
  // CHECK: onnx.global_max_pool %{{.*}} : tensor<1x4x8x8xf32> -> tensor<1x4x1x1xf32>
  %4 = onnx.global_max_pool %x : tensor<1x4x8x8xf32> -> tensor<1x4x1x1xf32>
  return %0, %1, %2, %3, %4 : tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xui8>,
                              tensor<1x4x1x1xf32>, tensor<1x4x1x1xf32>
}

// CHECK-LABEL: func.func @max_pool_indices
func.func @max_pool_indices(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xi64> {
  // CHECK: %{{.*}}, %{{.*}} = onnx.max_pool %{{.*}} {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, storage_order = 1 : i64, strides = array<i64: 2, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>
  %0:2 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                           pads = array<i64: 0, 0, 0, 0>, storage_order = 1 : i64,
                           strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>
  return %0#1 : tensor<1x4x4x4xi64>
}
