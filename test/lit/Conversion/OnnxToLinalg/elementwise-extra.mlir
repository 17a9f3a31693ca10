// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s
// Scalar bodies of the trigonometric, test, activation, Mod and BitShift ops.

// CHECK-LABEL: func.func @trig
// CHECK: math.tan %{{.*}} : f32
// CHECK: math.acosh %{{.*}} : f32
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[A:.*]] = math.atanh %[[W]] : f32
// CHECK: arith.truncf %[[A]] : f32 to f16
func.func @trig(%x: tensor<4xf32>, %h: tensor<4xf16>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf16>) {
  %0 = onnx.tan %x : tensor<4xf32>
  %1 = onnx.acosh %x : tensor<4xf32>
  %2 = onnx.atanh %h : tensor<4xf16>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf16>
}

// IsInf compares with the infinities asked for only.
// CHECK-LABEL: func.func @tests
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: i1):
// CHECK:   arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: ^bb0(%[[Y:.*]]: f32, %{{.*}}: i1):
// CHECK:   %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:   arith.cmpf oeq, %[[Y]], %[[NINF]] : f32
// CHECK-NOT: 0x7F800000
// CHECK:   linalg.yield
func.func @tests(%x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>) {
  %0 = onnx.is_nan %x : tensor<4xf32> -> tensor<4xi1>
  %1 = onnx.is_inf %x {detect_negative = true, detect_positive = false} : tensor<4xf32> -> tensor<4xi1>
  return %0, %1 : tensor<4xi1>, tensor<4xi1>
}

// CHECK-LABEL: func.func @activations
// CHECK: math.expm1
// CHECK-DAG: arith.maximumf
// CHECK-DAG: arith.minimumf
// CHECK: linalg.yield
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: ^bb0(%[[P:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[NEG:.*]] = arith.cmpf olt, %[[P]]
// CHECK:   %[[M:.*]] = arith.mulf %[[P]], %[[S]]
// CHECK:   arith.select %[[NEG]], %[[M]], %[[P]]
func.func @activations(%x: tensor<3x4xf32>, %s: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %0 = onnx.celu %x {alpha = 2.0 : f32} : tensor<3x4xf32>
  %1 = onnx.thresholded_relu %x {alpha = 1.0 : f32} : tensor<3x4xf32>
  %2 = onnx.prelu %x, %s : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %3 = onnx.shrink %x {bias = 0.0 : f32, lambd = 1.5 : f32} : tensor<3x4xf32>
  return %0, %1, %2, %3 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// Integer Mod without fmod moves a remainder whose sign differs from the divisor's.
// CHECK-LABEL: func.func @mod
// CHECK: ^bb0(%[[A:.*]]: i32, %[[B:.*]]: i32, %{{.*}}: i32):
// CHECK:   %[[R:.*]] = arith.remsi %[[A]], %[[B]] : i32
// CHECK:   %[[ADD:.*]] = arith.addi %[[R]], %[[B]]
// CHECK:   arith.select %{{.*}}, %[[ADD]], %[[R]]
// CHECK: arith.remf %{{.*}}, %{{.*}} : f32
// CHECK: arith.remui %{{.*}}, %{{.*}} : i8
func.func @mod(%a: tensor<6xi32>, %b: tensor<6xi32>, %f: tensor<6xf32>, %u: tensor<6xui8>) -> (tensor<6xi32>, tensor<6xf32>, tensor<6xui8>) {
  %0 = onnx.mod %a, %b {fmod = false} : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
  %1 = onnx.mod %f, %f {fmod = true} : (tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %2 = onnx.mod %u, %u {fmod = false} : (tensor<6xui8>, tensor<6xui8>) -> tensor<6xui8>
  return %0, %1, %2 : tensor<6xi32>, tensor<6xf32>, tensor<6xui8>
}

// A shift by the bit width or more gives 0.
// CHECK-LABEL: func.func @bit_shift
// CHECK: ^bb0(%[[X:.*]]: i8, %[[N:.*]]: i8, %{{.*}}: i8):
// CHECK:   %[[S:.*]] = arith.shrui %[[X]], %[[N]] : i8
// CHECK:   %[[W:.*]] = arith.constant 8 : i8
// CHECK:   %[[OK:.*]] = arith.cmpi ult, %[[N]], %[[W]] : i8
// CHECK:   arith.select %[[OK]], %[[S]], %{{.*}} : i8
func.func @bit_shift(%x: tensor<3xui8>, %n: tensor<ui8>) -> tensor<3xui8> {
  %0 = onnx.bit_shift %x, %n {left = false} : (tensor<3xui8>, tensor<ui8>) -> tensor<3xui8>
  return %0 : tensor<3xui8>
}
