// After bufferization, a collective call becomes an allocation of its result and a call of
// the runtime's all-reduce with the ctx argument @main gains.
// RUN: cleave-opt %s --cleave-lower-collectives | FileCheck %s

// CHECK-NOT:   @cleave_all_reduce_sum_0
// CHECK:       func.func private @cleave_rt_all_reduce(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32, i32)
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[P:.*]]: memref<4x16xf32>)
// CHECK-SAME:    attributes {cleave.ctx_arg}
// CHECK:         %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
// CHECK-DAG:     %[[COUNT:.*]] = arith.constant 64 : i64
// CHECK-DAG:     %[[F32:.*]] = arith.constant 0 : i32
// CHECK:         call @cleave_rt_all_reduce(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT]], %[[F32]], %{{.*}}, %{{.*}})
// CHECK:         return %[[OUT]]
func.func private @cleave_all_reduce_sum_0(memref<4x16xf32>) -> memref<4x16xf32> attributes {cleave.collective = "all_reduce_sum"}
func.func @main(%p: memref<4x16xf32>) -> memref<4x16xf32> {
  %s = call @cleave_all_reduce_sum_0(%p) : (memref<4x16xf32>) -> memref<4x16xf32>
  return %s : memref<4x16xf32>
}
