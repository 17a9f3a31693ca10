// The cost model per op: roofline time max(flops / (throughput x efficiency), bytes / bandwidth),
// with the efficiency of the op's class (docs/partitioning.md).
// RUN: cleave-opt %s --cleave-print-cost -o /dev/null | FileCheck %s
// RUN: cleave-opt %s --cleave-print-cost=device=cuda:0 -o /dev/null | FileCheck %s --check-prefix=GPU

// The matmul (256 output columns) is compute-bound on a cpu: 2*64*256*256 flops at 78 GFLOP/s.
// CHECK:      cost on cpu:0: 78 GFLOP/s, 40 GB/s
// CHECK-NEXT: @main 'mm' onnx.matmul flops=8388608 bytes=393216 param_bytes=262144 time_us=107.546
// The relu is memory-bound: 2 * 64 KiB at 40 GB/s.
// CHECK-NEXT: @main 'act' onnx.relu flops=16384 bytes=131072 param_bytes=0 time_us=3.277
// CHECK-NEXT: @main total flops=8404992 bytes=524288 param_bytes=262144 time_us=110.823

// A convolution with 64 output channels runs at 0.86 of the throughput: 2*64*32*32*16*9 flops
// at 67.08 GFLOP/s; with 128 at all of it; max pooling (one op per window element,
// 64*16*16*9) at 0.042 of it.
// CHECK-NEXT: @classes 'narrow' onnx.conv flops=18874368 bytes=364544 param_bytes=36864 time_us=281.371
// CHECK-NEXT: @classes 'wide' onnx.conv flops=37748736 bytes=663552 param_bytes=73728 time_us=483.958
// CHECK-NEXT: @classes 'pool' onnx.max_pool flops=147456 bytes=327680 param_bytes=0 time_us=45.011

// On a GPU (the assumed defaults of docs/partitioning.md) it takes 8388608 flops at 2000
// GFLOP/s.
// GPU: cost on cuda:0: 2000 GFLOP/s, 1000 GB/s, host copies 25 GB/s
// GPU: @main 'mm' onnx.matmul {{.*}} time_us=4.194
// On a GPU every class runs at the device's throughput.
// GPU: @classes 'narrow' onnx.conv {{.*}} time_us=9.437
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> tensor<64x256xf32> {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32> loc("w")
  %h = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm")
  %y = onnx.relu %h : tensor<64x256xf32> loc("act")
  return %y : tensor<64x256xf32>
}

func.func @classes(%x: tensor<1x16x32x32xf32>) -> (tensor<1x64x16x16xf32>, tensor<1x128x32x32xf32>) {
  %w64 = onnx.parameter "w64" dense<1.0> : tensor<64x16x3x3xf32> loc("w64")
  %w128 = onnx.parameter "w128" dense<1.0> : tensor<128x16x3x3xf32> loc("w128")
  %n = onnx.conv %x, %w64 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x16x32x32xf32>, tensor<64x16x3x3xf32>) -> tensor<1x64x32x32xf32> loc("narrow")
  %w = onnx.conv %x, %w128 {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x16x32x32xf32>, tensor<128x16x3x3xf32>) -> tensor<1x128x32x32xf32> loc("wide")
  %p = onnx.max_pool %n {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>,
                         pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : tensor<1x64x32x32xf32> -> tensor<1x64x16x16xf32> loc("pool")
  return %p, %w : tensor<1x64x16x16xf32>, tensor<1x128x32x32xf32>
}
