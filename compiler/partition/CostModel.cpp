// The cost model behind pipeline partitioning: op time, transfer time, memory.
#include "compiler/partition/CostModel.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "cleave/abi.h"

#include <algorithm>

using namespace mlir;
using namespace cleave;

bool cleave::isFreeOp(Operation *op) { return isa<onnxir::ConstantOp, onnxir::ParameterOp>(op); }

int64_t cleave::typeBytes(Type type) { return onnxir::tensorBytes(type); }

/// The last dim of a ranked tensor type (0 for anything else).
static int64_t lastDim(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  return ranked && ranked.getRank() > 0 ? ranked.getShape().back() : 0;
}

OpClass cleave::opClass(Operation *op) {
  // Output columns of the matmul each op becomes (one group's for convolutions).
  int64_t columns = -1;
  if (auto conv = dyn_cast<onnxir::ConvOp>(op)) {
    auto weight = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (weight && weight.getRank() > 0)
      columns = weight.getDimSize(0) / std::max<int64_t>(conv.getGroup(), 1);
  } else if (auto conv = dyn_cast<onnxir::ConvTransposeOp>(op)) {
    auto weight = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    if (weight && weight.getRank() > 1)
      columns = weight.getDimSize(1);
  } else if (isa<onnxir::GemmOp, onnxir::MatMulOp>(op)) {
    columns = lastDim(op->getResult(0).getType());
  } else if (isa<onnxir::MaxPoolOp, onnxir::AveragePoolOp>(op)) {
    return OpClass::Window;
  }
  if (columns < 0)
    return OpClass::Other;
  return columns >= kWideColumns ? OpClass::Matmul : OpClass::NarrowMatmul;
}

OpCost cleave::opCost(Operation *op) {
  OpCost cost;
  if (isFreeOp(op))
    return cost;
  cost.opClass = opClass(op);
  if (auto costly = dyn_cast<onnxir::CostInterface>(op)) {
    cost.flops = costly.getFlops();
    cost.bytes = costly.getBytes();
  }
  llvm::SmallPtrSet<Operation *, 4> seen;
  for (Value operand : op->getOperands())
    if (auto param = operand.getDefiningOp<onnxir::ParameterOp>())
      if (seen.insert(param).second)
        cost.paramBytes += typeBytes(param.getType());
  return cost;
}

double cleave::opSeconds(const OpCost &cost, const DeviceSpec &device) {
  double efficiency = 1;
  if (cost.opClass == OpClass::NarrowMatmul)
    efficiency = device.narrowMatmulEfficiency;
  else if (cost.opClass == OpClass::Window)
    efficiency = device.windowEfficiency;
  double compute = static_cast<double>(cost.flops) / (device.gflops * efficiency * 1e9);
  double memory = static_cast<double>(cost.bytes) / (device.bandwidthGBs * 1e9);
  return std::max(compute, memory);
}

double cleave::transferSeconds(int64_t bytes, int64_t messages, const LinkSpec &link) {
  if (messages == 0)
    return 0;
  return static_cast<double>(messages) * link.latencyUs * 1e-6 +
         static_cast<double>(bytes) / (link.bandwidthGBs * 1e9);
}

double cleave::collectiveSeconds(llvm::StringRef kind, int64_t bytes, int64_t ranks,
                                 const LinkSpec &link) {
  if (ranks <= 1)
    return 0;
  int64_t steps = kind == CLEAVE_COLLECTIVE_ALL_REDUCE_SUM ? 2 * (ranks - 1) : ranks - 1;
  return transferSeconds(steps * (bytes / ranks), steps, link);
}

double cleave::cutSeconds(int64_t bytes, int64_t messages, const LinkSpec &link,
                          const DeviceSpec &from, const DeviceSpec &to) {
  double seconds = transferSeconds(bytes, messages, link);
  if (messages == 0)
    return seconds;
  for (const DeviceSpec *end : {&from, &to})
    if (end->hostBandwidthGBs > 0)
      seconds += static_cast<double>(bytes) / (end->hostBandwidthGBs * 1e9);
  return seconds;
}
