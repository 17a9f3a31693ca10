// GPU code generation: the lowering pipeline shared by CUDA and ROCm, and the host program.
#ifndef CLEAVE_COMPILER_CODEGEN_GPU_GPUTARGET_H
#define CLEAVE_COMPILER_CODEGEN_GPU_GPUTARGET_H

#include "compiler/artifact/ArtifactWriter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace cleave {

struct GpuOptions {
  /// The device kind: `cuda` (NVVM, a fatbin holding SASS and PTX) or `rocm` (ROCDL, hsaco).
  std::string kind = "cuda";
  /// The chip: `sm_90`, `sm_80`, ... for cuda; `gfx942`, `gfx90a`, ... for rocm.
  std::string chip = "sm_90";
  /// rocm only: a directory holding `amdgcn/bitcode` and `llvm/bin/ld.lld` (see
  /// makeRocmToolkit).
  std::string toolkit;
  /// Whether to end with the binary (false: stop at the NVVM/ROCDL dialect, for tests).
  bool toBinary = true;
};

/// Bufferizes linalg-on-tensors, maps its loops to blocks and threads, outlines the kernels
/// into one gpu.module and compiles it to a gpu.binary for `options`. The host function
/// `main` is left holding allocations, constants and gpu.launch_func ops only.
void buildGpuCodegenPipeline(mlir::OpPassManager &pm, const GpuOptions &options);

/// The code-section kind of `options`' binaries: `cuda-fatbin` or `rocm-hsaco`.
std::string gpuSectionKind(const GpuOptions &options);

/// Checks that `options.chip` names a chip of `options.kind`; false with `error` set.
bool checkGpuChip(const GpuOptions &options, std::string &error);

/// Makes a temporary directory in the layout gpu-module-to-binary wants for ROCDL
/// (`amdgcn/bitcode` -> the ROCm device libraries, `llvm/bin/ld.lld` -> LLVM's lld); sets
/// `dir`, or returns false with `error` set.
bool makeRocmToolkit(std::string &dir, std::string &error);

/// What a GPU stage's host side does, for the runtime to replay without LLVM: the kernels'
/// binary, the constant data, and the manifest's `gpu_program` (docs/artifact-format.md).
struct GpuCode {
  std::string binary;
  std::string constants; ///< the bytes of every constant buffer, 64-byte aligned
  artifact::GpuProgram program;
};

/// Reads the host program of `module` after buildGpuCodegenPipeline. `numArgs` is the
/// number of stage arguments (buffers 0..numArgs-1); `constantsSection` is the name the
/// constant data will have. False with `error` set (naming the op) on anything the runtime
/// could not replay.
bool extractGpuProgram(mlir::ModuleOp module, const std::string &constantsSection,
                       GpuCode &program, std::string &error);

} // namespace cleave

#endif // CLEAVE_COMPILER_CODEGEN_GPU_GPUTARGET_H
