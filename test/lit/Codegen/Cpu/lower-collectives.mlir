// After bufferization, an all-reduce on buffers becomes a call of the runtime's all-reduce
// with the ctx argument @main gains, the element count and the contract's dtype code.
// RUN: cleave-opt %s --cleave-lower-collectives | FileCheck %s

// CHECK:       func.func private @cleave_rt_all_reduce(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32, i32)
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[P:.*]]: memref<4x16xf32>, %[[OUT:.*]]: memref<4x16xf32>)
// CHECK-SAME:    attributes {cleave.ctx_arg}
// CHECK-DAG:     %[[IN:.*]] = memref.extract_aligned_pointer_as_index %[[P]]
// CHECK-DAG:     %[[TO:.*]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK-DAG:     %[[COUNT:.*]] = arith.constant 64 : i64
// CHECK-DAG:     %[[F32:.*]] = arith.constant 0 : i32
// CHECK:         call @cleave_rt_all_reduce(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT]], %[[F32]], %{{.*}}, %{{.*}})
// CHECK-NOT:     cleave.all_reduce
func.func @main(%p: memref<4x16xf32>, %out: memref<4x16xf32>) {
  cleave.all_reduce %p into %out : memref<4x16xf32>, memref<4x16xf32>
  return
}
