// Tensor parallelism: propagates Megatron-style splits through the onnx-level module and
// rewrites it for one rank.
#ifndef CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H
#define CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cleave {

/// An op whose parameter is sliced over the ranks.
struct TensorParallelSplit {
  std::string node;   ///< the op's ONNX node name
  std::string how;    ///< "column" (output features), "row" (input features: the result
                      ///< is a partial sum) or "vocab" (a lookup table's rows)
  std::string weight; ///< the sliced parameter's name
};

/// A collective the split needs.
struct TensorParallelCollective {
  std::string kind;  ///< CLEAVE_COLLECTIVE_ALL_REDUCE_SUM or CLEAVE_COLLECTIVE_ALL_GATHER
  std::string after; ///< the node producing the value it acts on
  int64_t elements;  ///< elements of the full (reduced or gathered) value
  int64_t bytes;
};

/// What applyTensorParallel decided, for the manifest and --explain.
struct TensorParallelPlan {
  std::vector<TensorParallelSplit> splits;
  std::vector<TensorParallelCollective> collectives;
  /// Ops with a parameter weight (matmuls, convolutions, lookups) left replicated.
  std::vector<std::string> replicated;
  /// Parameter bytes of the whole model and of this rank's part.
  int64_t parameterBytes = 0, rankParameterBytes = 0;
  /// When nothing was split (`splits` empty): why ("first candidate 'fc': ...").
  std::string refusal;

  /// The one-line error for a plan that must split something and did not.
  std::string refusalMessage(int64_t tp) const {
    return "tensor parallelism (--tp=" + std::to_string(tp) + ") found nothing to split: " +
           refusal;
  }
};

/// Prints `plan` for --explain: the split ops, the collectives with their sizes, the
/// replicated weighted ops and the parameter bytes per rank.
void printTensorParallelPlan(const TensorParallelPlan &plan, int64_t tp, llvm::raw_ostream &os,
                             llvm::StringRef indent = "");

/// Rewrites `module` (onnx level, @main) into rank `rank`'s part of a `tp`-way split.
///
/// Splits start at ops with a parameter weight — a MatMul or Gemm by output columns, a
/// convolution by output channels, an embedding lookup (Gather on a parameter table) by
/// vocabulary rows — and propagate forward through the ops that can work on a split tensor
/// (elementwise ops, reshapes, transposes, slices, softmax, normalisation over other dims,
/// batched matmuls, pooling) until an op with a parameter weight consumes the split along
/// its input features (row split: a partial sum, all-reduced), or the split reaches a graph
/// output (all-gathered). A split that would need an all-gather anywhere else is not taken.
/// Candidate splits are taken smallest collective first, each op in one at most. Every
/// parameter of the rank is renamed `<name>.rank<r>`. When nothing can be split, the module
/// is left as it is and the plan has no splits and a `refusal` (callers decide whether a
/// replicated module will do). Fails only on a module without one-block @main.
mlir::FailureOr<TensorParallelPlan> applyTensorParallel(mlir::ModuleOp module, int64_t tp,
                                                        int64_t rank);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_TENSORPARALLEL_H
