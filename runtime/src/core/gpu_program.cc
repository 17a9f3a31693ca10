//===- gpu_program.cc - Replaying a GPU stage's gpu_program ---------------===//

#include "core/gpu_program.h"


#include <algorithm>
#include <map>

namespace cleave {

namespace {

/// The bytes of one microbatch of stage arg `arg`.
size_t argBytes(const Artifact &artifact, const StageArg &arg,
                int microbatches) {
  auto graphBytes = [&](const std::vector<TensorDesc> &list) -> size_t {
    for (const TensorDesc &desc : list)
      if (desc.name == arg.name)
        return desc.byteSize() / static_cast<size_t>(microbatches);
    return 0;
  };
  switch (arg.kind) {
  case StageArg::Kind::Input:
    return graphBytes(artifact.inputs());
  case StageArg::Kind::Output:
    return graphBytes(artifact.outputs());
  case StageArg::Kind::Param: {
    const ParameterDesc *param = artifact.findParameter(arg.name);
    return param ? param->size : 0;
  }
  case StageArg::Kind::Recv:
  case StageArg::Kind::Send:
    return TensorDesc{arg.name, arg.dtype, arg.shape}.byteSize();
  case StageArg::Kind::Other:
    break;
  }
  return 0;
}

} // namespace

GpuProgramRunner::~GpuProgramRunner() {
  for (void *buffer : buffers_)
    device_.free(buffer);
}

StatusOr<std::unique_ptr<GpuProgramRunner>>
GpuProgramRunner::create(const Artifact &artifact, const StageDesc &stage,
                         int microbatches, hal::Device &device,
                         hal::Executable &executable) {
  std::unique_ptr<GpuProgramRunner> runner(
      new GpuProgramRunner(device, executable));
  const GpuProgram &program = *stage.gpuProgram;
  std::string where = "stage " + std::to_string(stage.id) + ": ";

  for (size_t b = 0; b < program.buffers.size(); ++b) {
    const GpuBufferDesc &desc = program.buffers[b];
    std::string what = where + "buffer " + std::to_string(b);
    size_t bytes = desc.size;
    const StageArg *arg = nullptr;
    if (desc.kind == GpuBufferDesc::Kind::Arg) {
      arg = &stage.args[desc.index];
      bytes = argBytes(artifact, *arg, microbatches);
      what += " (" + arg->kindName + " '" + arg->name + "')";
    }
    StatusOr<void *> memory = device.allocate(bytes);
    if (!memory.ok())
      return Status(memory.status().code(),
                    what + ": " + memory.status().message());
    runner->buffers_.push_back(*memory);
    runner->bufferBytes_.push_back(bytes);

    // What is the same for every run goes to the device now.
    const uint8_t *once = nullptr;
    if (desc.kind == GpuBufferDesc::Kind::Constant)
      once = artifact.sectionData(*artifact.findSection(desc.section)) +
             desc.offset;
    else if (arg && arg->kind == StageArg::Kind::Param)
      once = static_cast<const uint8_t *>(
          artifact.parameterData(*artifact.findParameter(arg->name)));
    if (once && bytes) {
      Status copied = device.copyToDevice(*memory, once, bytes);
      if (!copied.ok())
        return Status(copied.code(), what + ": " + copied.message());
    }
    if (once || !arg)
      continue; // set up once, or a temporary
    ArgCopy copy{static_cast<size_t>(desc.index), *memory, bytes};
    if (arg->kind == StageArg::Kind::Input || arg->kind == StageArg::Kind::Recv)
      runner->toDevice_.push_back(copy);
    else if (arg->kind == StageArg::Kind::Output ||
             arg->kind == StageArg::Kind::Send)
      runner->toHost_.push_back(copy);
  }

  std::map<std::string, void *> kernels;
  for (const std::string &name : program.kernels) {
    StatusOr<void *> kernel = executable.lookup(name);
    if (!kernel.ok())
      return Status(kernel.status().code(),
                    where + kernel.status().message());
    kernels[name] = *kernel;
  }

  runner->launches_.resize(program.launches.size());
  for (size_t l = 0; l < program.launches.size(); ++l) {
    const GpuLaunch &launch = program.launches[l];
    PackedLaunch &packed = runner->launches_[l];
    packed.launch = &launch;
    if (launch.kind != GpuLaunch::Kind::Kernel) {
      // The result holds the group's parts for a gather, one part otherwise.
      size_t in = launch.count * dtypeSize(launch.dtype);
      size_t parts = launch.kind == GpuLaunch::Kind::AllGather
                         ? std::max<size_t>(1, stage.group.size())
                         : 1;
      if (runner->bufferBytes_[launch.in] < in ||
          runner->bufferBytes_[launch.out] != in * parts)
        return invalidArgumentError(
            where + "launch " + std::to_string(l) + ": a collective of " +
            std::to_string(in) + " bytes from buffer " +
            std::to_string(launch.in) + " (" +
            std::to_string(runner->bufferBytes_[launch.in]) +
            " bytes) cannot fill buffer " + std::to_string(launch.out) + " (" +
            std::to_string(runner->bufferBytes_[launch.out]) + " bytes; " +
            std::to_string(in * parts) + " expected)");
      packed.hostIn.resize(in);
      packed.hostOut.resize(in * parts);
      continue;
    }
    packed.kernel = kernels.at(launch.kernel);
    packed.slots.resize(launch.args.size());
    for (size_t a = 0; a < launch.args.size(); ++a) {
      const GpuKernelArg &arg = launch.args[a];
      packed.slots[a] =
          arg.type == GpuKernelArg::Type::Ptr
              ? static_cast<uint64_t>(
                    reinterpret_cast<uintptr_t>(runner->buffers_[arg.buffer]))
              : arg.bits;
    }
    // The slots no longer move: point at them.
    for (uint64_t &slot : packed.slots)
      packed.params.push_back(&slot);
  }
  return runner;
}

Status GpuProgramRunner::waitForKernels() {
  // One wait for all the kernels queued so far rather than one per kernel. A
  // kernel that faults is reported here, without its name:
  // CUDA_LAUNCH_BLOCKING=1 (or AMD_SERIALIZE_KERNEL=3 for HIP) makes each
  // launch wait, naming it.
  Status status = executable_.synchronize();
  if (!status.ok())
    return Status(status.code(),
                  status.message() + " (to find the kernel, run with "
                                     "CUDA_LAUNCH_BLOCKING=1 or "
                                     "AMD_SERIALIZE_KERNEL=3)");
  return Status();
}

Status GpuProgramRunner::runCollective(PackedLaunch &packed, void *ctx) {
  const GpuLaunch &launch = *packed.launch;
  if (!ctx)
    return internalError("a collective step needs the stage's context");
  Status status = waitForKernels();
  if (!status.ok())
    return status;
  status = device_.copyToHost(packed.hostIn.data(), buffers_[launch.in],
                              packed.hostIn.size());
  if (!status.ok())
    return status;
  const cleave_runtime_table *table =
      static_cast<cleave_stage_context *>(ctx)->table;
  auto count = static_cast<int64_t>(launch.count);
  auto dtype = static_cast<int32_t>(launch.dtype);
  if (launch.kind == GpuLaunch::Kind::AllReduceSum)
    table->all_reduce(ctx, packed.hostIn.data(), packed.hostOut.data(), count,
                      dtype, CLEAVE_REDUCE_SUM, CLEAVE_GROUP_STAGE);
  else
    table->all_gather(ctx, packed.hostIn.data(), packed.hostOut.data(), count,
                     dtype, 0);
  return device_.copyToDevice(buffers_[launch.out], packed.hostOut.data(),
                              packed.hostOut.size());
}

Status GpuProgramRunner::run(void *const *args, void *ctx) {
  for (const ArgCopy &copy : toDevice_) {
    if (!copy.bytes)
      continue; // zero-size tensors: nothing to move
    Status status = device_.copyToDevice(copy.device, args[copy.arg], copy.bytes);
    if (!status.ok())
      return status;
  }
  bool queued = false;
  for (PackedLaunch &packed : launches_) {
    if (packed.launch->kind != GpuLaunch::Kind::Kernel) {
      Status status = runCollective(packed, ctx);
      if (!status.ok())
        return status;
      queued = false;
      continue;
    }
    Status status =
        executable_.launch(packed.kernel, packed.launch->grid,
                           packed.launch->block, packed.params.data());
    if (!status.ok())
      return Status(status.code(),
                    "kernel '" + packed.launch->kernel + "': " + status.message());
    queued = true;
  }
  if (queued) {
    Status status = waitForKernels();
    if (!status.ok())
      return status;
  }
  for (const ArgCopy &copy : toHost_) {
    if (!copy.bytes)
      continue;
    Status status = device_.copyToHost(args[copy.arg], copy.device, copy.bytes);
    if (!status.ok())
      return status;
  }
  return Status();
}

} // namespace cleave
