// CPU code generation: the MLIR lowering pipeline and native shared-object emission.
#include "compiler/codegen/cpu/CpuTarget.h"

#include "compiler/Passes.h"
#include "compiler/pipelines/Pipelines.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace cleave;

void cleave::buildCpuCodegenPipeline(OpPassManager &pm, const CpuOptions &options,
                                     const std::string &entry) {
  // Zero-size tensors at the boundary become rank 1, which the bare-pointer calling
  // convention used below can lower whatever the position of the zero.
  pm.addPass(createCpuZeroSizeBoundariesPass());
  if (!options.emulateGpuKernels) {
    // Convolutions become im2col + matmul, so that the matmul schedule covers them.
    pm.addPass(createCpuConvToMatmulPass());
    addPassPipeline(pm, "canonicalize,cse");
    // Matmuls tiled for the caches and registers and vectorised, while still on tensors.
    pm.addPass(createCpuTileAndVectorizePass(CpuTileAndVectorizePassOptions{"tensor"}));
  }
  // Tensors to buffers across the whole module; graph inputs and parameters are marked
  // non-writable, so bufferization copies rather than writing into them.
  addPassPipeline(pm, "one-shot-bufferize{bufferize-function-boundaries "
                      "function-boundary-type-conversion=identity-layout-map}");
  // Collectives (tensor-parallel stages) become calls of the runtime through ctx.
  pm.addPass(createLowerCollectivesPass());
  // Results become caller-provided output buffers (destination-passing style, as the
  // runtime's ABI wants); static result allocations are replaced by the out-params.
  addPassPipeline(pm, "buffer-results-to-out-params{hoist-static-allocs "
                      "modify-public-functions}");
  // Temporaries get deallocations.
  addPassPipeline(pm, "buffer-deallocation-pipeline");
  addPassPipeline(pm, "canonicalize,cse");
  // --profile-ops: each op group bracketed by calls of the runtime that time it, placed
  // now that the program order of the buffers' writers is fixed. Without the option the
  // code is unchanged.
  if (options.profileOps)
    pm.addPass(createCpuProfileOpsPass());
  // Accumulators kept in registers across the k loop; vector ops lowered to 1-D FMAs,
  // loads and stores.
  pm.addPass(createCpuTileAndVectorizePass(CpuTileAndVectorizePassOptions{"buffer"}));
  // Copies between strided views become loops instead of calls to MLIR's runtime library.
  pm.addPass(createCpuCopiesToLinalgPass());
  // The GPU schedules as loops, at the point of the GPU pipeline where they apply.
  if (options.emulateGpuKernels)
    pm.addNestedPass<func::FuncOp>(createGpuSchedulesPass(GpuSchedulesPassOptions{true}));
  // The matmul schedules' scf.forall loops over output tiles become OpenMP worksharing
  // loops (through scf.parallel), which run on the thread count the runtime sets through
  // cleave_set_num_threads. Nothing else produces scf.parallel, so only they are threaded.
  addPassPipeline(pm, "scf-forall-to-parallel,convert-scf-to-openmp,canonicalize");
  // Structured ops to loops (tiled and vectorised schedules come before this step).
  addPassPipeline(pm, "convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,"
                      "convert-scf-to-cf,expand-strided-metadata,lower-affine");
  // Transcendental functions inline, so that their loops vectorise.
  pm.addPass(createCpuApproximateMathPass());
  // Everything to the LLVM dialect; memrefs at the function boundary become bare pointers.
  addPassPipeline(pm, "convert-vector-to-scf{full-unroll},lower-affine,convert-scf-to-cf");
  addPassPipeline(pm, "convert-vector-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
                      "finalize-memref-to-llvm,convert-arith-to-llvm,convert-index-to-llvm,"
                      "convert-func-to-llvm{use-bare-ptr-memref-call-conv},"
                      "convert-cf-to-llvm,convert-ub-to-llvm,convert-openmp-to-llvm,"
                      "reconcile-unrealized-casts");
  pm.addPass(createCpuEntryPointsPass(CpuEntryPointsPassOptions{entry, "main"}));
}

std::string cleave::resolveCpuName(const CpuOptions &options) {
  return options.cpu == "host" ? llvm::sys::getHostCPUName().str() : options.cpu;
}

bool cleave::emitCpuSharedObject(ModuleOp module, const CpuOptions &options,
                                 std::string &bytes, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule) {
    error = "cannot translate the lowered module to LLVM IR";
    return false;
  }

  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string lookupError;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "no LLVM target for " + triple.str() + ": " + lookupError;
    return false;
  }
  std::string cpu = resolveCpuName(options);
  std::string features;
  if (options.cpu == "host") {
    llvm::SubtargetFeatures featureSet;
    for (const auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      featureSet.AddFeature(name, enabled);
    features = featureSet.getString();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, cpu, ""));
  if (!subtarget->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for --cpu (try host, x86-64-v3, znver4, skylake-avx512)";
    return false;
  }
  llvm::TargetOptions targetOptions;
  // Multiply-adds become FMAs: the vector lowering emits separate fmul and fadd, which
  // LLVM fuses only when allowed to. One rounding instead of two.
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  // LLVM's O3 pipeline: inlining, loop vectorisation and unrolling of what MLIR produced.
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder pb(machine.get(), tuning);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(*llvmModule, mam);
  }

  SmallString<128> objPath, soPath;
  if (llvm::sys::fs::createTemporaryFile("cleave", "o", objPath) ||
      llvm::sys::fs::createTemporaryFile("cleave", "so", soPath)) {
    error = "cannot create temporary files for code generation";
    return false;
  }
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove(objPath);
    llvm::sys::fs::remove(soPath);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(objPath, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write " + objPath.str().str() + ": " + ec.message();
      return false;
    }
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                     llvm::CodeGenFileType::ObjectFile)) {
      error = "the LLVM target cannot emit object files";
      return false;
    }
    codegen.run(*llvmModule);
  }

  // Link with lld from the same LLVM (installed by the setup script).
  auto lld = llvm::sys::findProgramByName("ld.lld", {"/usr/lib/llvm-22/bin"});
  if (!lld) {
    error = "ld.lld not found (install lld-22)";
    return false;
  }
  std::string errMsg;
  SmallVector<StringRef> argv = {*lld, "-shared", "--as-needed", "-o", soPath, objPath};
  // Parallel loops call LLVM's OpenMP runtime (libomp-22-dev). The runpath lets dlopen find
  // it without LD_LIBRARY_PATH; code without parallel loops does not depend on it.
  std::string ompDir = "/usr/lib/llvm-22/lib";
  bool usesOpenMP = llvm::any_of(llvmModule->functions(), [](const llvm::Function &f) {
    return f.isDeclaration() &&
           (f.getName().starts_with("__kmpc_") || f.getName().starts_with("omp_"));
  });
  if (usesOpenMP) {
    if (!llvm::sys::fs::exists(ompDir + "/libomp.so")) {
      error = "the code has parallel loops but " + ompDir +
              "/libomp.so is missing (install libomp-22-dev)";
      return false;
    }
    argv.append({"-L", ompDir, "-rpath", ompDir, "-lomp"});
  }
  if (llvm::sys::ExecuteAndWait(*lld, argv, std::nullopt, {}, 0, 0, &errMsg) != 0) {
    error = "linking the shared object failed" + (errMsg.empty() ? "" : ": " + errMsg);
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(soPath, /*IsText=*/false);
  if (!buffer) {
    error = "cannot read the linked shared object";
    return false;
  }
  bytes = (*buffer)->getBuffer().str();
  return true;
}
