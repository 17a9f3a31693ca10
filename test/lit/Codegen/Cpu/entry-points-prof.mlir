// Code compiled with --profile-ops: cleave_rt_prof_begin and cleave_rt_prof_end become calls
// through slots 2 and 3 of the function table at ctx.
// RUN: cleave-opt %s --cleave-cpu-entry-points="entry=cleave_stage_0 impl=main" | FileCheck %s --enable-var-scope

// CHECK-LABEL: llvm.func internal @cleave_rt_prof_begin(
// CHECK-SAME:    %[[CTX:[^:]*]]: !llvm.ptr, %[[ID:[^:]*]]: i32
// CHECK:         %[[TABLE:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[SLOT:.*]] = llvm.getelementptr %[[TABLE]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[FN:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[FN]](%[[CTX]], %[[ID]])
// CHECK-LABEL: llvm.func internal @cleave_rt_prof_end(
// CHECK-SAME:    %[[ECTX:[^:]*]]: !llvm.ptr, %[[EID:[^:]*]]: i32
// CHECK:         %[[ETABLE:.*]] = llvm.load %[[ECTX]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[ESLOT:.*]] = llvm.getelementptr %[[ETABLE]][3] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[EFN:.*]] = llvm.load %[[ESLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[EFN]](%[[ECTX]], %[[EID]])
llvm.func @cleave_rt_prof_begin(!llvm.ptr, i32)
llvm.func @cleave_rt_prof_end(!llvm.ptr, i32)
llvm.func @main(%ctx: !llvm.ptr, %p: !llvm.ptr) attributes {cleave.ctx_arg} {
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.call @cleave_rt_prof_begin(%ctx, %z) : (!llvm.ptr, i32) -> ()
  llvm.call @cleave_rt_prof_end(%ctx, %z) : (!llvm.ptr, i32) -> ()
  llvm.return
}
