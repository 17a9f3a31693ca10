// An all-gather on tensors bufferizes into its destination, then becomes the runtime call
// through ctx, down to the LLVM dialect: the CPU pipeline's bufferization and lowering
// steps, in order.
// RUN: cleave-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --cleave-lower-collectives --buffer-results-to-out-params="hoist-static-allocs modify-public-functions" \
// RUN:   --buffer-deallocation-pipeline --canonicalize --convert-linalg-to-loops --convert-scf-to-cf \
// RUN:   --expand-strided-metadata --lower-affine --finalize-memref-to-llvm --convert-arith-to-llvm \
// RUN:   --convert-index-to-llvm --convert-func-to-llvm=use-bare-ptr-memref-call-conv --convert-cf-to-llvm \
// RUN:   --reconcile-unrealized-casts --cleave-cpu-entry-points="entry=cleave_stage_0 impl=main" | FileCheck %s

// CHECK-LABEL: llvm.func internal @cleave_rt_all_gather(
// CHECK:         llvm.getelementptr %{{.*}}[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-LABEL: llvm.func internal @main(
// CHECK-SAME:    %[[CTX:[^:]*]]: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr)
// CHECK-DAG:     %[[COUNT:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK:         llvm.call @cleave_rt_all_gather(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT]], %{{.*}}, %{{.*}})
// CHECK-LABEL: llvm.func @cleave_stage_0(
func.func @main(%x: tensor<4x8xf32>) -> tensor<2x4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.exp ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %d = tensor.empty() : tensor<2x4x8xf32>
  %g = cleave.all_gather %r into %d : tensor<4x8xf32>, tensor<2x4x8xf32> -> tensor<2x4x8xf32>
  return %g : tensor<2x4x8xf32>
}
