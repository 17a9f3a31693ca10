// Where each cleave attribute may appear and what it holds, one diagnostic each.
// RUN: cleave-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'cleave.stage' expects a non-negative i64 stage id, got -1 : i64}}
func.func @stage() attributes {cleave.stage = -1 : i64} {
  return
}

// -----

// expected-error @+1 {{'cleave.device' expects "KIND:INDEX" with KIND cpu, cuda or rocm, got "tpu:0"}}
func.func @device() attributes {cleave.device = "tpu:0"} {
  return
}

// -----

// expected-error @+1 {{'cleave.estimate' expects a #cleave.estimate, got {seconds = 1.000000e+00 : f64}}}
func.func @estimate() attributes {cleave.estimate = {seconds = 1.0 : f64}} {
  return
}

// -----

// expected-error @+1 {{an estimate's times must be non-negative}}
func.func @negative_estimate() attributes {cleave.estimate = #cleave.estimate<seconds = -1.0, compute_seconds = 0.0, send_seconds = 0.0, flops = 0, bytes = 0, param_bytes = 0, activation_bytes = 0, send_bytes = 0>} {
  return
}

// -----

// expected-error @+1 {{'cleave.ctx_arg' expects a first argument of type !llvm.ptr}}
func.func @ctx(%a: memref<4xf32>) attributes {cleave.ctx_arg} {
  return
}

// -----

// expected-error @+1 {{'cleave.stage' belongs on a function}}
module attributes {cleave.stage = 0 : i64} {
}

// -----

// expected-error @+1 {{has an unknown cleave attribute 'cleave.stages'}}
func.func @unknown() attributes {cleave.stages = 0 : i64} {
  return
}

// -----

// expected-error @+1 {{'cleave.recv' belongs on a function argument}}
func.func @recv_on_function() attributes {cleave.recv = #cleave.transfer<"h", 0>} {
  return
}

// -----

// expected-error @+1 {{argument 0: 'cleave.recv' expects a #cleave.transfer, got {from = 0 : i64, name = "h"}}}
func.func @untyped_recv(%h: tensor<4xf32> {cleave.recv = {name = "h", from = 0 : i64}}) {
  return
}

// -----

// expected-error @+1 {{transfer 'h' expects a non-negative peer stage, got -2}}
func.func @negative_peer(%h: tensor<4xf32> {cleave.recv = #cleave.transfer<"h", -2>}) {
  return
}

// -----

// expected-error @+1 {{a transfer needs a non-empty tensor name}}
func.func @unnamed(%h: tensor<4xf32> {cleave.recv = #cleave.transfer<"", 0>}) {
  return
}

// -----

// expected-error @+1 {{argument 0: 'cleave.send' expects a #cleave.transfer, got "h"}}
func.func @untyped_send(%h: memref<4xf32> {cleave.send = "h"}) {
  return
}

// -----

// expected-error @+1 {{result 0 has a cleave attribute 'cleave.recv' that does not belong on a result}}
func.func @recv_on_result() -> (tensor<4xf32> {cleave.recv = #cleave.transfer<"h", 0>}) {
  %e = tensor.empty() : tensor<4xf32>
  return %e : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument 0: 'cleave.param' expects a non-empty parameter name, got ""}}
func.func @param(%w: tensor<4xf32> {cleave.param = ""}) {
  return
}

// -----

// expected-error @+1 {{argument 0: 'cleave.param_value' of type 'tensor<2xf32>' does not fit the argument's type 'tensor<4xf32>'}}
func.func @param_value(%w: tensor<4xf32> {cleave.param = "w", cleave.param_value = dense<1.0> : tensor<2xf32>}) {
  return
}

// -----

// expected-error @+1 {{'cleave.schedule' expects a non-negative i64 schedule id, got "a"}}
func.func @schedule() attributes {cleave.schedule = "a"} {
  return
}

// -----

// expected-error @+1 {{a split is 'column', 'row' or 'vocab', got "diagonal"}}
module attributes {cleave.tensor_parallel = [#cleave.split<node = "fc", how = "diagonal", weight = "w">]} {
}

// -----

// expected-error @+1 {{a collective is 'all_reduce_sum' or 'all_gather', got "broadcast"}}
module attributes {cleave.collectives = [#cleave.collective<kind = "broadcast", after = "fc", elements = 4>]} {
}

// -----

// expected-error @+1 {{'cleave.collectives' expects an array of #cleave.collective}}
module attributes {cleave.collectives = ["all_gather"]} {
}

// -----

// expected-error @below {{'cleave.op_groups' expects ids 0, 1, ... in order, got 1 at 0}}
module attributes {cleave.op_groups = [#cleave.op_group<id = 1, nodes = ["a"]>]} {}

// -----

// expected-error @below {{'cleave.op_groups' belongs on a module}}
func.func @f() attributes {cleave.op_groups = []} {
  return
}
