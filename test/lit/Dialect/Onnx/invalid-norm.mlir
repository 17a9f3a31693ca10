// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @reduce_axis_range(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{axis 2 is out of range for an input of rank 2}}
  %0 = onnx.reduce_sum %x {axes = array<i64: 2>} : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<4x8xf32>) -> tensor<1x1xf32> {
  // expected-error @+1 {{expects axes sorted and unique}}
  %0 = onnx.reduce_max %x {axes = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

func.func @reduce_shape(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error @+1 {{expects result shape 'tensor<4xf32>', got 'tensor<4x1xf32>'}}
  %0 = onnx.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // expected-error @+1 {{axis -3 is out of range for an input of rank 2}}
  %0 = onnx.softmax %x {axis = -3 : i64} : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

func.func @softmax_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{expects an input of rank 1 or more}}
  %0 = onnx.log_softmax %x : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @layer_norm_result(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{expects the result type to be the input type 'tensor<2x4xf32>', got 'tensor<2x5xf32>'}}
  %0 = onnx.layer_normalization %x, %g : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{axis 2 is out of range for an input of rank 2}}
  %0 = onnx.layer_normalization %x, %g {axis = 2 : i64} : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x4xf32>, %g: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects a scale that matches the element type of, and broadcasts to, the input 'tensor<2x4xf32>', got 'tensor<3xf32>'}}
  %0 = onnx.layer_normalization %x, %g : (tensor<2x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_bias(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<2x2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects a bias that matches the element type of, and broadcasts to, the input 'tensor<2x4xf32>', got 'tensor<2x2x4xf32>'}}
  %0 = onnx.layer_normalization %x, %g, %b : (tensor<2x4xf32>, tensor<4xf32>, tensor<2x2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_stat_count(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects no statistics results or two (mean, inverse standard deviation), got 1}}
  %0:2 = onnx.layer_normalization %x, %g : (tensor<2x4xf32>, tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x1xf32>)
  return %0#0 : tensor<2x4xf32>
}

// -----

func.func @layer_norm_stat_shape(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects statistics of shape 'tensor<2x1xf32>', got 'tensor<2xf32>'}}
  %0:3 = onnx.layer_normalization %x, %g : (tensor<2x4xf32>, tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2xf32>, tensor<2xf32>)
  return %0#0 : tensor<2x4xf32>
}

// -----

func.func @batch_norm_rank(%x: tensor<3xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{expects an input of rank 2 or more (N x C x ...), got 'tensor<3xf32>'}}
  %0 = onnx.batch_normalization %x, %c, %c, %c, %c : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @batch_norm_channels(%x: tensor<1x3x4xf32>, %c: tensor<4xf32>) -> tensor<1x3x4xf32> {
  // expected-error @+1 {{expects scale, bias, mean and var of shape [3], got 'tensor<4xf32>'}}
  %0 = onnx.batch_normalization %x, %c, %c, %c, %c : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  return %0 : tensor<1x3x4xf32>
}

// -----

func.func @layer_norm_scale_type(%x: tensor<2x4xf32>, %g: tensor<4xf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{expects a scale that matches the element type of, and broadcasts to, the input 'tensor<2x4xf32>', got 'tensor<4xf16>'}}
  %0 = onnx.layer_normalization %x, %g : (tensor<2x4xf32>, tensor<4xf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @batch_norm_types(%x: tensor<1x3xf32>, %c: tensor<3xf16>) -> tensor<1x3xf32> {
  // expected-error @+1 {{failed to verify that all of {input, scale, bias, mean, var} have same element type}}
  %0 = onnx.batch_normalization %x, %c, %c, %c, %c : (tensor<1x3xf32>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>, tensor<3xf16>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// -----

func.func @batch_norm_training_rank(%x: tensor<3xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{expects an input of rank 2 or more (N x C x ...), got 'tensor<3xf32>'}}
  %0:3 = onnx.batch_normalization_training %x, %c, %c, %c, %c : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
  return %0#0 : tensor<3xf32>
}

// -----

func.func @batch_norm_training_channels(%x: tensor<1x3x4xf32>, %c: tensor<4xf32>) -> tensor<1x3x4xf32> {
  // expected-error @+1 {{expects scale, bias, mean and var of shape [3], got 'tensor<4xf32>'}}
  %0:3 = onnx.batch_normalization_training %x, %c, %c, %c, %c : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %0#0 : tensor<1x3x4xf32>
}

// -----

func.func @arg_max_axis(%x: tensor<4x8xf32>) -> tensor<4x8xi64> {
  // expected-error @+1 {{axis -1 is out of range for an input of rank 2}}
  %0 = onnx.arg_max %x {axis = -1 : i64} : tensor<4x8xf32> -> tensor<4x8xi64>
  return %0 : tensor<4x8xi64>
}

// -----

func.func @arg_min_shape(%x: tensor<4x8xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{expects result shape 'tensor<4x1xi64>', got 'tensor<4xi64>'}}
  %0 = onnx.arg_min %x {axis = 1 : i64} : tensor<4x8xf32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}
