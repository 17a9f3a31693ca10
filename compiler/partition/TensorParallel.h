// Tensor parallelism: Megatron column/row splits of the onnx-level module, one module per rank.
#ifndef CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H
#define CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace cleave {

/// One Megatron pair found by planTensorParallel: `column` is split by output columns, the
/// elementwise ops between stay local, `row` is split by input rows and followed by one
/// all-reduce (sum) of its partial output.
struct TensorParallelPair {
  std::string column, row;           ///< ONNX node names of the two matmul-like ops
  std::string columnWeight, rowWeight; ///< their weights' parameter names
};

/// The attribute that marks the private function declarations standing for collectives
/// (`cleave.collective = "all_reduce_sum"`) until LowerCollectivesPass turns their calls
/// into runtime calls.
inline constexpr const char *kCollectiveAttr = "cleave.collective";

/// Rewrites `module` (onnx level, @main) into rank `rank`'s part of a `tp`-way split: the
/// Megatron pairs it finds (overlapping candidates: smallest all-reduce first) get their
/// weights and biases sliced for this rank, the shapes between them narrowed and an
/// all-reduce after the row-split op; everything else is replicated. A row op's bias is added after the all-reduce (MatMul + Add) or kept by rank 0
/// only (Gemm's C). Every parameter is renamed `<name>.rank<r>`. Returns the pairs, or
/// fails with one error (on the node) when the model has no op that can be split.
mlir::FailureOr<std::vector<TensorParallelPair>>
applyTensorParallel(mlir::ModuleOp module, int64_t tp, int64_t rank);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H
