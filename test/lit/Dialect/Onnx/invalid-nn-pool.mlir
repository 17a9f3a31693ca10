// Verifier diagnostics of the pooling ops, one case each.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @kernel_count(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32> {
  // expected-error @+1 {{expects 2 kernel_shape entries, got 1}}
  %0 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x7x7xf32>
  return %0 : tensor<1x4x7x7xf32>
}

// -----

func.func @kernel_sign(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32> {
  // expected-error @+1 {{expects a positive kernel_shape}}
  %0 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 0>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x7x7xf32>
  return %0 : tensor<1x4x7x7xf32>
}

// -----

func.func @pad_sign(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x7x7xf32> {
  // expected-error @+1 {{expects non-negative pads}}
  %0 = onnx.average_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                             pads = array<i64: 0, 0, 0, -1>, strides = array<i64: 1, 1>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x7x7xf32>
  return %0 : tensor<1x4x7x7xf32>
}

// -----

func.func @extent(%x: tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error @+1 {{kernel extent 5 exceeds padded spatial dim 0 of size 2}}
  %0 = onnx.max_pool %x {dilations = array<i64: 2, 1>, kernel_shape = array<i64: 3, 1>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : tensor<1x4x2x2xf32> -> tensor<1x4x1x1xf32>
  return %0 : tensor<1x4x1x1xf32>
}

// -----

func.func @pool_result(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x3x3xf32> {
  // expected-error @+1 {{expects result shape 'tensor<1x4x4x4xf32>', got 'tensor<1x4x3x3xf32>'}}
  %0 = onnx.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x3x3xf32>
  return %0 : tensor<1x4x3x3xf32>
}

// -----

func.func @global_rank(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{expects an input of rank 3 or more (N, C, spatial dims), got 'tensor<1x4xf32>'}}
  %0 = onnx.global_max_pool %x : tensor<1x4xf32> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @global_result(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x1xf32> {
  // expected-error @+1 {{expects result shape 'tensor<1x4x1x1xf32>', got 'tensor<1x4x1xf32>'}}
  %0 = onnx.global_average_pool %x : tensor<1x4x8x8xf32> -> tensor<1x4x1xf32>
  return %0 : tensor<1x4x1xf32>
}

// -----

func.func @max_pool_indices_shape(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4xi64> {
  // expected-error @+1 {{expects indices of the result's shape, got 'tensor<1x4x4xi64>' for 'tensor<1x4x4x4xf32>'}}
  %0:2 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                           pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>, tensor<1x4x4xi64>
  return %0#1 : tensor<1x4x4xi64>
}

// -----

func.func @max_pool_element_type(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf16> {
  // expected-error @+1 {{expects the result element type to match the input's, got 'f16' and 'f32'}}
  %0 = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                         pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
      : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf16>
  return %0 : tensor<1x4x4x4xf16>
}
