// RUN: cleave-opt %s --cleave-cpu-entry-points | FileCheck %s

// A stage with an OpenMP parallel region gets cleave_set_num_threads, and its entry point
// applies the stored count on the calling thread before running the stage.
// CHECK:       llvm.func internal @main
// CHECK:       llvm.func @omp_set_num_threads(i32)
// CHECK:       llvm.mlir.global internal @cleave_num_threads(1 : i32)
// CHECK:       llvm.func @cleave_set_num_threads(%[[ARG:.*]]: i32)
// CHECK:       %[[ONE:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK:       %[[LOW:.*]] = llvm.icmp "slt" %[[ARG]], %[[ONE]]
// CHECK:       %[[COUNT:.*]] = llvm.select %[[LOW]], %[[ONE]], %[[ARG]]
// CHECK:       llvm.store %[[COUNT]], %{{.*}} : i32, !llvm.ptr
// CHECK:       llvm.call @omp_set_num_threads(%[[COUNT]])
// CHECK-LABEL: llvm.func @cleave_stage_0(
// CHECK:       %[[G:.*]] = llvm.mlir.addressof @cleave_num_threads
// CHECK:       %[[N:.*]] = llvm.load %[[G]] : !llvm.ptr -> i32
// CHECK:       llvm.call @omp_set_num_threads(%[[N]])
// CHECK:       llvm.call @main(
llvm.func @main(%out: !llvm.ptr) {
  omp.parallel {
    omp.terminator
  }
  llvm.return
}
