// CPU code generation: the MLIR lowering pipeline and native shared-object emission.
#ifndef CLEAVE_COMPILER_CODEGEN_CPU_CPUTARGET_H
#define CLEAVE_COMPILER_CODEGEN_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace cleave {

struct CpuOptions {
  /// LLVM CPU name (`znver4`, `x86-64-v3`, ...) or `host` for the compiling machine.
  std::string cpu = "host";
  /// Run the GPU kernel schedules (GpuSchedulesPass) serially instead of the CPU ones: a
  /// test of GPU code generation's numerics on a machine without a GPU.
  bool emulateGpuKernels = false;
  /// Bracket each op group of the stage with calls that time it (CpuProfileOpsPass).
  bool profileOps = false;
};

/// Bufferizes linalg-on-tensors and lowers it to the LLVM dialect with the runtime's entry
/// point `entry` (see docs/artifact-format.md).
void buildCpuCodegenPipeline(mlir::OpPassManager &pm, const CpuOptions &options,
                             const std::string &entry);

/// Translates an LLVM-dialect module to LLVM IR, optimises it for `options.cpu`, emits an
/// object and links it into an ELF shared object, returned as bytes. On failure returns
/// false with `error` set.
bool emitCpuSharedObject(mlir::ModuleOp module, const CpuOptions &options, std::string &bytes,
                         std::string &error);

/// The LLVM CPU name `options.cpu` resolves to.
std::string resolveCpuName(const CpuOptions &options);

} // namespace cleave

#endif // CLEAVE_COMPILER_CODEGEN_CPU_CPUTARGET_H
