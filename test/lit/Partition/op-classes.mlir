// The cut follows the per-class cpu efficiencies: max pooling runs at 0.042 of the
// throughput and a 64-channel conv at 0.86, so the pool (180 us, not 13 us) goes with the
// 1x1 conv (269 us) on stage 1, behind the 64-channel conv (281 us, not 242 us). With every
// op at the full throughput the cut would fall after the pool (255 us | 269 us).
// RUN: cleave-opt %s --cleave-partition-pipeline=stages=2 | FileCheck %s

// CHECK-LABEL: func.func @stage_0(
// CHECK:         %[[N:.*]] = onnx.conv
// CHECK-NEXT:    pipe.send %[[N]] to 1 as ["narrow"] : tensor<1x64x32x32xf32>
// CHECK-LABEL: func.func @stage_1()
// CHECK:         %[[R:.*]] = pipe.recv from 0 as ["narrow"]
// CHECK:         %[[P:.*]] = onnx.max_pool %[[R]]
// CHECK:         onnx.conv %[[P]]
func.func @main(%x: tensor<1x16x32x32xf32> {onnx.name = "x"}) -> (tensor<1x160x32x32xf32> {onnx.name = "y"}) {
  %w64 = onnx.parameter "w64" dense<1.0> : tensor<64x16x3x3xf32> loc("w64")
  %w160 = onnx.parameter "w160" dense<1.0> : tensor<160x64x1x1xf32> loc("w160")
  %n = onnx.conv %x, %w64 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x16x32x32xf32>, tensor<64x16x3x3xf32>) -> tensor<1x64x32x32xf32> loc("narrow")
  %p = onnx.max_pool %n {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : tensor<1x64x32x32xf32> -> tensor<1x64x32x32xf32> loc("pool")
  %y = onnx.conv %p, %w160 {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x64x32x32xf32>, tensor<160x64x1x1xf32>) -> tensor<1x160x32x32xf32> loc("wide")
  return %y : tensor<1x160x32x32xf32>
}
