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
