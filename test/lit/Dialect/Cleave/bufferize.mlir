// One-shot bufferization turns the collectives on tensors into collectives on buffers that
// write their destination in place.
// RUN: cleave-opt %s -one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s

// CHECK-LABEL: func.func @reduce_then_gather
// CHECK-SAME:    (%[[X:.*]]: memref<2x8xf32
// CHECK:         %[[SUM:.*]] = memref.alloc() {{.*}} : memref<2x8xf32>
// CHECK:         cleave.all_reduce %[[X]] into %[[SUM]] : memref<2x8xf32{{.*}}>, memref<2x8xf32>
// CHECK:         %[[ALL:.*]] = memref.alloc() {{.*}} : memref<2x2x8xf32>
// CHECK:         cleave.all_gather %[[SUM]] into %[[ALL]] : memref<2x8xf32>, memref<2x2x8xf32>
// CHECK:         return %[[ALL]]
func.func @reduce_then_gather(%x: tensor<2x8xf32>) -> tensor<2x2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %s = cleave.all_reduce %x into %e : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %g = tensor.empty() : tensor<2x2x8xf32>
  %all = cleave.all_gather %s into %g : tensor<2x8xf32>, tensor<2x2x8xf32> -> tensor<2x2x8xf32>
  return %all : tensor<2x2x8xf32>
}

// A collective whose result goes unused still runs: every rank of the group must join it.
// CHECK-LABEL: func.func @unused
// CHECK:         cleave.all_reduce
func.func @unused(%x: tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %s = cleave.all_reduce %x into %e : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}
