// RUN: cleave-opt %s --cleave-gpu-codegen="kind=cuda chip=sm_90" | FileCheck %s --check-prefix=NVVM
// RUN: cleave-opt %s --cleave-gpu-codegen="kind=rocm chip=gfx942" | FileCheck %s --check-prefix=ROCDL
// RUN: cleave-opt %s --cleave-gpu-codegen="kind=cuda chip=sm_90 binary=true" | FileCheck %s --check-prefix=BIN

// A fill, a 20x24x8 matmul and a bias-add + ReLU (sizes that are not multiples of any
// tile): one shared-memory tiled kernel of one block of 256 threads, which computes the
// fill's zero instead of loading it and applies the bias and ReLU before its store
// (schedules.mlir). The host function holds only the launch; constants are sunk into the
// kernel, which takes bare pointers.
// NVVM-LABEL: func.func @main
// NVVM-SAME:    %[[X:.*]]: memref<20x8xf32>, %[[W:.*]]: memref<8x24xf32>, %[[B:.*]]: memref<24xf32>, %[[OUT:.*]]: memref<20x24xf32>
// NVVM:         gpu.launch_func @cleave_kernels::@[[K:main_kernel]] blocks in (%[[C1:.*]], %[[C1]], %[[C1]]) threads in (%c256, %[[C1]], %[[C1]]) args(%[[X]] : memref<20x8xf32>, %[[W]] : memref<8x24xf32>, %[[B]] : memref<24xf32>, %[[OUT]] : memref<20x24xf32>)
// NVVM-NEXT:    return
// NVVM-NOT:     linalg.
// NVVM:         gpu.module @cleave_kernels [#nvvm.target<chip = "sm_90">]
// NVVM:         llvm.mlir.global internal @__wg_[[K]]_0() {addr_space = 3 : i32} : !llvm.array<512 x f32>
// NVVM:         llvm.func @[[K]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes {gpu.kernel
// NVVM:           nvvm.read.ptx.sreg.tid.x
// NVVM:           llvm.fmul
// NVVM:           llvm.fadd
// NVVM:           nvvm.barrier0
// NVVM:           llvm.intr.maximum

// ROCDL:        gpu.module @cleave_kernels [#rocdl.target<chip = "gfx942">]
// ROCDL:          rocdl.workitem.id
// ROCDL:          rocdl.barrier

// BIN:          gpu.launch_func @cleave_kernels::
// BIN:          gpu.binary @cleave_kernels [#gpu.object<#nvvm.target<chip = "sm_90">, properties =
// BIN-NOT:      gpu.module
#map = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
module {
  func.func @main(%x: tensor<20x8xf32> {bufferization.writable = false},
                  %w: tensor<8x24xf32> {bufferization.writable = false},
                  %b: tensor<24xf32> {bufferization.writable = false}) -> tensor<20x24xf32> {
    %zero = arith.constant 0.0 : f32
    %empty = tensor.empty() : tensor<20x24xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<20x24xf32>) -> tensor<20x24xf32>
    %mm = linalg.matmul ins(%x, %w : tensor<20x8xf32>, tensor<8x24xf32>)
                        outs(%acc : tensor<20x24xf32>) -> tensor<20x24xf32>
    %r = linalg.generic {indexing_maps = [#map, #bias, #map],
                         iterator_types = ["parallel", "parallel"]}
        ins(%mm, %b : tensor<20x24xf32>, tensor<24xf32>) outs(%empty : tensor<20x24xf32>) {
    ^bb0(%in: f32, %bias: f32, %out: f32):
      %s = arith.addf %in, %bias : f32
      %m = arith.maximumf %s, %zero : f32
      linalg.yield %m : f32
    } -> tensor<20x24xf32>
    return %r : tensor<20x24xf32>
  }
}
