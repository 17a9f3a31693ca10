// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @arith
func.func @arith(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %e: tensor<i64>) -> tensor<2x3xf32> {
  // CHECK: onnx.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = onnx.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: onnx.pow %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %1 = onnx.pow %0, %e : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  // CHECK: onnx.max %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = onnx.max %1, %b, %a : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: onnx.min %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = onnx.min %2 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<4xf16>, %lo: tensor<f16>) -> tensor<4xf16> {
  // CHECK: onnx.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<4xf16>
  %0 = onnx.leaky_relu %x {alpha = 0.1 : f32} : tensor<4xf16>
  // CHECK: onnx.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32} : tensor<4xf16>
  %1 = onnx.hard_sigmoid %0 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<4xf16>
  // CHECK: onnx.hard_swish %{{.*}} : tensor<4xf16>
  %2 = onnx.hard_swish %1 : tensor<4xf16>
  // CHECK: onnx.sigmoid %{{.*}} : tensor<4xf16>
  %3 = onnx.sigmoid %2 : tensor<4xf16>
  // CHECK: onnx.erf %{{.*}} : tensor<4xf16>
  %4 = onnx.erf %3 : tensor<4xf16>
  // CHECK: onnx.clip %{{.*}} min %{{.*}} : (tensor<4xf16>, tensor<f16>) -> tensor<4xf16>
  %5 = onnx.clip %4 min %lo : (tensor<4xf16>, tensor<f16>) -> tensor<4xf16>
  // CHECK: onnx.clip %{{.*}} max %{{.*}} : (tensor<4xf16>, tensor<f16>) -> tensor<4xf16>
  %6 = onnx.clip %5 max %lo : (tensor<4xf16>, tensor<f16>) -> tensor<4xf16>
  // CHECK: onnx.clip %{{.*}} min %{{.*}} max %{{.*}} : (tensor<4xf16>, tensor<f16>, tensor<f16>) -> tensor<4xf16>
  %7 = onnx.clip %6 min %lo max %lo : (tensor<4xf16>, tensor<f16>, tensor<f16>) -> tensor<4xf16>
  return %7 : tensor<4xf16>
}

// CHECK-LABEL: func.func @logic
func.func @logic(%a: tensor<4xi64>, %b: tensor<i64>) -> tensor<4xf32> {
  // CHECK: onnx.less_or_equal %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  %0 = onnx.less_or_equal %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
  // CHECK: onnx.not %{{.*}} : tensor<4xi1>
  %1 = onnx.not %0 : tensor<4xi1>
  // CHECK: onnx.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4xi1>, tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %2 = onnx.where %1, %a, %b : (tensor<4xi1>, tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  // CHECK: onnx.cast %{{.*}} : tensor<4xi64> -> tensor<4xf32>
  %3 = onnx.cast %2 : tensor<4xi64> -> tensor<4xf32>
  // CHECK: onnx.identity %{{.*}} : tensor<4xf32>
  %4 = onnx.identity %3 : tensor<4xf32>
  return %4 : tensor<4xf32>
}

// CHECK-LABEL: func.func @rounding_and_activations
func.func @rounding_and_activations(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: onnx.floor %{{.*}} : tensor<4xf32>
  %0 = onnx.floor %x : tensor<4xf32>
  // CHECK: onnx.ceil
  %1 = onnx.ceil %0 : tensor<4xf32>
  // CHECK: onnx.round
  %2 = onnx.round %1 : tensor<4xf32>
  // CHECK: onnx.sign
  %3 = onnx.sign %2 : tensor<4xf32>
  // CHECK: onnx.sin
  %4 = onnx.sin %3 : tensor<4xf32>
  // CHECK: onnx.cos
  %5 = onnx.cos %4 : tensor<4xf32>
  // CHECK: onnx.softplus
  %6 = onnx.softplus %5 : tensor<4xf32>
  // CHECK: onnx.softsign
  %7 = onnx.softsign %6 : tensor<4xf32>
  // CHECK: onnx.elu %{{.*}} {alpha = 1.000000e+00 : f32} : tensor<4xf32>
  %8 = onnx.elu %7 {alpha = 1.0 : f32} : tensor<4xf32>
  // CHECK: onnx.selu %{{.*}} {alpha = 1.500000e+00 : f32, gamma = 2.000000e+00 : f32} : tensor<4xf32>
  %9 = onnx.selu %8 {alpha = 1.5 : f32, gamma = 2.0 : f32} : tensor<4xf32>
  return %9 : tensor<4xf32>
}
