// An all-gather on buffers becomes a call of the runtime's all-gather with the operand's
// element count; a strided operand is copied to a contiguous buffer first, and a strided
// destination receives the result through a contiguous one.
// RUN: cleave-opt %s --cleave-lower-collectives | FileCheck %s

// CHECK:       func.func private @cleave_rt_all_gather(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32)
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[P:.*]]: memref<4x8xf32>, %[[G:.*]]: memref<2x4x8xf32>, %[[Q:.*]]: memref<2x3xi64, strided<[6, 1]>>, %[[H:.*]]: memref<4x2x3xi64, strided<[12, 6, 1]>>)
// CHECK-SAME:    attributes {cleave.ctx_arg}
// CHECK-DAG:     %[[COUNT:.*]] = arith.constant 32 : i64
// CHECK-DAG:     %[[F32:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[GROUP:.*]] = arith.constant 0 : i32
// CHECK:         call @cleave_rt_all_gather(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT]], %[[F32]], %[[GROUP]])
// CHECK:         %[[COPY:.*]] = memref.alloc() : memref<2x3xi64>
// CHECK:         memref.copy %[[Q]], %[[COPY]]
// CHECK:         %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x2x3xi64>
// CHECK:         memref.extract_aligned_pointer_as_index %[[COPY]]
// CHECK-DAG:     %[[COUNT2:.*]] = arith.constant 6 : i64
// CHECK-DAG:     %[[I64:.*]] = arith.constant 3 : i32
// CHECK:         call @cleave_rt_all_gather(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT2]], %[[I64]], %{{.*}})
// CHECK:         memref.copy %[[OUT]], %[[H]]
func.func @main(%p: memref<4x8xf32>, %g: memref<2x4x8xf32>,
                %q: memref<2x3xi64, strided<[6, 1]>>, %h: memref<4x2x3xi64, strided<[12, 6, 1]>>) {
  cleave.all_gather %p into %g : memref<4x8xf32>, memref<2x4x8xf32>
  cleave.all_gather %q into %h : memref<2x3xi64, strided<[6, 1]>>, memref<4x2x3xi64, strided<[12, 6, 1]>>
  return
}
