// cleave-print-cost: prints the cost model's estimate for every op, for tests and tuning.
#include "compiler/Passes.h"
#include "compiler/partition/CostModel.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace cleave {
#define GEN_PASS_DEF_PRINTCOSTPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave;

namespace {

/// Prints per-op estimates on stdout; the IR is left as it is.
struct PrintCostPass : public cleave::impl::PrintCostPassBase<PrintCostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Cluster cluster;
    std::string error;
    if (!makeCluster(device.getValue(), deviceFile.getValue(), cluster, error)) {
      module.emitError(error);
      return signalPassFailure();
    }
    if (cluster.devices.size() != 1) {
      module.emitError("cleave-print-cost expects one device, got '") << device.getValue() << "'";
      return signalPassFailure();
    }
    const DeviceSpec &d = cluster.devices.front();
    llvm::raw_ostream &os = llvm::outs();
    os << "cost on " << d.name() << ": " << llvm::format("%g", d.gflops) << " GFLOP/s, "
       << llvm::format("%g", d.bandwidthGBs) << " GB/s";
    if (d.hostBandwidthGBs > 0)
      os << ", host copies " << llvm::format("%g", d.hostBandwidthGBs) << " GB/s";
    os << "\n";
    for (auto func : module.getOps<func::FuncOp>()) {
      OpCost total;
      double seconds = 0;
      func.walk([&](Operation *op) {
        if (isFreeOp(op) || !isa<onnxir::CostInterface>(op))
          return;
        OpCost c = opCost(op);
        double t = opSeconds(c, d);
        StringRef node = onnxir::nodeName(op->getLoc());
        if (node.empty())
          node = "?";
        os << "@" << func.getSymName() << " '" << node << "' " << op->getName()
           << " flops=" << c.flops << " bytes=" << c.bytes << " param_bytes=" << c.paramBytes
           << " time_us=" << llvm::format("%.3f", t * 1e6) << "\n";
        total.flops += c.flops;
        total.bytes += c.bytes;
        total.paramBytes += c.paramBytes;
        seconds += t;
      });
      os << "@" << func.getSymName() << " total flops=" << total.flops << " bytes=" << total.bytes
         << " param_bytes=" << total.paramBytes
         << " time_us=" << llvm::format("%.3f", seconds * 1e6) << "\n";
    }
  }
};

} // namespace
