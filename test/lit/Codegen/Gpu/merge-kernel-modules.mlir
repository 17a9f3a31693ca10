// RUN: cleave-opt %s --cleave-gpu-merge-kernel-modules | FileCheck %s

// Two outlined kernels, both called @main_kernel in modules of their own, end up in one
// module named after their former modules; the launches follow.
// CHECK-LABEL: func.func @main
// CHECK:       gpu.launch_func @cleave_kernels::@main_kernel blocks
// CHECK:       gpu.launch_func @cleave_kernels::@main_kernel_0 blocks
// CHECK:       gpu.module @cleave_kernels
// CHECK-DAG:   gpu.func @main_kernel(%{{.*}}: memref<16xf32>) kernel
// CHECK-DAG:   gpu.func @main_kernel_0(%{{.*}}: memref<16xf32>) kernel
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @main(%arg0: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    gpu.launch_func @main_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1) args(%arg0 : memref<16xf32>)
    gpu.launch_func @main_kernel_0::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c16, %c1, %c1) args(%arg0 : memref<16xf32>)
    return
  }
  gpu.module @main_kernel {
    gpu.func @main_kernel(%arg0: memref<16xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @main_kernel_0 {
    gpu.func @main_kernel(%arg0: memref<16xf32>) kernel {
      gpu.return
    }
  }
}
