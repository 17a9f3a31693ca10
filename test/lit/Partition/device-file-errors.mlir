// Malformed device files and pass options: one error line each.
// RUN: split-file %s %t
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/array.json" 2>&1 | FileCheck %s --check-prefix=ARRAY
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/link.json" 2>&1 | FileCheck %s --check-prefix=LINK
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/link-key.json" 2>&1 | FileCheck %s --check-prefix=LINK-KEY
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/devices.json" 2>&1 | FileCheck %s --check-prefix=DEVICES
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/entry.json" 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/key.json" 2>&1 | FileCheck %s --check-prefix=KEY
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/host.json" 2>&1 | FileCheck %s --check-prefix=HOST
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device=cuda:0 device-file=%t/host-zero.json" 2>&1 | FileCheck %s --check-prefix=HOST-ZERO
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device-file=%t/efficiency.json" 2>&1 | FileCheck %s --check-prefix=EFFICIENCY
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device=cpu:0-1" 2>&1 | FileCheck %s --check-prefix=ONE
// RUN: not cleave-opt %t/model.mlir --cleave-print-cost="device=tpu:0" 2>&1 | FileCheck %s --check-prefix=UNKNOWN-KIND
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=-1" 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not cleave-opt %t/empty.mlir --cleave-partition-pipeline="stages=1" 2>&1 | FileCheck %s --check-prefix=NO-MAIN

// ARRAY: error: device file '{{.*}}array.json' must hold a JSON object
// LINK: error: device file: 'link' must be an object
// LINK-KEY: error: device file: link: unknown key 'bandwidth' (expected bandwidth_gbs, latency_us)
// DEVICES: error: device file: 'devices' must be an array
// ENTRY: error: device file: each device entry needs "device": "KIND:INDEX"
// KEY: error: device file: device 'cpu:0': unknown key 'flops' (expected gflops, bandwidth_gbs, memory_bytes, host_bandwidth_gbs, narrow_matmul_efficiency, window_efficiency)
// HOST: error: device file: device 'cpu:0': 'host_bandwidth_gbs' applies to GPUs only (a cpu stage's data is in host memory)
// HOST-ZERO: error: device file: device 'cuda:0': 'host_bandwidth_gbs' must be a positive number
// EFFICIENCY: error: device file: device 'cpu:0': 'narrow_matmul_efficiency' and 'window_efficiency' must be at most 1
// ONE: error: cleave-print-cost expects one device, got 'cpu:0-1'
// UNKNOWN-KIND: error: unknown device kind 'tpu' in --devices (expected cpu, cuda or rocm)
// STAGES: error: pipeline partitioning expects a positive number of stages
// NO-MAIN: error: pipeline partitioning expects a function @main with a body

//--- array.json
[1, 2]

//--- link.json
{ "link": 8 }

//--- link-key.json
{ "link": { "bandwidth": 8 } }

//--- devices.json
{ "devices": { "device": "cpu:0" } }

//--- entry.json
{ "devices": [ { "gflops": 10 } ] }

//--- key.json
{ "devices": [ { "device": "cpu:0", "flops": 10 } ] }

//--- empty.mlir
func.func @other() {
  return
}

//--- model.mlir
func.func @main(%x: tensor<4xf32> {onnx.name = "x"}) -> tensor<4xf32> {
  %y = onnx.relu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

//--- host.json
{ "devices": [ { "device": "cpu:0", "host_bandwidth_gbs": 10 } ] }

//--- host-zero.json
{ "devices": [ { "device": "cuda:0", "host_bandwidth_gbs": 0 } ] }

//--- efficiency.json
{ "devices": [ { "device": "cpu:0", "window_efficiency": 1.5 } ] }
