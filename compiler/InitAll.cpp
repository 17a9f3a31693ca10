// Registration of every dialect, pass and translation Cleave's tools use.
#include "compiler/InitAll.h"

#include "compiler/Passes.h"
#include "compiler/codegen/gpu/GpuTarget.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void cleave::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<cleave::onnxir::OnnxDialect, cleave::pipe::PipeDialect,
                  cleave::plan::CleaveDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void cleave::registerAllPasses() {
  mlir::registerAllPasses();
  cleave::registerCleavePasses();
  // The GPU lowering as one pipeline, for lit tests of it on small linalg.
  struct GpuPipelineOptions : mlir::PassPipelineOptions<GpuPipelineOptions> {
    Option<std::string> kind{*this, "kind", llvm::cl::desc("cuda or rocm"),
                             llvm::cl::init("cuda")};
    Option<std::string> chip{*this, "chip", llvm::cl::desc("sm_90, gfx942, ..."),
                             llvm::cl::init("sm_90")};
    Option<bool> binary{*this, "binary",
                        llvm::cl::desc("end with gpu-module-to-binary (rocm: needs toolkit)"),
                        llvm::cl::init(false)};
    Option<std::string> toolkit{*this, "toolkit", llvm::cl::desc("rocm toolkit directory"),
                                llvm::cl::init("")};
  };
  mlir::PassPipelineRegistration<GpuPipelineOptions>(
      "cleave-gpu-codegen", "Cleave's GPU lowering (buildGpuCodegenPipeline)",
      [](mlir::OpPassManager &pm, const GpuPipelineOptions &o) {
        cleave::GpuOptions options;
        options.kind = o.kind;
        options.chip = o.chip;
        options.toolkit = o.toolkit;
        options.toBinary = o.binary;
        cleave::buildGpuCodegenPipeline(pm, options);
      });
}
