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
