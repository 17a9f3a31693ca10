// Collective calls the runtime cannot take are refused, naming the call.
// RUN: cleave-opt %s --cleave-lower-collectives --split-input-file --verify-diagnostics

func.func private @broadcast(memref<4xf32>) -> memref<4xf32> attributes {cleave.collective = "broadcast"}
func.func @main(%p: memref<4xf32>) -> memref<4xf32> {
  // expected-error @below {{calls a collective of unknown kind "broadcast" (expected "all_reduce_sum" or "all_gather")}}
  %s = call @broadcast(%p) : (memref<4xf32>) -> memref<4xf32>
  return %s : memref<4xf32>
}

// -----

func.func private @gather(memref<4x8xf32>) -> memref<8x4xf32> attributes {cleave.collective = "all_gather"}
func.func @main(%p: memref<4x8xf32>) -> memref<8x4xf32> {
  // expected-error @below {{all-gather of 'memref<4x8xf32>' cannot give 'memref<8x4xf32>' (expected the operand's shape after a leading group-size dim)}}
  %s = call @gather(%p) : (memref<4x8xf32>) -> memref<8x4xf32>
  return %s : memref<8x4xf32>
}

// -----

func.func private @gather(memref<4xi1>) -> memref<2x4xi1> attributes {cleave.collective = "all_gather"}
func.func @main(%p: memref<4xi1>) -> memref<2x4xi1> {
  // expected-error @below {{all-gather of 'memref<4xi1>' is not supported (static f32, f16, bf16, f64 or integers of 8 to 64 bits)}}
  %s = call @gather(%p) : (memref<4xi1>) -> memref<2x4xi1>
  return %s : memref<2x4xi1>
}

// -----

func.func private @sum(memref<4xf32>) -> memref<2x4xf32> attributes {cleave.collective = "all_reduce_sum"}
func.func @main(%p: memref<4xf32>) -> memref<2x4xf32> {
  // expected-error @below {{all-reduce of 'memref<4xf32>' cannot give 'memref<2x4xf32>' (expected the operand's shape)}}
  %s = call @sum(%p) : (memref<4xf32>) -> memref<2x4xf32>
  return %s : memref<2x4xf32>
}

// -----

func.func private @sum(memref<4xi8>) -> memref<4xi8> attributes {cleave.collective = "all_reduce_sum"}
func.func @main(%p: memref<4xi8>) -> memref<4xi8> {
  // expected-error @below {{all-reduce of 'memref<4xi8>' is not supported (static f32, f64, i32, i64)}}
  %s = call @sum(%p) : (memref<4xi8>) -> memref<4xi8>
  return %s : memref<4xi8>
}
