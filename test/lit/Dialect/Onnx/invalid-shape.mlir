// One case per verifier diagnostic of the shape and data-movement ops.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{changes the element count}}
  %0 = onnx.reshape %x : tensor<2x3xf32> -> tensor<5xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %0 = onnx.transpose %x {perm = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = onnx.concat %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @concat_dims(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) {
  // expected-error @+1 {{expects input dim 0 to be 2}}
  %0 = onnx.concat %x, %y {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_sum(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expects result shape 'tensor<2x6xf32>', got 'tensor<2x5xf32>'}}
  %0 = onnx.concat %x, %x {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @slice_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{dim 0 reads [2, 6] outside [0, 4)}}
  %0 = onnx.slice %x {starts = array<i64: 2>, steps = array<i64: 2>} : tensor<4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<4xf32>) {
  // expected-error @+1 {{step of dim 0 is zero}}
  %0 = onnx.slice %x {starts = array<i64: 0>, steps = array<i64: 0>} : tensor<4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @gather_shape(%x: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{expects result shape 'tensor<4x3xf32>'}}
  %0 = onnx.gather %x, %i {axis = 1 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<3x5xf32>
  return
}

// -----

func.func @expand_shape(%x: tensor<3xf32>) {
  // expected-error @+1 {{cannot broadcast}}
  %0 = onnx.expand %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @tile_multiple(%x: tensor<3xf32>) {
  // expected-error @+1 {{result dim 0 (7) is not a multiple of 3}}
  %0 = onnx.tile %x : tensor<3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @constant_of_shape_type() {
  // expected-error @+1 {{expects a value of type 'f32'}}
  %0 = onnx.constant_of_shape 1 : i64 : tensor<2xf32>
  return
}

// -----

func.func @pad_result(%x: tensor<3xf32>) {
  // expected-error @+1 {{expects result shape 'tensor<5xf32>', got 'tensor<4xf32>'}}
  %0 = onnx.pad %x {mode = "constant", pads = array<i64: 1, 1>} : (tensor<3xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @pad_reflect(%x: tensor<3xf32>) {
  // expected-error @+1 {{reflect pads of dim 0 must be smaller than the dim (3)}}
  %0 = onnx.pad %x {mode = "reflect", pads = array<i64: 3, 0>} : (tensor<3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @pad_mode(%x: tensor<3xf32>) {
  // expected-error @+1 {{one of constant, reflect, edge}}
  %0 = onnx.pad %x {mode = "wrap", pads = array<i64: 0, 0>} : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @pad_value(%x: tensor<3xf32>, %v: tensor<2xf32>) {
  // expected-error @+1 {{expects a one-element constant_value}}
  %0 = onnx.pad %x, %v {mode = "constant", pads = array<i64: 0, 0>} : (tensor<3xf32>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @resize_scales(%x: tensor<2x2xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{expects 2 scales}}
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "asymmetric", mode = "nearest", nearest_mode = "floor"} : (tensor<2x2xf32>, tensor<3xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @resize_linear_int(%x: tensor<2x2xi32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{linear mode expects a float tensor}}
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "asymmetric", mode = "linear", nearest_mode = "floor"} : (tensor<2x2xi32>, tensor<2xf32>) -> tensor<4x4xi32>
  return
}

// -----

func.func @resize_crop_no_roi(%x: tensor<2x2xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{expects a roi exactly with tf_crop_and_resize}}
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "tf_crop_and_resize", mode = "linear", nearest_mode = "floor"} : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @resize_roi_size(%x: tensor<2x2xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{expects a roi of 4 entries, got 2}}
  %0 = onnx.resize %x, %s {coordinate_transformation_mode = "tf_crop_and_resize", mode = "linear", nearest_mode = "floor", roi = array<f32: 0.0, 1.0>} : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @trilu_rank(%x: tensor<3xf32>) {
  // expected-error @+1 {{expects an input of rank 2 or more}}
  %0 = onnx.trilu %x {upper = true} : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @range_scalar(%a: tensor<1xf32>) {
  // expected-error @+1 {{expects scalar (rank-0) operands}}
  %0 = onnx.range %a, %a, %a : (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @trilu_k(%x: tensor<3x3xf32>, %k: tensor<2xi64>) {
  // expected-error @+1 {{expects a one-element k}}
  %0 = onnx.trilu %x, %k {upper = true} : (tensor<3x3xf32>, tensor<2xi64>) -> tensor<3x3xf32>
  return
}

// -----

func.func @pad_crop(%x: tensor<3xf32>) {
  // expected-error @+1 {{pads of dim 0 crop more than the dim holds}}
  %0 = onnx.pad %x {mode = "constant", pads = array<i64: -4, 2>} : (tensor<3xf32>) -> tensor<1xf32>
  return
}

// -----

func.func @gather_axis(%x: tensor<4xf32>, %i: tensor<3xi64>) {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %0 = onnx.gather %x, %i {axis = 1 : i64} : (tensor<4xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @slice_starts(%x: tensor<4xf32>) {
  // expected-error @+1 {{expects one start and one step per dim (1)}}
  %0 = onnx.slice %x {starts = array<i64: 0, 0>, steps = array<i64: 1>} : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @range_result(%a: tensor<f32>) {
  // expected-error @+1 {{expects a 1-D result of 'f32'}}
  %0 = onnx.range %a, %a, %a : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3x1xf32>
  return
}

// -----

// ONNX's Range takes no unsigned type.
func.func @range_unsigned(%a: tensor<ui32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = onnx.range %a, %a, %a : (tensor<ui32>, tensor<ui32>, tensor<ui32>) -> tensor<3xui32>
  return
}
