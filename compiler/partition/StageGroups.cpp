// Pipeline x tensor parallelism: each pipeline stage runs on a tensor-parallel group of ranks.
#include "compiler/partition/StageGroups.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>

using namespace mlir;
using namespace cleave;

Cluster cleave::groupDevices(const Cluster &cluster, int64_t tp) {
  Cluster grouped;
  grouped.link = cluster.link;
  for (size_t first = 0; first + tp <= cluster.devices.size(); first += tp) {
    DeviceSpec device = cluster.devices[first];
    for (size_t i = first + 1; i < first + tp; ++i) {
      const DeviceSpec &member = cluster.devices[i];
      device.gflops = std::min(device.gflops, member.gflops);
      device.bandwidthGBs = std::min(device.bandwidthGBs, member.bandwidthGBs);
      device.memoryBytes = std::min(device.memoryBytes, member.memoryBytes);
      device.hostBandwidthGBs = std::max(device.hostBandwidthGBs, member.hostBandwidthGBs);
    }
    device.gflops *= static_cast<double>(tp);
    device.bandwidthGBs *= static_cast<double>(tp);
    grouped.devices.push_back(device);
  }
  return grouped;
}

namespace {

/// Names every parameter of `module` `<name>.rank<rank>`, dropping the `.rank<place>` that
/// applyTensorParallel appended (it numbers the ranks of the group, not of the plan).
void nameParametersForRank(ModuleOp module, int64_t place, int64_t rank, bool split) {
  Builder b(module.getContext());
  std::string groupSuffix = ".rank" + std::to_string(place);
  module.walk([&](onnxir::ParameterOp param) {
    llvm::StringRef name = param.getName();
    if (split)
      name.consume_back(groupSuffix);
    param.setNameAttr(b.getStringAttr(name + ".rank" + llvm::Twine(rank)));
  });
}

} // namespace

FailureOr<std::vector<StageGroupRank>>
cleave::splitStagesOverGroups(llvm::ArrayRef<OwningOpRef<ModuleOp>> stages, int64_t tp) {
  std::vector<StageGroupRank> ranks;
  for (auto [stage, stageModule] : llvm::enumerate(stages)) {
    for (int64_t place = 0; place < tp; ++place) {
      StageGroupRank rank;
      rank.module = cast<ModuleOp>((*stageModule)->clone());
      rank.stage = static_cast<int64_t>(stage);
      rank.place = place;
      FailureOr<TensorParallelPlan> plan = applyTensorParallel(*rank.module, tp, place);
      if (failed(plan))
        return failure();
      rank.plan = std::move(*plan);
      bool split = !rank.plan.splits.empty();
      nameParametersForRank(*rank.module, place, rank.stage * tp + place, split);
      ranks.push_back(std::move(rank));
    }
  }
  return ranks;
}
