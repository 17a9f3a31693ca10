// Partitioning errors: memory, too few ops, too few devices, bad device files.
// RUN: split-file %s %t
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/small.json" 2>&1 | FileCheck %s --check-prefix=MEMORY
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline=stages=3 2>&1 | FileCheck %s --check-prefix=FEW-OPS
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 devices=cpu:0" 2>&1 | FileCheck %s --check-prefix=FEW-DEVICES
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/unknown.json" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/negative.json" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 devices=cpu:0,cpu:0" 2>&1 | FileCheck %s --check-prefix=TWICE

// The 256 KiB weight does not fit a device with 200 KB, wherever the cut goes.
// MEMORY: error: no split into 2 stages fits the devices' memory: stage 0 on rank 0 (nodes 'mm1' to 'mm1') needs 393216 bytes (parameters 262144, activations 131072), device 'cpu:0' has 200000 (memory_bytes in --device-file)
// FEW-OPS: error: the model has 2 ops, too few for 3 pipeline stages
// FEW-DEVICES: error: pipeline partitioning into 2 stages needs 2 devices, got 1
// UNKNOWN: error: device file names device 'cuda:0', which is not in --devices
// BAD: error: device file '{{.*}}bad.json' is not valid JSON: {{.*}}
// NEGATIVE: error: device file: device 'cpu:1': 'gflops' must be a positive number
// MISSING: error: cannot read device file '{{.*}}missing.json': {{.*}}
// TWICE: error: device 'cpu:0' is listed twice in --devices

//--- small.json
{ "devices": [ { "device": "cpu:0", "memory_bytes": 200000 },
               { "device": "cpu:1", "memory_bytes": 200000 } ] }

//--- unknown.json
{ "devices": [ { "device": "cuda:0", "gflops": 1000 } ] }

//--- bad.json
{ "devices": [

//--- negative.json
{ "devices": [ { "device": "cpu:1", "gflops": -5 } ] }

//--- model.mlir
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32>
  %h = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm1")
  %y = onnx.matmul %h, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm2")
  return %y : tensor<64x256xf32>
}
