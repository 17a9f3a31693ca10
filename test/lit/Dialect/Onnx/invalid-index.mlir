// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @gather_elements_rank(%d: tensor<3x3xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{expects data and indices of one rank, 1 or more}}
  %0 = onnx.gather_elements %d, %i {axis = 0 : i64} : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gather_elements_axis(%d: tensor<3x3xf32>, %i: tensor<3x2xi64>) -> tensor<3x2xf32> {
  // expected-error @+1 {{axis 2 is out of range for an input of rank 2}}
  %0 = onnx.gather_elements %d, %i {axis = 2 : i64} : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @nll_target(%x: tensor<3x5xf32>, %t: tensor<5xi64>) -> tensor<f32> {
  // expected-error @+1 {{expects a target of shape 'tensor<3xi64>', got 'tensor<5xi64>'}}
  %0 = onnx.nll_loss %x, %t {reduction = "sum"} : (tensor<3x5xf32>, tensor<5xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @nll_weight(%x: tensor<3x5xf32>, %t: tensor<3xi64>, %w: tensor<3xf32>) -> tensor<f32> {
  // expected-error @+1 {{expects a weight of shape [5] and the input's element type, got 'tensor<3xf32>'}}
  %0 = onnx.nll_loss %x, %t, %w {reduction = "sum"} : (tensor<3x5xf32>, tensor<3xi64>, tensor<3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @nll_result(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  // expected-error @+1 {{expects result shape 'tensor<3xf32>', got 'tensor<f32>'}}
  %0 = onnx.nll_loss %x, %t {reduction = "none"} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @nll_reduction(%x: tensor<3x5xf32>, %t: tensor<3xi64>) -> tensor<f32> {
  // expected-error @+1 {{attribute 'reduction' failed to satisfy constraint}}
  %0 = onnx.nll_loss %x, %t {reduction = "max"} : (tensor<3x5xf32>, tensor<3xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @gather_nd_k(%d: tensor<2x3xf32>, %i: tensor<4x3xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{expects 1 <= k <= rank(data) - batch_dims and batch_dims < rank(indices), rank(data); got k = 3, batch_dims = 0, rank(data) = 2}}
  %0 = onnx.gather_nd %d, %i : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_nd_batch(%d: tensor<2x3xf32>, %i: tensor<3x1xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{expects data and indices to agree on the first 1 (batch) dims}}
  %0 = onnx.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x3xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @scatter_elements_updates(%d: tensor<3x5xf32>, %i: tensor<2x2xi64>, %u: tensor<2x3xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{expects indices and updates of one shape and the data's rank}}
  %0 = onnx.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "none"} : (tensor<3x5xf32>, tensor<2x2xi64>, tensor<2x3xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @scatter_elements_wide(%d: tensor<3x5xf32>, %i: tensor<4x2xi64>, %u: tensor<4x2xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{expects updates no larger than the data outside the axis}}
  %0 = onnx.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "none"} : (tensor<3x5xf32>, tensor<4x2xi64>, tensor<4x2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expects updates of shape 'tensor<2x4xf32>', got 'tensor<2x3xf32>'}}
  %0 = onnx.scatter_nd %d, %i, %u {reduction = "none"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @scatter_nd_k(%d: tensor<4x4xf32>, %i: tensor<2x3xi64>, %u: tensor<2xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{expects indices whose last dim k is between 1 and the data's rank}}
  %0 = onnx.scatter_nd %d, %i, %u {reduction = "none"} : (tensor<4x4xf32>, tensor<2x3xi64>, tensor<2xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
