// Verifier diagnostics of the convolution ops, one case each.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @input_rank(%x: tensor<4x8xf32>, %w: tensor<2x4xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{expects an input of rank 3 or more (N, C, spatial dims), got rank 2}}
  %0 = onnx.conv %x, %w {dilations = array<i64>, pads = array<i64>, strides = array<i64>}
      : (tensor<4x8xf32>, tensor<2x4xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @strides(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects 1 strides, got 2}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @dilations(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects 1 dilations, got 0}}
  %0 = onnx.conv %x, %w {dilations = array<i64>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @pads(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects 2 pads, got 1}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @zero_stride(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects positive strides}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 0>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @zero_dilation(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects positive dilations}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 0>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @weight_rank(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects a weight of rank 3, got rank 4}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @group(%x: tensor<1x4x8xf32>, %w: tensor<2x2x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{group 3 does not divide the 4 input and 2 output channels}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, group = 3 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x2x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @channels(%x: tensor<1x4x8xf32>, %w: tensor<2x3x3xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects 4 input channels per group in the weight, got 3}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x3x3xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @negative_pad(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x5xf32> {
  // expected-error @+1 {{expects non-negative pads}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: -1, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x5xf32>
  return %0 : tensor<1x2x5xf32>
}

// -----

func.func @kernel_extent(%x: tensor<1x4x2xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x1xf32> {
  // expected-error @+1 {{kernel extent 3 exceeds padded spatial dim 0 of size 2}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x2xf32>, tensor<2x4x3xf32>) -> tensor<1x2x1xf32>
  return %0 : tensor<1x2x1xf32>
}

// -----

func.func @bias(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>, %b: tensor<4xf32>) -> tensor<1x2x6xf32> {
  // expected-error @+1 {{expects a bias of 2 elements, got 'tensor<4xf32>'}}
  %0 = onnx.conv %x, %w, %b {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>, tensor<4xf32>) -> tensor<1x2x6xf32>
  return %0 : tensor<1x2x6xf32>
}

// -----

func.func @result(%x: tensor<1x4x8xf32>, %w: tensor<2x4x3xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{expects result shape 'tensor<1x2x6xf32>', got 'tensor<1x2x8xf32>'}}
  %0 = onnx.conv %x, %w {dilations = array<i64: 1>, pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x4x3xf32>) -> tensor<1x2x8xf32>
  return %0 : tensor<1x2x8xf32>
}

// -----

func.func @output_padding_count(%x: tensor<1x4x8xf32>, %w: tensor<4x2x3xf32>) -> tensor<1x2x10xf32> {
  // expected-error @+1 {{expects 1 output_padding entries, got 0}}
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1>, output_padding = array<i64>,
                                   pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<4x2x3xf32>) -> tensor<1x2x10xf32>
  return %0 : tensor<1x2x10xf32>
}

// -----

func.func @output_padding_sign(%x: tensor<1x4x8xf32>, %w: tensor<4x2x3xf32>) -> tensor<1x2x9xf32> {
  // expected-error @+1 {{expects non-negative output_padding}}
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1>, output_padding = array<i64: -1>,
                                   pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<4x2x3xf32>) -> tensor<1x2x9xf32>
  return %0 : tensor<1x2x9xf32>
}

// -----

func.func @transpose_group(%x: tensor<1x4x8xf32>, %w: tensor<4x2x3xf32>) -> tensor<1x6x10xf32> {
  // expected-error @+1 {{group 3 does not divide the 4 input channels}}
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1>, group = 3 : i64, output_padding = array<i64: 0>,
                                   pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<4x2x3xf32>) -> tensor<1x6x10xf32>
  return %0 : tensor<1x6x10xf32>
}

// -----

func.func @transpose_channels(%x: tensor<1x4x8xf32>, %w: tensor<2x2x3xf32>) -> tensor<1x2x10xf32> {
  // expected-error @+1 {{expects the weight's first dim to be the 4 input channels, got 2}}
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1>, output_padding = array<i64: 0>,
                                   pads = array<i64: 0, 0>, strides = array<i64: 1>}
      : (tensor<1x4x8xf32>, tensor<2x2x3xf32>) -> tensor<1x2x10xf32>
  return %0 : tensor<1x2x10xf32>
}

// -----

func.func @transpose_size(%x: tensor<1x4x2xf32>, %w: tensor<4x2x1xf32>) -> tensor<1x2x1xf32> {
  // expected-error @+1 {{spatial dim 0 of the result would have size -2}}
  %0 = onnx.conv_transpose %x, %w {dilations = array<i64: 1>, output_padding = array<i64: 0>,
                                   pads = array<i64: 2, 2>, strides = array<i64: 1>}
      : (tensor<1x4x2xf32>, tensor<4x2x1xf32>) -> tensor<1x2x1xf32>
  return %0 : tensor<1x2x1xf32>
}
