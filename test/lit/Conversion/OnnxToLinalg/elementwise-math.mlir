// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s
// Scalar bodies of casts and math: each op is one linalg.generic.

// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.uitofp %{{.*}} : i8 to f16
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.extui %{{.*}} : i1 to i32
func.func @casts(%f: tensor<4xf32>, %u: tensor<4xui8>, %i: tensor<4xi32>, %b: tensor<4xi1>)
    -> (tensor<4xi64>, tensor<4xi1>, tensor<4xf16>, tensor<4xi64>, tensor<4xi32>) {
  %0 = onnx.cast %f : tensor<4xf32> -> tensor<4xi64>
  %1 = onnx.cast %f : tensor<4xf32> -> tensor<4xi1>
  %2 = onnx.cast %u : tensor<4xui8> -> tensor<4xf16>
  %3 = onnx.cast %i : tensor<4xi32> -> tensor<4xi64>
  %4 = onnx.cast %b : tensor<4xi1> -> tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<4xi64>, tensor<4xi1>, tensor<4xf16>, tensor<4xi64>, tensor<4xi32>
}

// An integer base goes through f64; an integer exponent is converted to the base's type.
// CHECK-LABEL: func.func @pow
// CHECK: %[[E:.*]] = arith.sitofp %{{.*}} : i64 to f32
// CHECK: math.powf %{{.*}}, %[[E]] : f32
// CHECK: %[[B:.*]] = arith.sitofp %{{.*}} : i32 to f64
// CHECK: %[[P:.*]] = math.powf %[[B]], %{{.*}} : f64
// CHECK: arith.fptosi %[[P]] : f64 to i32
func.func @pow(%x: tensor<4xf32>, %e: tensor<i64>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0 = onnx.pow %x, %e : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
  %1 = onnx.pow %i, %x : (tensor<4xi32>, tensor<4xf32>) -> tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @activations
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[N:.*]] = arith.negf %[[X]]
// CHECK:   %[[E:.*]] = math.exp %[[N]]
// CHECK:   %[[D:.*]] = arith.addf %{{.*}}, %[[E]]
// CHECK:   arith.divf %{{.*}}, %[[D]]
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.mulf
func.func @activations(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = onnx.sigmoid %x : tensor<4xf32>
  %1 = onnx.leaky_relu %x {alpha = 0.1 : f32} : tensor<4xf32>
  %2 = onnx.hard_swish %x : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// libm has no f16 erf or tanh: they compute in f32.
// CHECK-LABEL: func.func @f16_math
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[R:.*]] = math.erf %[[W]] : f32
// CHECK: arith.truncf %[[R]] : f32 to f16
func.func @f16_math(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = onnx.erf %x : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// CHECK-LABEL: func.func @logic
// CHECK: arith.andi %{{.*}}, %{{.*}} : i1
// CHECK: arith.ori %{{.*}}, %{{.*}} : i1
// CHECK: %[[T:.*]] = arith.constant true
// CHECK: arith.xori %{{.*}}, %[[T]] : i1
func.func @logic(%a: tensor<4xi1>, %b: tensor<i1>) -> tensor<4xi1> {
  %0 = onnx.and %a, %b : (tensor<4xi1>, tensor<i1>) -> tensor<4xi1>
  %1 = onnx.or %0, %a : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %2 = onnx.not %1 : tensor<4xi1>
  return %2 : tensor<4xi1>
}

// CHECK-LABEL: func.func @rounding_and_activations
// CHECK: math.roundeven %{{.*}} : f32
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: math.log1p
// CHECK: math.expm1 %[[X:.*]] : f32
// CHECK: %[[S:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.select %{{.*}}, %[[S]], %[[X]] : f32
func.func @rounding_and_activations(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = onnx.round %x : tensor<4xf32>
  %1 = onnx.sign %0 : tensor<4xf32>
  %2 = onnx.softplus %1 : tensor<4xf32>
  %3 = onnx.elu %2 {alpha = 0.5 : f32} : tensor<4xf32>
  return %3 : tensor<4xf32>
}
