// The cost model behind pipeline partitioning: op time, transfer time, memory.
#ifndef CLEAVE_COMPILER_PARTITION_COSTMODEL_H
#define CLEAVE_COMPILER_PARTITION_COSTMODEL_H

#include "compiler/partition/DeviceSpec.h"

#include "mlir/IR/Operation.h"

namespace cleave {

/// Kinds of work that generated code runs at different fractions of a device's throughput
/// (DeviceSpec's efficiencies).
enum class OpClass {
  Other,        ///< elementwise, normalisation, data movement: the device's throughput
  Matmul,       ///< conv, gemm, matmul with at least kWideColumns output columns per group
  NarrowMatmul, ///< the same with fewer output columns (a narrower cache tile)
  Window,       ///< max and average pooling windows
};

/// Output columns (channels per group for a conv) from which a matmul-like op fills the CPU
/// code generator's cache tile (CpuSchedules.cpp: 128 columns of B).
constexpr int64_t kWideColumns = 128;

/// What one op costs, independent of the device.
struct OpCost {
  int64_t flops = 0;      ///< from the op's CostInterface
  int64_t bytes = 0;      ///< bytes read and written, from the CostInterface
  int64_t paramBytes = 0; ///< bytes of the onnx.parameter ops among its operands
  OpClass opClass = OpClass::Other;
};

/// The class of `op` (Other for ops the cost model does not single out).
OpClass opClass(mlir::Operation *op);

/// True for ops that do no work at run time and go wherever they are used: onnx.constant
/// and onnx.parameter.
bool isFreeOp(mlir::Operation *op);

/// The cost of `op` (zero for ops without a CostInterface and for free ops).
OpCost opCost(mlir::Operation *op);

/// Roofline time of an op on a device, in seconds:
/// max(flops / (throughput x efficiency of its class), bytes / memory bandwidth).
double opSeconds(const OpCost &cost, const DeviceSpec &device);

/// Time to send `bytes` in `messages` messages over the link, in seconds:
/// messages * latency + bytes / link bandwidth (zero for no messages).
double transferSeconds(int64_t bytes, int64_t messages, const LinkSpec &link);

/// Time to move a cut of `bytes` in `messages` messages from a stage on `from` to the next
/// stage on `to`: transferSeconds over the link, plus, for each GPU end, the copy between
/// device and host memory (bytes / hostBandwidthGBs), which the runtime does around MPI.
double cutSeconds(int64_t bytes, int64_t messages, const LinkSpec &link, const DeviceSpec &from,
                  const DeviceSpec &to);

/// Time of one collective over a group of `ranks` on the link, in seconds, as a ring runs
/// it: an all-reduce of `bytes` sends 2 (ranks - 1) messages of bytes / ranks, an all-gather
/// of a `bytes` result (ranks - 1) such messages. `kind` is CLEAVE_COLLECTIVE_ALL_REDUCE_SUM
/// or CLEAVE_COLLECTIVE_ALL_GATHER; zero for one rank.
double collectiveSeconds(llvm::StringRef kind, int64_t bytes, int64_t ranks,
                         const LinkSpec &link);

/// Bytes of a statically shaped tensor type (0 for anything else).
int64_t typeBytes(mlir::Type type);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_COSTMODEL_H
