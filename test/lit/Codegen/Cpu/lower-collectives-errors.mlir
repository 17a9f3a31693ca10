// Collectives the pass cannot lower are refused, naming the op.
// RUN: cleave-opt %s --cleave-lower-collectives --split-input-file --verify-diagnostics

func.func @main(%p: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @below {{must be bufferized before its collectives are lowered}}
  %s = cleave.all_reduce %p into %e : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

func.func @helper(%p: memref<4xf32>, %q: memref<4xf32>) {
  // expected-error @below {{must be in the stage function @main}}
  cleave.all_reduce %p into %q : memref<4xf32>, memref<4xf32>
  return
}
func.func @main() {
  return
}

// -----

// expected-error @below {{collectives need the stage function @main}}
module {
  func.func @stage(%p: memref<4xf32>, %q: memref<4xf32>) {
    cleave.all_reduce %p into %q : memref<4xf32>, memref<4xf32>
    return
  }
}
