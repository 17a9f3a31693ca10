// RUN: cleave-opt %s --cleave-cpu-tile-and-vectorize=phase=buffer | FileCheck %s

// The accumulator tile of %c is read before the k loop, carried through it and written
// after it, although %c is also reshaped elsewhere (upstream's hoisting gives up on that).
// The schedule then lowers the in-bounds transfers to plain vector loads and stores.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME:  %[[C:[a-z0-9]+]]: memref<8x32xf32>
// CHECK:       %[[INIT:.*]] = vector.load %[[C]][%c0, %c0] : memref<8x32xf32>, vector<32xf32>
// CHECK:       %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<32xf32>)
// CHECK-NOT:     vector.store
// CHECK:         vector.fma %{{.*}}, %{{.*}}, %[[ACC]]
// CHECK:         scf.yield
// CHECK:       vector.store %[[SUM]], %[[C]][%c0, %c0]
func.func @accumulate(%a: memref<8x64xf32>, %b: memref<64x32xf32>, %c: memref<8x32xf32>)
    -> memref<256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %x = vector.transfer_read %a[%c0, %k], %pad : memref<8x64xf32>, vector<1xf32>
    %s = vector.extract %x[0] : f32 from vector<1xf32>
    %row = vector.transfer_read %b[%k, %c0], %pad : memref<64x32xf32>, vector<32xf32>
    %acc = vector.transfer_read %c[%c0, %c0], %pad : memref<8x32xf32>, vector<32xf32>
    %sb = vector.broadcast %s : f32 to vector<32xf32>
    %r = vector.fma %sb, %row, %acc : vector<32xf32>
    vector.transfer_write %r, %c[%c0, %c0] : vector<32xf32>, memref<8x32xf32>
  }
  %flat = memref.collapse_shape %c [[0, 1]] : memref<8x32xf32> into memref<256xf32>
  return %flat : memref<256xf32>
}

// A second access to the tile's buffer in the loop keeps the tile in memory.
// CHECK-LABEL: func.func @other_access
// CHECK:       scf.for
// CHECK:         vector.load %{{.*}}[%c0, %c0]
// CHECK:         vector.store
// CHECK:         memref.store
func.func @other_access(%b: memref<64x32xf32>, %c: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %row = vector.transfer_read %b[%k, %c0], %pad : memref<64x32xf32>, vector<32xf32>
    %acc = vector.transfer_read %c[%c0, %c0], %pad : memref<8x32xf32>, vector<32xf32>
    %r = arith.addf %row, %acc : vector<32xf32>
    vector.transfer_write %r, %c[%c0, %c0] : vector<32xf32>, memref<8x32xf32>
    memref.store %pad, %c[%c1, %c0] : memref<8x32xf32>
  }
  return
}
