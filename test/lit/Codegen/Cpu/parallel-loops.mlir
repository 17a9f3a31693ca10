// RUN: cleave-opt %s --cleave-cpu-tile-and-vectorize | FileCheck %s
// RUN: cleave-opt %s --cleave-cpu-tile-and-vectorize \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --scf-forall-to-parallel --convert-scf-to-openmp --canonicalize \
// RUN:   | FileCheck --check-prefix=OMP %s

// 128x256x64 matmul: 2x2 cache tiles of 64x128 are the iterations of an scf.forall over
// the output (M and N, no reduction), each running the sequential register-tile loops.
// CHECK-LABEL: func.func @matmul
// CHECK:       %[[R:.*]] = scf.forall (%[[I:.*]], %[[J:.*]]) in (2, 2) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:         %[[TILE:.*]] = scf.for
// CHECK:           vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:         scf.forall.in_parallel
// CHECK-NEXT:      tensor.parallel_insert_slice %[[TILE]] into %[[OUT]][{{.*}}] [64, 128] [1, 1]
// CHECK:       return %[[R]]

// After bufferization the forall becomes an OpenMP worksharing loop over both tile dims.
// OMP-LABEL: func.func @matmul
// OMP:       omp.parallel {
// OMP-NEXT:    omp.wsloop {
// OMP-NEXT:      omp.loop_nest (%{{.*}}, %{{.*}}) : index = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %{{.*}}) collapse(2) {
// OMP:             scf.for
// OMP:             omp.yield
// OMP:         omp.terminator
// OMP-NOT:   scf.forall
func.func @matmul(%a: tensor<128x64xf32>, %b: tensor<64x256xf32>, %c: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%c : tensor<128x256xf32>) -> tensor<128x256xf32>
  return %r : tensor<128x256xf32>
}

// An elementwise op of 64K elements is split over threads along its first dim longer than
// one (64, in 16 chunks of 4).
// CHECK-LABEL: func.func @relu
// CHECK:       scf.forall (%{{.*}}) in (16) shared_outs
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x32x32xf32>)
// OMP-LABEL:   func.func @relu
// OMP:         omp.wsloop
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @relu(%x: tensor<1x64x32x32xf32>, %init: tensor<1x64x32x32xf32>) -> tensor<1x64x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
         ins(%x : tensor<1x64x32x32xf32>) outs(%init : tensor<1x64x32x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x64x32x32xf32>
  return %r : tensor<1x64x32x32xf32>
}

// Below 64K elements the thread start-up would cost more than the loop: no forall.
// CHECK-LABEL: func.func @small
// CHECK-NOT:   scf.forall
// CHECK:       linalg.generic
func.func @small(%x: tensor<64x64xf32>, %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
         ins(%x : tensor<64x64xf32>) outs(%init : tensor<64x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}
