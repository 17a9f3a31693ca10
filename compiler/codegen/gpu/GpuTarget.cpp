// GPU code generation: the lowering pipeline shared by CUDA and ROCm, and the host program.
#include "compiler/codegen/gpu/GpuTarget.h"

#include "compiler/Passes.h"
#include "compiler/pipelines/Pipelines.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace cleave;

void cleave::buildGpuCodegenPipeline(OpPassManager &pm, const GpuOptions &options) {
  // Zero-size tensors at the boundary become rank 1, as for the CPU.
  pm.addPass(createCpuZeroSizeBoundariesPass());
  // Tensors to buffers across the whole module, graph inputs and parameters read-only;
  // results become caller-provided buffers (the runtime allocates them on the device).
  addPassPipeline(pm, "one-shot-bufferize{bufferize-function-boundaries "
                      "function-boundary-type-conversion=identity-layout-map}");
  addPassPipeline(pm, "buffer-results-to-out-params{hoist-static-allocs "
                      "modify-public-functions}");
  addPassPipeline(pm, "canonicalize,cse");
  // Copies become structured ops, so that they run as kernels like everything else.
  pm.addPass(createCpuCopiesToLinalgPass());
  // Every statically shaped structured op becomes a gpu.launch (GpuSchedules.cpp):
  // contractions shared-memory tiled kernels, long reductions a block of threads per
  // output, the rest one thread per output element over linearised parallel dims.
  pm.addNestedPass<func::FuncOp>(createGpuSchedulesPass());
  // Loads and stores through views (subview, expand/collapse_shape) are folded into index
  // arithmetic on the base buffer, so kernels only ever see whole buffers. Anything the
  // schedules left (they take every op with static shapes, which GPU stages have) would
  // take upstream's mapping: parallel loops tiled 16x16 onto blocks and threads.
  addPassPipeline(pm, "func.func(convert-linalg-to-parallel-loops,fold-memref-alias-ops,"
                      "scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16 "
                      "no-min-max-bounds},gpu-map-parallel-loops,"
                      "convert-parallel-loops-to-gpu)");
  // The views that only fed loads are now dead.
  addPassPipeline(pm, "canonicalize,cse");
  addPassPipeline(pm, "gpu-launch-sink-index-computations,gpu-kernel-outlining,lower-affine,"
                      "canonicalize");
  // One gpu.module, hence one binary per stage.
  pm.addPass(createGpuMergeKernelModulesPass());
  // Kernels take one pointer per buffer (all buffers are static and contiguous), which
  // keeps the launch arguments the runtime builds simple.
  if (options.kind == "rocm") {
    addPassPipeline(pm, "rocdl-attach-target{chip=" + options.chip + "}");
    addPassPipeline(pm, "gpu.module(convert-scf-to-cf,"
                        "convert-gpu-to-rocdl{use-bare-ptr-memref-call-conv})");
  } else {
    addPassPipeline(pm, "nvvm-attach-target{chip=" + options.chip + "}");
    addPassPipeline(pm, "gpu.module(convert-scf-to-cf,"
                        "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv})");
  }
  addPassPipeline(pm, "reconcile-unrealized-casts");
  if (!options.toBinary)
    return;
  // CUDA: a fatbin with the SASS for the chip (ptxas) and the PTX, which the driver can JIT
  // for a newer chip. ROCm: an hsaco linked against the device libraries.
  if (options.kind == "rocm")
    addPassPipeline(pm, "gpu-module-to-binary{format=bin toolkit=" + options.toolkit + "}");
  else
    addPassPipeline(pm, "gpu-module-to-binary{format=fatbin}");
}

std::string cleave::gpuSectionKind(const GpuOptions &options) {
  return options.kind == CLEAVE_DEVICE_ROCM ? CLEAVE_SECTION_ROCM_HSACO : CLEAVE_SECTION_CUDA_FATBIN;
}

bool cleave::checkGpuChip(const GpuOptions &options, std::string &error) {
  StringRef chip = options.chip;
  unsigned number = 0;
  if (options.kind == "cuda") {
    if (!chip.consume_front("sm_") || chip.empty() ||
        chip.take_while(llvm::isDigit).getAsInteger(10, number) || number < 50) {
      error = "--cuda-arch expects sm_NN (sm_50 or newer), got '" + options.chip + "'";
      return false;
    }
    return true;
  }
  if (!chip.consume_front("gfx") || chip.size() < 3 ||
      !llvm::all_of(chip, [](char c) { return llvm::isHexDigit(c); })) {
    error = "--rocm-arch expects gfxNNN (such as gfx942 or gfx90a), got '" + options.chip + "'";
    return false;
  }
  return true;
}

bool cleave::makeRocmToolkit(std::string &dir, std::string &error) {
  const char *bitcode = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
  const char *lld = "/usr/lib/llvm-22/bin/ld.lld";
  if (!llvm::sys::fs::is_directory(bitcode)) {
    error = std::string("the ROCm device libraries are not installed (") + bitcode +
            " is missing: install rocm-device-libs)";
    return false;
  }
  if (!llvm::sys::fs::exists(lld)) {
    error = std::string("ld.lld is not installed (") + lld + " is missing: install lld-22)";
    return false;
  }
  SmallString<128> root;
  if (llvm::sys::fs::createUniqueDirectory("cleave-rocm", root)) {
    error = "cannot create a temporary directory for the ROCm toolkit";
    return false;
  }
  SmallString<128> amdgcn(root), bin(root);
  llvm::sys::path::append(amdgcn, "amdgcn");
  llvm::sys::path::append(bin, "llvm", "bin");
  SmallString<128> bitcodeLink(amdgcn), lldLink(bin);
  llvm::sys::path::append(bitcodeLink, "bitcode");
  llvm::sys::path::append(lldLink, "ld.lld");
  if (llvm::sys::fs::create_directories(amdgcn) || llvm::sys::fs::create_directories(bin) ||
      llvm::sys::fs::create_link(bitcode, bitcodeLink) ||
      llvm::sys::fs::create_link(lld, lldLink)) {
    error = "cannot populate the ROCm toolkit directory " + root.str().str();
    return false;
  }
  dir = root.str().str();
  return true;
}

namespace {

/// The manifest's type of a scalar kernel argument of `type`, or nothing.
std::optional<artifact::GpuKernelArg::Type> scalarType(Type type) {
  using T = artifact::GpuKernelArg::Type;
  if (type.isIndex() || type.isInteger(64))
    return T::I64;
  if (type.isInteger(32))
    return T::I32;
  if (type.isInteger(16))
    return T::I16;
  if (type.isInteger(8))
    return T::I8;
  if (type.isInteger(1))
    return T::I1;
  if (type.isF32())
    return T::F32;
  if (type.isF64())
    return T::F64;
  return std::nullopt;
}

/// Bytes per element in device memory (i1 takes a byte).
int64_t elementBytes(Type type) {
  return std::max<int64_t>(1, (type.getIntOrFloatBitWidth() + 7) / 8);
}

/// Appends the data of a constant global to `out`, 64-byte aligned; false if it has none.
bool appendGlobalData(memref::GlobalOp global, std::string &out, int64_t &offset,
                      int64_t &size) {
  auto value = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
  if (!value)
    return false;
  auto type = global.getType();
  int64_t bytes = elementBytes(type.getElementType());
  std::string data;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (type.getElementType().isInteger(1)) {
      for (bool b : dense.getValues<bool>())
        data.push_back(b ? 1 : 0);
    } else {
      ArrayRef<char> raw = dense.getRawData();
      if (dense.isSplat()) {
        for (int64_t i = 0; i < type.getNumElements(); ++i)
          data.append(raw.data(), bytes);
      } else {
        data.assign(raw.data(), raw.size());
      }
    }
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return false;
    data.assign(blob->getData().data(), blob->getData().size());
  } else {
    return false;
  }
  if (static_cast<int64_t>(data.size()) != type.getNumElements() * bytes)
    return false;
  out.resize((out.size() + 63) / 64 * 64, '\0');
  offset = static_cast<int64_t>(out.size());
  size = static_cast<int64_t>(data.size());
  out += data;
  return true;
}

} // namespace

bool cleave::extractGpuProgram(ModuleOp module, const std::string &constantsSection,
                               GpuCode &program, std::string &error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main) {
    error = "internal compiler error: no host function 'main'";
    return false;
  }
  auto nodeOf = [](Operation *op) -> std::string {
    std::string node = onnxir::nodeName(op->getLoc()).str();
    return node.empty() ? "" : "node '" + node + "': ";
  };
  using artifact::GpuBuffer;
  std::vector<GpuBuffer> &buffers = program.program.buffers;
  std::vector<artifact::GpuStep> &launches = program.program.launches;
  llvm::DenseMap<Value, int64_t> bufferIds;
  for (BlockArgument arg : main.getArguments()) {
    bufferIds[arg] = static_cast<int64_t>(buffers.size());
    buffers.push_back({GpuBuffer::Kind::Arg, arg.getArgNumber()});
  }
  llvm::StringMap<int64_t> globalIds;
  std::set<std::string> kernels;

  for (Operation &op : main.getBody().front()) {
    if (isa<arith::ConstantOp, func::ReturnOp, memref::DeallocOp>(op))
      continue;
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        error = nodeOf(&op) + "gpu code generation: a temporary of type " +
                llvm::formatv("{0}", type).str() + " is not static and contiguous";
        return false;
      }
      bufferIds[alloc] = static_cast<int64_t>(buffers.size());
      buffers.push_back({GpuBuffer::Kind::Temp, 0, "", 0,
                         type.getNumElements() * elementBytes(type.getElementType())});
      continue;
    }
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      auto [it, inserted] = globalIds.try_emplace(get.getName(), 0);
      if (inserted) {
        auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
        int64_t offset = 0, size = 0;
        if (!global || !global.getConstant() ||
            !appendGlobalData(global, program.constants, offset, size)) {
          error = nodeOf(&op) + "gpu code generation: the global '" + get.getName().str() +
                  "' is not a constant with data";
          return false;
        }
        it->second = static_cast<int64_t>(buffers.size());
        buffers.push_back({GpuBuffer::Kind::Constant, 0, constantsSection, offset, size});
      }
      bufferIds[get] = it->second;
      continue;
    }
    // Reshapes of a contiguous buffer (feeding a collective) are the same bytes.
    if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(op)) {
      auto id = bufferIds.find(op.getOperand(0));
      if (id != bufferIds.end() &&
          cast<MemRefType>(op.getResult(0).getType()).getLayout().isIdentity()) {
        bufferIds[op.getResult(0)] = id->second;
        continue;
      }
    }
    // A collective of a tensor-parallel stage: the runtime moves `in` to the host, runs the
    // collective over the stage's group and moves the result to `out`.
    if (isa<plan::AllReduceOp, plan::AllGatherOp>(op)) {
      auto in = bufferIds.find(op.getOperand(0)), out = bufferIds.find(op.getOperand(1));
      auto inType = cast<MemRefType>(op.getOperand(0).getType());
      if (in == bufferIds.end() || out == bufferIds.end()) {
        error = nodeOf(&op) + "gpu code generation: a collective of " +
                llvm::formatv("{0}", inType).str() + " is not between whole buffers";
        return false;
      }
      artifact::GpuStep step;
      bool reduce = isa<plan::AllReduceOp>(op);
      step.collective = reduce ? CLEAVE_COLLECTIVE_ALL_REDUCE_SUM : CLEAVE_COLLECTIVE_ALL_GATHER;
      step.in = in->second;
      step.out = out->second;
      step.count = inType.getNumElements();
      step.dtype = reduce ? cast<plan::AllReduceOp>(op).getDType()
                          : cast<plan::AllGatherOp>(op).getDType();
      launches.push_back(std::move(step));
      continue;
    }
    auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
    if (!launch) {
      error = nodeOf(&op) + "gpu code generation: '" + op.getName().getStringRef().str() +
              "' was not mapped to a kernel";
      return false;
    }
    auto dims = [&](gpu::KernelDim3 d, std::array<int64_t, 3> &out) {
      Value sizes[3] = {d.x, d.y, d.z};
      for (int i = 0; i < 3; ++i) {
        std::optional<int64_t> n = getConstantIntValue(sizes[i]);
        if (!n)
          return false;
        out[i] = *n;
      }
      return true;
    };
    artifact::GpuStep step;
    step.kernel = launch.getKernelName().str();
    if (!dims(launch.getGridSizeOperandValues(), step.grid) ||
        !dims(launch.getBlockSizeOperandValues(), step.block)) {
      error = nodeOf(&op) + "gpu code generation: a kernel launch has dynamic dimensions";
      return false;
    }
    for (Value operand : launch.getKernelOperands()) {
      artifact::GpuKernelArg arg;
      auto id = bufferIds.find(operand);
      if (id != bufferIds.end()) {
        arg.buffer = id->second;
        step.args.push_back(arg);
        continue;
      }
      std::optional<artifact::GpuKernelArg::Type> type = scalarType(operand.getType());
      Attribute value;
      if (type && matchPattern(operand, m_Constant(&value))) {
        arg.type = *type;
        if (auto i = dyn_cast<IntegerAttr>(value)) {
          arg.value = i.getInt();
          step.args.push_back(arg);
          continue;
        }
        if (auto f = dyn_cast<FloatAttr>(value)) {
          // Bit patterns, so that no value is rounded through JSON's doubles.
          arg.bits = f.getValue().bitcastToAPInt().getZExtValue();
          step.args.push_back(arg);
          continue;
        }
      }
      error = nodeOf(&op) + "gpu code generation: a kernel argument of type " +
              llvm::formatv("{0}", operand.getType()).str() +
              " is neither a buffer nor a constant";
      return false;
    }
    kernels.insert(step.kernel);
    launches.push_back(std::move(step));
  }

  auto binaries = llvm::to_vector(module.getOps<gpu::BinaryOp>());
  if (binaries.size() > 1 || (binaries.empty() && !launches.empty())) {
    error = "internal compiler error: expected one gpu binary, got " +
            std::to_string(binaries.size());
    return false;
  }
  if (!binaries.empty()) {
    auto objects = binaries.front().getObjects();
    if (objects.size() != 1) {
      error = "internal compiler error: expected one gpu object";
      return false;
    }
    program.binary = cast<gpu::ObjectAttr>(objects[0]).getObject().str();
  }
  program.program.kernels.assign(kernels.begin(), kernels.end());
  return true;
}
