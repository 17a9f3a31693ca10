// Each run of working ops from the same ONNX nodes is one op group, bracketed by calls of
// cleave_rt_prof_begin/end with its id; views, allocations and deallocations belong to no
// group, an op of no node joins the group before it, and the module lists the groups.
// RUN: cleave-opt %s --cleave-cpu-profile-ops | FileCheck %s --enable-var-scope

// CHECK:       module attributes {cleave.op_groups = [
// CHECK-SAME:    #cleave.op_group<id = 0, nodes = ["fc1"]>,
// CHECK-SAME:    #cleave.op_group<id = 1, nodes = ["bias1", "relu1"]>,
// CHECK-SAME:    #cleave.op_group<id = 2, nodes = ["fc2"]>]}
// CHECK:       func.func private @cleave_rt_prof_end(!llvm.ptr, i32)
// CHECK:       func.func private @cleave_rt_prof_begin(!llvm.ptr, i32)
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    %[[CTX:[^:]*]]: !llvm.ptr, %[[A:[^:]*]]: memref<4x8xf32>
// CHECK-SAME:    attributes {cleave.ctx_arg}
// CHECK:         %[[T:.*]] = memref.alloc()
// CHECK:         %[[ID0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @cleave_rt_prof_begin(%[[CTX]], %[[ID0]])
// CHECK-NEXT:    linalg.fill
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    call @cleave_rt_prof_end(%[[CTX]], %[[ID0]])
// CHECK:         %[[ID1:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    call @cleave_rt_prof_begin(%[[CTX]], %[[ID1]])
// CHECK-NEXT:    linalg.generic
// CHECK:         memref.collapse_shape
// CHECK-NEXT:    memref.copy
// CHECK-NEXT:    call @cleave_rt_prof_end(%[[CTX]], %[[ID1]])
// CHECK:         %[[ID2:.*]] = arith.constant 2 : i32
// CHECK-NEXT:    call @cleave_rt_prof_begin(%[[CTX]], %[[ID2]])
// CHECK-NEXT:    linalg.matmul
// CHECK-NEXT:    call @cleave_rt_prof_end(%[[CTX]], %[[ID2]])
// CHECK-NEXT:    memref.dealloc %[[T]]
// CHECK-NEXT:    return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @main(%a: memref<4x8xf32>, %w: memref<8x8xf32>, %out: memref<4x8xf32>,
                %flat: memref<32xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4x8xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4x8xf32>) loc("fc1")
  linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x8xf32>)
                outs(%t : memref<4x8xf32>) loc("fc1")
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%t : memref<4x8xf32>) {
  ^bb0(%x: f32):
    %r = arith.maximumf %x, %zero : f32
    linalg.yield %r : f32
  } loc(fused["bias1", "relu1"])
  %v = memref.collapse_shape %t [[0, 1]] : memref<4x8xf32> into memref<32xf32> loc("fc2")
  memref.copy %v, %flat : memref<32xf32> to memref<32xf32>
  linalg.matmul ins(%t, %w : memref<4x8xf32>, memref<8x8xf32>)
                outs(%out : memref<4x8xf32>) loc("fc2")
  memref.dealloc %t : memref<4x8xf32>
  return
}
