// An all-gather call becomes an allocation of the gathered result (one leading dim, the
// group's size, more than the operand) and a call of the runtime's all-gather with the
// operand's element count; a strided operand is copied to a contiguous buffer first.
// RUN: cleave-opt %s --cleave-lower-collectives | FileCheck %s

// CHECK-NOT:   @cleave_all_gather_0
// CHECK:       func.func private @cleave_rt_all_gather(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32)
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[P:.*]]: memref<4x8xf32>, %[[Q:.*]]: memref<2x3xi64, strided<[6, 1]>>)
// CHECK-SAME:    attributes {cleave.ctx_arg}
// CHECK:         %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x4x8xf32>
// CHECK-DAG:     %[[COUNT:.*]] = arith.constant 32 : i64
// CHECK-DAG:     %[[F32:.*]] = arith.constant 0 : i32
// CHECK-DAG:     %[[GROUP:.*]] = arith.constant 0 : i32
// CHECK:         call @cleave_rt_all_gather(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT]], %[[F32]], %[[GROUP]])
// CHECK:         %[[COPY:.*]] = memref.alloc() : memref<2x3xi64>
// CHECK:         memref.copy %[[Q]], %[[COPY]]
// CHECK:         %[[OUT2:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x2x3xi64>
// CHECK:         memref.extract_aligned_pointer_as_index %[[COPY]]
// CHECK-DAG:     %[[COUNT2:.*]] = arith.constant 6 : i64
// CHECK-DAG:     %[[I64:.*]] = arith.constant 3 : i32
// CHECK:         call @cleave_rt_all_gather(%[[CTX]], %{{.*}}, %{{.*}}, %[[COUNT2]], %[[I64]], %{{.*}})
// CHECK:         return %[[OUT]], %[[OUT2]]
func.func private @cleave_all_gather_0(memref<4x8xf32>) -> memref<2x4x8xf32> attributes {cleave.collective = "all_gather"}
func.func private @cleave_all_gather_1(memref<2x3xi64, strided<[6, 1]>>) -> memref<4x2x3xi64> attributes {cleave.collective = "all_gather"}
func.func @main(%p: memref<4x8xf32>, %q: memref<2x3xi64, strided<[6, 1]>>) -> (memref<2x4x8xf32>, memref<4x2x3xi64>) {
  %g = call @cleave_all_gather_0(%p) : (memref<4x8xf32>) -> memref<2x4x8xf32>
  %h = call @cleave_all_gather_1(%q) : (memref<2x3xi64, strided<[6, 1]>>) -> memref<4x2x3xi64>
  return %g, %h : memref<2x4x8xf32>, memref<4x2x3xi64>
}
