// Unequal devices from a device file: the device three times as fast gets three of the
// four matmuls.
// RUN: split-file %s %t
// RUN: cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 device-file=%t/devices.json" | FileCheck %s
// RUN: cleave-opt %t/model.mlir --cleave-partition-pipeline="stages=2 devices=cpu:1,cpu:0 device-file=%t/devices.json" | FileCheck %s --check-prefix=SWAP

// CHECK-LABEL: func.func @stage_0(
// CHECK-SAME:    cleave.device = "cpu:0"
// CHECK-COUNT-3: onnx.matmul
// CHECK:         pipe.send
// CHECK-LABEL: func.func @stage_1(
// CHECK-SAME:    cleave.device = "cpu:1"
// CHECK:         pipe.recv
// CHECK-NEXT:    onnx.parameter
// CHECK-NEXT:    onnx.matmul
// CHECK-NEXT:    return

// SWAP-LABEL: func.func @stage_0(
// SWAP-SAME:    cleave.device = "cpu:1"
// SWAP:         onnx.matmul
// SWAP-NEXT:    pipe.send
// SWAP-LABEL: func.func @stage_1(
// SWAP-SAME:    cleave.device = "cpu:0"
// SWAP-COUNT-3: onnx.matmul

//--- devices.json
{
  "devices": [
    { "device": "cpu:0", "gflops": 300 },
    { "device": "cpu:1", "gflops": 100, "bandwidth_gbs": 40, "memory_bytes": 1000000000 }
  ],
  "link": { "bandwidth_gbs": 8, "latency_us": 1 }
}

//--- model.mlir
func.func @main(%x: tensor<64x256xf32> {onnx.name = "x"}) -> (tensor<64x256xf32> {onnx.name = "y"}) {
  %w = onnx.parameter "w" dense<1.0> : tensor<256x256xf32>
  %h1 = onnx.matmul %x, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm1")
  %h2 = onnx.matmul %h1, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm2")
  %h3 = onnx.matmul %h2, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm3")
  %y = onnx.matmul %h3, %w : (tensor<64x256xf32>, tensor<256x256xf32>) -> tensor<64x256xf32> loc("mm4")
  return %y : tensor<64x256xf32>
}
