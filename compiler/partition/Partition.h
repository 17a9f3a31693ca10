// Pipeline partitioning: the stage plan, and outlining @main into one function per stage.
#ifndef CLEAVE_COMPILER_PARTITION_PARTITION_H
#define CLEAVE_COMPILER_PARTITION_PARTITION_H

#include "compiler/partition/DeviceSpec.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace cleave {

/// One stage of a plan: a contiguous range of @main's ops on one device.
struct StagePlan {
  int64_t begin = 0, end = 0; ///< [begin, end) in @main's ops, constants and parameters left out
  DeviceSpec device;
  std::string firstNode, lastNode; ///< ONNX node names of the first and last op
  int64_t flops = 0, bytes = 0;
  int64_t paramBytes = 0;      ///< parameters the stage's ops use, each counted once
  int64_t activationBytes = 0; ///< received tensors + every op result (no buffer reuse)
  int64_t sendBytes = 0;       ///< tensors sent to the next stage
  int64_t sendCount = 0;
  double computeSeconds = 0, sendSeconds = 0;

  int64_t opCount() const { return end - begin; }
  /// What the stage takes per microbatch: its compute, then sending its outgoing cut.
  double seconds() const { return computeSeconds + sendSeconds; }
};

/// A pipeline plan: stage k runs on device k.
struct PipelinePlan {
  std::vector<StagePlan> stages;
  LinkSpec link;

  /// The stage with the largest time per microbatch.
  int64_t bottleneck() const;
  /// Predicted time of one batch of `microbatches` microbatches: the pipeline fills (every
  /// stage once), then the bottleneck stage paces the remaining microbatches.
  double batchSeconds(int64_t microbatches) const;
};

/// Chooses the stages of `module`'s @main over the first `stages` devices of `cluster`
/// (dynamic programming over contiguous op ranges minimising the slowest stage, within
/// each device's memory). Emits one error and fails if there is no such plan; the error
/// names the ranks of the stage that does not fit (stage k runs on ranks
/// k * ranksPerStage .. (k + 1) * ranksPerStage - 1).
/// With `stageIO` (plans compiled for generation), graph inputs and outputs do not cross cuts
/// (see outlineStages), which the plan's transfer costs reflect.
mlir::FailureOr<PipelinePlan> planPipeline(mlir::ModuleOp module, const Cluster &cluster,
                                           int64_t stages, int64_t ranksPerStage = 1,
                                           bool stageIO = false);

/// Replaces @main by one function per stage of `plan` (`@stage_<k>`, see
/// docs/partitioning.md), with pipe.recv and pipe.send at the cuts. With `stageIO`, each
/// stage takes the graph inputs its ops read and returns the graph outputs its ops compute,
/// instead of stage 0 taking every input and forwarding it, and the last stage returning
/// every output forwarded to it: a decoder's caches stay with the stage of their layer.
mlir::LogicalResult outlineStages(mlir::ModuleOp module, const PipelinePlan &plan,
                                  bool stageIO = false);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_PARTITION_H
