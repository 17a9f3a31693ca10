// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @add_bad_broadcast(%a: tensor<2x3xf32>, %b: tensor<2xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{operand shapes do not broadcast}}
  %0 = onnx.add %a, %b : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @where_bad_result(%c: tensor<4xi1>, %a: tensor<4xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{expects result shape to be the broadcast shape of its operands}}
  %0 = onnx.where %c, %a, %a : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @max_no_operands() -> tensor<4xf32> {
  // expected-error @+1 {{expected 1 or more operands}}
  %0 = onnx.max : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @min_bad_broadcast(%a: tensor<3xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand shapes do not broadcast}}
  %0 = onnx.min %a, %b : (tensor<3xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @clip_bound_rank(%x: tensor<4xf32>, %lo: tensor<1xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expects min to be a rank-0 tensor of 'f32', got 'tensor<1xf32>'}}
  %0 = onnx.clip %x min %lo : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @clip_bound_type(%x: tensor<4xf32>, %hi: tensor<f64>) -> tensor<4xf32> {
  // expected-error @+1 {{expects max to be a rank-0 tensor of 'f32', got 'tensor<f64>'}}
  %0 = onnx.clip %x max %hi : (tensor<4xf32>, tensor<f64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The Elementwise trait checks the broadcast of every elementwise op, Clip's bounds included.
func.func @clip_bound_broadcast(%x: tensor<4xf32>, %lo: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{operand shapes do not broadcast: 'tensor<4xf32>', 'tensor<3xf32>'}}
  %0 = onnx.clip %x min %lo : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// bfloat16 reaches no op but Cast.
func.func @add_bf16(%a: tensor<3xbf16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = onnx.add %a, %a : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xbf16>
  return
}
