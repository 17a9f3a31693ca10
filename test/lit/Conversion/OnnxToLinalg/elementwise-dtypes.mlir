// RUN: cleave-opt %s --cleave-convert-onnx-to-linalg | FileCheck %s
// int16, uint16, uint32, uint64 and bfloat16: unsigned types become signless of the same
// width and their ops pick the unsigned arith variants, as for ui8.

// CHECK-LABEL: func.func @unsigned_arith
// CHECK-SAME: (%{{.*}}: tensor<3xi16>, %{{.*}}: tensor<3xi32>, %{{.*}}: tensor<3xi64>)
// CHECK: arith.divui %{{.*}}, %{{.*}} : i16
// CHECK: arith.cmpi ugt, %{{.*}}, %{{.*}} : i32
// CHECK: arith.minui %{{.*}}, %{{.*}} : i64
// CHECK: arith.maxui %{{.*}}, %{{.*}} : i32
func.func @unsigned_arith(%a: tensor<3xui16>, %b: tensor<3xui32>, %c: tensor<3xui64>)
    -> (tensor<3xui16>, tensor<3xi1>, tensor<3xui64>, tensor<3xui32>) {
  %0 = onnx.div %a, %a : (tensor<3xui16>, tensor<3xui16>) -> tensor<3xui16>
  %1 = onnx.greater %b, %b : (tensor<3xui32>, tensor<3xui32>) -> tensor<3xi1>
  %2 = onnx.min %c, %c : (tensor<3xui64>, tensor<3xui64>) -> tensor<3xui64>
  %3 = onnx.max %b, %b : (tensor<3xui32>, tensor<3xui32>) -> tensor<3xui32>
  return %0, %1, %2, %3 : tensor<3xui16>, tensor<3xi1>, tensor<3xui64>, tensor<3xui32>
}

// int16 keeps the signed variants.
// CHECK-LABEL: func.func @int16
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i16
// CHECK: arith.minsi %{{.*}}, %{{.*}} : i16
func.func @int16(%a: tensor<3xi16>) -> (tensor<3xi16>, tensor<3xi16>) {
  %0 = onnx.div %a, %a : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  %1 = onnx.min %a, %a : (tensor<3xi16>, tensor<3xi16>) -> tensor<3xi16>
  return %0, %1 : tensor<3xi16>, tensor<3xi16>
}

// Widening zero-extends an unsigned source and sign-extends a signed one; unsigned
// integers and floats convert with uitofp and fptoui.
// CHECK-LABEL: func.func @casts
// CHECK: arith.extui %{{.*}} : i16 to i64
// CHECK: arith.extsi %{{.*}} : i16 to i64
// CHECK: arith.uitofp %{{.*}} : i64 to f32
// CHECK: arith.fptoui %{{.*}} : f32 to i32
func.func @casts(%u: tensor<4xui16>, %s: tensor<4xi16>, %w: tensor<4xui64>, %f: tensor<4xf32>)
    -> (tensor<4xi64>, tensor<4xi64>, tensor<4xf32>, tensor<4xui32>) {
  %0 = onnx.cast %u : tensor<4xui16> -> tensor<4xi64>
  %1 = onnx.cast %s : tensor<4xi16> -> tensor<4xi64>
  %2 = onnx.cast %w : tensor<4xui64> -> tensor<4xf32>
  %3 = onnx.cast %f : tensor<4xf32> -> tensor<4xui32>
  return %0, %1, %2, %3 : tensor<4xi64>, tensor<4xi64>, tensor<4xf32>, tensor<4xui32>
}

// Unsigned ReduceMax starts from 0 and takes maxui.
// CHECK-LABEL: func.func @reduce_max_u32
// CHECK: arith.constant 0 : i32
// CHECK: arith.maxui
func.func @reduce_max_u32(%x: tensor<2x3xui32>) -> tensor<2xui32> {
  %0 = onnx.reduce_max %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xui32> -> tensor<2xui32>
  return %0 : tensor<2xui32>
}

// bfloat16 converts through f32 with bit operations: widening shifts the bits up,
// narrowing keeps the high half (truncation).
// CHECK-LABEL: func.func @bf16
// CHECK: %[[B:.*]] = arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[W:.*]] = arith.extui %[[B]] : i16 to i32
// CHECK: %[[S:.*]] = arith.shli %[[W]], %{{.*}} : i32
// CHECK: arith.bitcast %[[S]] : i32 to f32
// CHECK: %[[F:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[H:.*]] = arith.shrui %[[F]], %{{.*}} : i32
// CHECK: %[[N:.*]] = arith.trunci %[[H]] : i32 to i16
// CHECK: arith.bitcast %[[N]] : i16 to bf16
func.func @bf16(%b: tensor<4xbf16>, %f: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xbf16>) {
  %0 = onnx.cast %b : tensor<4xbf16> -> tensor<4xf32>
  %1 = onnx.cast %f : tensor<4xf32> -> tensor<4xbf16>
  return %0, %1 : tensor<4xf32>, tensor<4xbf16>
}
