// A stage that calls the runtime gets the entry point's ctx as its first argument, and
// cleave_rt_all_reduce and cleave_rt_all_gather become calls through slots 0 and 1 of the
// function table at ctx.
// RUN: cleave-opt %s --cleave-cpu-entry-points="entry=cleave_stage_1 impl=main" | FileCheck %s

// CHECK-LABEL: llvm.func internal @cleave_rt_all_reduce(
// CHECK-SAME:    %[[CTX:[^:]*]]: !llvm.ptr
// CHECK:         %[[TABLE:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[SLOT:.*]] = llvm.getelementptr %[[TABLE]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[FN:.*]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[FN]](%[[CTX]],
// CHECK-LABEL: llvm.func internal @cleave_rt_all_gather(
// CHECK-SAME:    %[[GCTX:[^:]*]]: !llvm.ptr
// CHECK:         %[[GTABLE:.*]] = llvm.load %[[GCTX]] : !llvm.ptr -> !llvm.ptr
// CHECK:         %[[GSLOT:.*]] = llvm.getelementptr %[[GTABLE]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK:         %[[GFN:.*]] = llvm.load %[[GSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[GFN]](%[[GCTX]],
// CHECK-LABEL: llvm.func @cleave_stage_1(
// CHECK-SAME:    %[[ECTX:.*]]: !llvm.ptr, %[[ARGS:.*]]: !llvm.ptr)
// CHECK:         %[[A0:.*]] = llvm.getelementptr %[[ARGS]][0]
// CHECK:         %[[P0:.*]] = llvm.load %[[A0]]
// CHECK:         llvm.call @main(%[[ECTX]], %[[P0]])
llvm.func @cleave_rt_all_reduce(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32, i32)
llvm.func @cleave_rt_all_gather(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32)
llvm.func @main(%ctx: !llvm.ptr, %p: !llvm.ptr) attributes {cleave.ctx_arg} {
  %c = llvm.mlir.constant(4 : i64) : i64
  %z = llvm.mlir.constant(0 : i32) : i32
  llvm.call @cleave_rt_all_reduce(%ctx, %p, %p, %c, %z, %z, %z) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32, i32) -> ()
  llvm.call @cleave_rt_all_gather(%ctx, %p, %p, %c, %z, %z) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i32, i32) -> ()
  llvm.return
}
