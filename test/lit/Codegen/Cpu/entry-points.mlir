// RUN: cleave-opt %s --cleave-cpu-entry-points | FileCheck %s
// RUN: not cleave-opt %s --cleave-cpu-entry-points="impl=missing" 2>&1 | FileCheck --check-prefix=ERR %s

// Without parallel regions there is no thread control to export.
// CHECK-NOT:   cleave_set_num_threads
// CHECK:       llvm.func internal @main
// CHECK:       llvm.func @cleave_stage_0(%{{.*}}: !llvm.ptr, %[[ARGS:.*]]: !llvm.ptr)
// CHECK:       %[[S0:.*]] = llvm.getelementptr %[[ARGS]][0]
// CHECK:       %[[P0:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK:       %[[S1:.*]] = llvm.getelementptr %[[ARGS]][1]
// CHECK:       %[[P1:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK:       llvm.call @main(%[[P0]], %[[P1]])
// CHECK-LABEL: llvm.func @cleave_abi_version() -> i32
// CHECK-NOT:   cleave_set_num_threads
// ERR: the stage function 'missing' could not be lowered to the LLVM dialect
llvm.func @main(%in: !llvm.ptr, %out: !llvm.ptr) {
  llvm.return
}
