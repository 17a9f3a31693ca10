// Pipeline x tensor parallelism: each pipeline stage runs on a tensor-parallel group of ranks.
#ifndef CLEAVE_COMPILER_PARTITION_STAGEGROUPS_H
#define CLEAVE_COMPILER_PARTITION_STAGEGROUPS_H

#include "compiler/partition/DeviceSpec.h"
#include "compiler/partition/TensorParallel.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <vector>

namespace cleave {

/// The devices the pipeline partitioner sees when each stage runs on a group of `tp`
/// devices: group s is devices [s*tp, (s+1)*tp) of `cluster`, and it counts as one device
/// whose throughput and memory bandwidth are `tp` times its slowest member's (a stage's time
/// is one device's time divided by `tp`, an optimistic bound: ops the tensor-parallel split
/// replicates do not get faster) and whose memory is its smallest member's (each rank may
/// hold the whole stage, when nothing in it is split). The link is unchanged.
Cluster groupDevices(const Cluster &cluster, int64_t tp);

/// One rank of a pipeline x tensor-parallel plan: rank `stage * tp + place` runs place
/// `place` of pipeline stage `stage`'s group.
struct StageGroupRank {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  int64_t stage = 0, place = 0;
  /// What is split over the group; no splits when the stage has nothing to split and every
  /// rank of the group runs all of it (replicated).
  TensorParallelPlan plan;
};

/// Splits each stage module (`splitStages`'s, in stage order) over a group of `tp` ranks
/// with `applyTensorParallel`; a stage in which that finds nothing to split is replicated
/// over its group instead. Every parameter of a rank R's module is named `<name>.rank<R>`
/// (R the rank in the whole plan), so names stay unique in the manifest. Returns the modules
/// in rank order, or fails, with the error emitted, on any other tensor-parallel failure.
mlir::FailureOr<std::vector<StageGroupRank>>
splitStagesOverGroups(llvm::ArrayRef<mlir::OwningOpRef<mlir::ModuleOp>> stages, int64_t tp);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_STAGEGROUPS_H
