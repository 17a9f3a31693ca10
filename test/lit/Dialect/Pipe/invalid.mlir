// Verifier diagnostics of the pipe ops, one case each.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

func.func @names_count(%a: tensor<4xf32>) {
  // expected-error @+1 {{expects one name per tensor, got 2 names for 1 tensors}}
  pipe.send %a to 1 as ["a", "b"] : tensor<4xf32>
  return
}

// -----

func.func @empty() {
  // expected-error @+1 {{expects at least one tensor}}
  "pipe.recv"() <{from = 0 : i64, names = []}> : () -> ()
  return
}

// -----

func.func @empty_name(%a: tensor<4xf32>) {
  // expected-error @+1 {{expects non-empty tensor names}}
  pipe.send %a to 1 as [""] : tensor<4xf32>
  return
}

// -----

func.func @duplicate(%a: tensor<4xf32>) {
  // expected-error @+1 {{names tensor 'a' twice}}
  pipe.send %a, %a to 1 as ["a", "a"] : tensor<4xf32>, tensor<4xf32>
  return
}

// -----

func.func @negative(%a: tensor<4xf32>) {
  // expected-error @+1 {{expects a non-negative stage, got -1}}
  pipe.send %a to -1 as ["a"] : tensor<4xf32>
  return
}

// -----

func.func @send_peer(%a: tensor<4xf32>) attributes {cleave.stage = 0 : i64} {
  // expected-error @+1 {{in stage 0 expects 'to' to be stage 1, got 2}}
  pipe.send %a to 2 as ["a"] : tensor<4xf32>
  return
}

// -----

func.func @recv_peer() -> tensor<4xf32> attributes {cleave.stage = 2 : i64} {
  // expected-error @+1 {{in stage 2 expects 'from' to be stage 1, got 0}}
  %a = pipe.recv from 0 as ["a"] : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

func.func @dynamic() -> tensor<?xf32> {
  // expected-error @+1 {{must be variadic of statically shaped tensor}}
  %a = pipe.recv from 0 as ["a"] : tensor<?xf32>
  return %a : tensor<?xf32>
}
