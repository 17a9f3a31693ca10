// Round trip of the cleave dialect's collectives and attributes.
// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// CHECK-LABEL: func.func @stage
// CHECK-SAME:    %{{.*}}: tensor<2x8xf32> {cleave.recv = #cleave.transfer<"h", 0>}
// CHECK-SAME:    %{{.*}}: tensor<8x8xf32> {cleave.param = "w"}
// CHECK-SAME:    -> (tensor<2x8xf32> {cleave.send = #cleave.transfer<"y", 2>})
// CHECK-SAME:    cleave.device = "cuda:3"
// CHECK-SAME:    cleave.estimate = #cleave.estimate<seconds = 1.500000e-03, compute_seconds = 1.000000e-03, send_seconds = 5.000000e-04, flops = 256, bytes = 512, param_bytes = 256, activation_bytes = 128, send_bytes = 64>
// CHECK-SAME:    cleave.stage = 1 : i64
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<2x8xf32>
// CHECK:         %[[S:.*]] = cleave.all_reduce %{{.*}} into %[[E]] : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
// CHECK:         cleave.all_gather %[[S]] into %{{.*}} : tensor<2x8xf32>, tensor<4x2x8xf32> -> tensor<4x2x8xf32>
func.func @stage(%h: tensor<2x8xf32> {cleave.recv = #cleave.transfer<"h", 0>},
                 %w: tensor<8x8xf32> {cleave.param = "w"})
    -> (tensor<2x8xf32> {cleave.send = #cleave.transfer<"y", 2>})
    attributes {cleave.stage = 1 : i64, cleave.device = "cuda:3",
                cleave.estimate = #cleave.estimate<seconds = 1.5e-3, compute_seconds = 1.0e-3,
                  send_seconds = 5.0e-4, flops = 256, bytes = 512, param_bytes = 256,
                  activation_bytes = 128, send_bytes = 64>} {
  %e = tensor.empty() : tensor<2x8xf32>
  %s = cleave.all_reduce %h into %e : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %g = tensor.empty() : tensor<4x2x8xf32>
  %all = cleave.all_gather %s into %g : tensor<2x8xf32>, tensor<4x2x8xf32> -> tensor<4x2x8xf32>
  return %s : tensor<2x8xf32>
}

// On buffers the collectives write their destination and return nothing.
// CHECK-LABEL: func.func @buffers
// CHECK:         cleave.all_reduce %{{.*}} into %{{.*}} : memref<4xi64>, memref<4xi64>
// CHECK:         cleave.all_gather %{{.*}} into %{{.*}} : memref<4xui8>, memref<2x4xui8>
func.func @buffers(%a: memref<4xi64>, %b: memref<4xi64>, %c: memref<4xui8>, %d: memref<2x4xui8>) {
  cleave.all_reduce %a into %b : memref<4xi64>, memref<4xi64>
  cleave.all_gather %c into %d : memref<4xui8>, memref<2x4xui8>
  return
}

// CHECK-LABEL: module attributes
// CHECK-SAME:    cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "fc2", elements = 64>]
// CHECK-SAME:    cleave.tensor_parallel = [#cleave.split<node = "fc1", how = "column", weight = "w1">]
module attributes {
    cleave.tensor_parallel = [#cleave.split<node = "fc1", how = "column", weight = "w1">],
    cleave.collectives = [#cleave.collective<kind = "all_reduce_sum", after = "fc2", elements = 64>]} {
  // CHECK: linalg.fill {cleave.schedule = 3 : i64}
  func.func @scheduled(%x: tensor<4xf32>, %v: f32) -> tensor<4xf32> {
    %y = linalg.fill {cleave.schedule = 3 : i64} ins(%v : f32) outs(%x : tensor<4xf32>) -> tensor<4xf32>
    return %y : tensor<4xf32>
  }
}
