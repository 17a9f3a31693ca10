// RUN: cleave-opt %s --cleave-cpu-tile-and-vectorize | FileCheck %s

// 16x64x32 matmul: register tiles of 8x32 over k = 1, as a broadcast product accumulated
// into an 8x32 vector tile.
// CHECK-LABEL: func.func @matmul
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1
// CHECK:       %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:       %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8x32x1xf32>
// CHECK:       vector.transfer_write
// CHECK-NOT:   linalg.matmul
func.func @matmul(%a: tensor<16x32xf32>, %b: tensor<32x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// N = 7 has no register tile that divides it: the matmul is left for the loop lowering.
// CHECK-LABEL: func.func @odd
// CHECK:       linalg.matmul
func.func @odd(%a: tensor<4x8xf32>, %b: tensor<8x7xf32>, %c: tensor<4x7xf32>) -> tensor<4x7xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x7xf32>) outs(%c : tensor<4x7xf32>) -> tensor<4x7xf32>
  return %r : tensor<4x7xf32>
}
