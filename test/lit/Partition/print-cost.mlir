// The cost model per op: roofline time max(flops / throughput, bytes / bandwidth).
// RUN: cleave-opt %s --cleave-print-cost -o /dev/null | FileCheck %s
// RUN: cleave-opt %s --cleave-print-cost=device=cuda:0 -o /dev/null | FileCheck %s --check-prefix=GPU

// The matmul is compute-bound on a cpu: 2*64*256*256 flops at 64 GFLOP/s.
// CHECK:      cost on cpu:0: 64 GFLOP/s, 40 GB/s
// CHECK-NEXT: @main 'mm' onnx.matmul flops=8388608 bytes=393216 param_bytes=262144 time_us=131.072
// The relu is memory-bound: 2 * 64 KiB at 40 GB/s.
// CHECK-NEXT: @main 'act' onnx.relu flops=16384 bytes=131072 param_bytes=0 time_us=3.277
// CHECK-NEXT: @main total flops=8404992 bytes=524288 param_bytes=262144 time_us=134.349

// On a GPU (the assumed defaults of docs/partitioning.md) it takes 8388608 flops at 2000
// GFLOP/s.
// GPU: cost on cuda:0: 2000 GFLOP/s, 1000 GB/s, host copies 25 GB/s
// GPU: @main 'mm' onnx.matmul {{.*}} time_us=4.194
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> tensor<64x256xf32> {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32> loc("w")
  %h = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm")
  %y = onnx.relu %h : tensor<64x256xf32> loc("act")
  return %y : tensor<64x256xf32>
}
