// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-gpu-schedules))' | FileCheck %s --check-prefix=GPU
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-gpu-schedules{serial=true}))' | FileCheck %s --check-prefix=SERIAL

// A 20x40 * 40x24 matmul: one block (32x32 tiles, as 2x2 blocks of 64 would be too few) of
// 256 threads, A and B tiles in workgroup memory, each thread's 2x2 accumulators private,
// the k dims 16 at a time with a barrier after the copies and after the products, the
// output updated at the end.
// GPU-LABEL: func.func @matmul
// GPU-SAME:    %[[A:.*]]: memref<20x40xf32>, %[[B:.*]]: memref<40x24xf32>, %[[C:.*]]: memref<20x24xf32>
// GPU:         gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads(%[[TX:[^,]*]], {{.*}}) in ({{.*}} = %c256
// GPU-SAME:      workgroup(%[[TA:[^ ]*]] : memref<32x16xf32, #gpu.address_space<workgroup>>, %[[TB:[^ ]*]] : memref<16x32xf32, #gpu.address_space<workgroup>>) private(%[[ACC:[^ ]*]] : memref<2x2xf32, #gpu.address_space<private>>)
// GPU:           scf.for %[[K0:.*]] = %{{.*}} to %c40{{.*}} step %c16
// GPU:             scf.for %{{.*}} = %[[TX]] to %c512
// GPU:               memref.load %[[A]]
// GPU:               memref.store %{{.*}}, %[[TA]]
// GPU:             scf.for %{{.*}} = %[[TX]] to %c512
// GPU:               memref.load %[[B]]
// GPU:               memref.store %{{.*}}, %[[TB]]
// GPU-NEXT:        }
// GPU-NEXT:        gpu.barrier
// GPU:             scf.for %{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32)
// GPU-COUNT-4:       arith.mulf
// GPU:             gpu.barrier
// GPU-NEXT:      }
// GPU:           memref.load %[[ACC]]
// GPU:           memref.store %{{.*}}, %[[C]]
// GPU:           gpu.terminator
// GPU-NOT:     linalg.matmul

// Serially: no launch, the shared buffers on the stack, the private ones with a leading dim
// over the threads, the same steps as loops from 0.
// SERIAL-LABEL: func.func @matmul
// SERIAL:         memref.alloca() : memref<32x16xf32>
// SERIAL:         memref.alloca() : memref<16x32xf32>
// SERIAL:         memref.alloca() : memref<256x2x2xf32>
// SERIAL-NOT:     gpu.
// SERIAL-NOT:     linalg.matmul
// SERIAL:         return
func.func @matmul(%a: memref<20x40xf32>, %b: memref<40x24xf32>, %c: memref<20x24xf32>) {
  linalg.matmul ins(%a, %b : memref<20x40xf32>, memref<40x24xf32>)
                outs(%c : memref<20x24xf32>)
  return
}

// A strided convolution is a contraction too: its input window is read through the
// indexing map (oh * 2 + kh), without an im2col buffer.
// GPU-LABEL: func.func @conv
// GPU:         gpu.launch
// GPU:           affine.apply #{{.*}}(%{{.*}})
// GPU-NOT:     linalg.conv_2d_nchw_fchw
func.func @conv(%x: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  return
}

// A sum of exps over 100 elements: a block of 128 threads per output, each folding a strided
// share (the body's exp cloned in), then a tree of 7 halving steps in workgroup memory.
// GPU-LABEL: func.func @sum_exp
// GPU:         gpu.launch blocks({{.*}}) in ({{.*}} = %c6{{.*}}) threads(%[[T:[^,]*]], {{.*}}) in ({{.*}} = %c128{{.*}}) workgroup(%[[P:.*]] : memref<128xf32, #gpu.address_space<workgroup>>)
// GPU:           %[[ZERO:.*]] = arith.constant 0.000000e+00
// GPU:           scf.for %[[I:.*]] = %[[T]] to %c128
// GPU:             scf.for %{{.*}} = %[[I]] to %c100{{.*}} step %c128{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]])
// GPU:               math.exp
// GPU:               arith.addf %{{.*}}, %[[ACC]]
// GPU:           gpu.barrier
// GPU-COUNT-6:   gpu.barrier
// GPU:           scf.for %{{.*}} = %[[T]] to %c1
// GPU:             memref.load %[[P]]
// GPU:             memref.store
// GPU-NOT:       gpu.barrier
// GPU:           gpu.terminator
func.func @sum_exp(%x: memref<6x100xf32>, %y: memref<6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<6x100xf32>) outs(%y : memref<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    %s = arith.addf %e, %out : f32
    linalg.yield %s : f32
  }
  return
}

// Everything else gets one thread per output element. A reduction shorter than 32: one
// block of 32 threads (6 outputs), the 8 elements a loop in the thread from the output's
// initial value.
// GPU-LABEL: func.func @short_max
// GPU:         gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}}) threads(%[[T:[^,]*]], {{.*}}) in ({{.*}} = %c32
// GPU:           %[[P:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// GPU:           %[[IN:.*]] = arith.cmpi ult, %[[P]], %c6
// GPU:           scf.if %[[IN]]
// GPU:             %[[INIT:.*]] = memref.load %{{.*}}[%[[P]]] : memref<6xf32>
// GPU:             %[[MAX:.*]] = scf.for %[[R:.*]] = %{{.*}} to %c8{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]])
// GPU:               %[[X:.*]] = memref.load %{{.*}}[%[[P]], %[[R]]]
// GPU:               arith.maximumf %[[X]], %[[ACC]]
// GPU:             memref.store %[[MAX]], %{{.*}}[%[[P]]]
// GPU-NOT:     linalg.generic
func.func @short_max(%x: memref<6x8xf32>, %y: memref<6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<6x8xf32>) outs(%y : memref<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.maximumf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// An elementwise op over 2x3x50 points: linearised over 2 blocks of 256 threads, guarded,
// linalg.index read from the delinearised point, the unused output not loaded.
// GPU-LABEL: func.func @iota
// GPU:         gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// GPU:           %[[P:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// GPU:           arith.cmpi ult, %[[P]], %c300
// GPU:           %[[D2:.*]] = arith.remui %[[P]], %c50
// GPU-NOT:       memref.load
// GPU:           arith.index_cast %[[D2]] : index to i32
// GPU:           memref.store
func.func @iota(%y: memref<2x3x50xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      outs(%y : memref<2x3x50xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 2 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    linalg.yield %f : f32
  }
  return
}

// A fill's value is a scalar operand, stored as it is.
// GPU-LABEL: func.func @fill
// GPU-SAME:    %[[V:[^:]*]]: f32
// GPU:         gpu.launch
// GPU:           memref.store %[[V]]
func.func @fill(%v: f32, %y: memref<40xf32>) {
  linalg.fill ins(%v : f32) outs(%y : memref<40xf32>)
  return
}

// The fill before a contraction and the elementwise op after it go into its kernel: the
// epilogue adds the fill's value (not a load) to the accumulator, applies the ReLU and
// stores into the ReLU's buffer; the temporary is no longer written.
// GPU-LABEL: func.func @fused
// GPU-SAME:    %[[A:[^:]*]]: memref<20x40xf32>, %[[B:[^:]*]]: memref<40x24xf32>, %[[Y:[^:]*]]: memref<20x24xf32>
// GPU:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// GPU:         gpu.launch
// GPU-NOT:       memref.load %alloc
// GPU:           %[[SUM:.*]] = arith.addf %[[ZERO]], %{{.*}} : f32
// GPU:           %[[RELU:.*]] = arith.maximumf %[[SUM]], %[[ZERO]]
// GPU-NEXT:      memref.store %[[RELU]], %[[Y]]
// GPU:           gpu.terminator
// GPU-NOT:     gpu.launch
// GPU-NOT:     linalg.
// GPU:         return
func.func @fused(%a: memref<20x40xf32>, %b: memref<40x24xf32>, %y: memref<20x24xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<20x24xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<20x24xf32>)
  linalg.matmul ins(%a, %b : memref<20x40xf32>, memref<40x24xf32>) outs(%t : memref<20x24xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<20x24xf32>) outs(%y : memref<20x24xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// An elementwise op writing into the buffer the contraction reads (blocks still read it
// while others would store) stays a kernel of its own; the fill still goes in.
// GPU-LABEL: func.func @not_fused
// GPU-COUNT-2: gpu.launch
// GPU-NOT:     gpu.launch
// GPU:         return
func.func @not_fused(%a: memref<24x24xf32>, %b: memref<24x24xf32>) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<24x24xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<24x24xf32>)
  linalg.matmul ins(%a, %b : memref<24x24xf32>, memref<24x24xf32>) outs(%t : memref<24x24xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<24x24xf32>) outs(%a : memref<24x24xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  return
}
