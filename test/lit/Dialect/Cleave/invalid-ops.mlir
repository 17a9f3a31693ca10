// Verifier diagnostics of the collectives, one case each.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @mixed(%a: tensor<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{expects input and init both tensors or both buffers}}
  cleave.all_reduce %a into %b : tensor<4xf32>, memref<4xf32>
  return
}

// -----

func.func @no_result(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{on tensors returns one result}}
  cleave.all_reduce %a into %b : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @buffer_result(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{on buffers returns nothing}}
  %r = cleave.all_reduce %a into %b : memref<4xf32>, memref<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @result_type(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{expects the result to have the init's type 'tensor<4xf32>', got 'tensor<4xf64>'}}
  %r = cleave.all_reduce %a into %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf64>
  return
}

// -----

func.func @dynamic(%a: tensor<?xf32>, %b: tensor<?xf32>) {
  // expected-error @+1 {{expects static shapes}}
  %r = cleave.all_reduce %a into %b : tensor<?xf32>, tensor<?xf32> -> tensor<?xf32>
  return
}

// -----

func.func @element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{expects one element type}}
  %r = cleave.all_reduce %a into %b : tensor<4xf32>, tensor<4xi32> -> tensor<4xi32>
  return
}

// -----

func.func @unknown_dtype(%a: tensor<4xi4>, %b: tensor<2x4xi4>) {
  // expected-error @+1 {{cannot move elements of type 'i4' (the runtime has no such dtype)}}
  %r = cleave.all_gather %a into %b : tensor<4xi4>, tensor<2x4xi4> -> tensor<2x4xi4>
  return
}

// -----

func.func @reduce_shape(%a: tensor<4xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{expects input and init of one shape}}
  %r = cleave.all_reduce %a into %b : tensor<4xf32>, tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @reduce_type(%a: tensor<4xf16>, %b: tensor<4xf16>) {
  // expected-error @+1 {{sums only f32, f64, i32 or i64, got 'f16'}}
  %r = cleave.all_reduce %a into %b : tensor<4xf16>, tensor<4xf16> -> tensor<4xf16>
  return
}

// -----

func.func @gather_shape(%a: tensor<4xf32>, %b: tensor<2x8xf32>) {
  // expected-error @+1 {{expects init of the input's shape after a leading group-size dim}}
  %r = cleave.all_gather %a into %b : tensor<4xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return
}
