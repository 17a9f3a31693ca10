//===- session.cc - Running an artifact's plan ----------------------------===//
//
// A session runs one stage: the only one of a single-device plan, or, in a
// pipeline plan, the stage of its transport's rank. The stage's code is loaded
// once; each run streams the microbatches through it, binding input slices,
// mapped parameters, output slices and double-buffered transfer buffers to
// the entry point's argument list in manifest order. In a plan with
// tensor-parallel groups, every session splits the job's transport into one
// transport per group, over which the stage's collectives run; the ranks at
// place t of two adjacent groups exchange that pipeline edge's tensors.
//
//===----------------------------------------------------------------------===//

#include "cleave/runtime.h"

#include "comm/transport.h"
#include "core/gpu_program.h"
#include "core/trace.h"
#include "hal/hal.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>

#include <sched.h>
#include <unistd.h>

namespace cleave {

int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0)
      return count;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 1;
}

/// Where each entry-point argument comes from.
struct ArgBinding {
  StageArg::Kind kind;
  size_t index = 0;            ///< into inputs, outputs, recvs or sends
  const void *param = nullptr; ///< for parameters: into the mapping
};

/// One activation sent to or received from a neighbouring stage, with two
/// buffers so that microbatch m+1 travels while microbatch m is computed.
struct Transfer {
  std::string name;
  size_t bytes = 0;
  int peerRank = 0;
  int position = 0; ///< among the cut's tensors, in the sender's args order
  Tensor buffers[2];
  TransportRequest pending[2] = {-1, -1};
  /// The microbatch each slot's pending transfer carries (for the trace).
  int microbatch[2] = {-1, -1};
};

/// A graph input or output seen one microbatch at a time.
struct Slice {
  size_t bytes = 0; ///< of one microbatch
  /// Used when a microbatch's rows do not start 64-byte aligned (the ABI
  /// promises aligned buffers): rows are copied through it. Allocated with
  /// the session when the microbatch size alone misaligns rows, otherwise
  /// on the first run whose caller's buffer is misaligned, then kept.
  Tensor staging;
};

/// What runtime calls made by generated code work with: ctx's `session`.
struct CallState {
  /// The stage's tensor-parallel group; null for a group of one rank.
  Transport *group = nullptr;
  /// The first failure of a runtime call during the current invocation.
  Status status;
  /// Where the collectives of a group of several ranks are counted.
  StageProfile *profile = nullptr;
  /// Code compiled with --profile-ops: the stage's op groups, the one open
  /// (-1: none) and when it began (steady_clock nanoseconds).
  const std::vector<OpGroupDesc> *opGroups = nullptr;
  int openGroup = -1;
  int64_t groupStartNanos = 0;
};

struct Session::Impl {
  std::unique_ptr<hal::Device> device;
  std::unique_ptr<hal::Executable> executable;
  void *entry = nullptr;
  /// GPU stages: replays the gpu_program instead of calling an entry point.
  /// Declared after the device and executable, so it is destroyed first.
  std::unique_ptr<GpuProgramRunner> gpu;
  std::vector<ArgBinding> bindings;
  const StageDesc *stage = nullptr;
  bool first = true;
  bool last = true;
  /// The stage reads graph inputs (the first stage, or in a plan compiled
  /// for generation any stage reading cache inputs) and writes graph outputs
  /// (the last stage, or one computing presents).
  bool takes = true;
  bool writes = true;
  /// Per graph input and output: whether this stage reads or writes it.
  std::vector<bool> reads, written;
  bool returns = true; ///< writes, and first in its tensor-parallel group
  std::shared_ptr<Transport> transport; ///< null for single-stage plans
  /// Over the ranks of this stage's group, in the manifest's `group` order;
  /// null unless the group has several ranks.
  std::shared_ptr<Transport> groupTransport;
  std::vector<Transfer> recvs;
  std::vector<Transfer> sends;
  std::vector<Slice> inputSlices;
  std::vector<Slice> outputSlices;
  /// Where a last-stage rank that returns no outputs (a tensor-parallel
  /// group's other ranks) writes them when its caller passes none.
  std::vector<Tensor> unreturnedOutputs;
  CallState calls;
  /// What the entry point's ctx points to; `session` points to `calls`.
  cleave_stage_context context{nullptr, nullptr};
  StageProfile profile;
};

namespace {
/// Tags: microbatch * kTagsPerMicrobatch + position of the tensor in its cut.
constexpr int kTagsPerMicrobatch = 1024;

/// The alignment the entry-point ABI promises for every argument buffer.
constexpr uintptr_t kArgAlignment = 64;

/// True when `pointer` may be passed to an entry point as it is.
bool isAligned(const void *pointer) {
  return (reinterpret_cast<uintptr_t>(pointer) & (kArgAlignment - 1)) == 0;
}

/// Seconds on a monotonic clock, for the profile.
double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename T>
size_t indexOf(const std::vector<T> &list, const std::string &name) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return i;
  return list.size();
}

std::string nameList(const std::vector<TensorDesc> &tensors) {
  std::string names;
  for (const TensorDesc &tensor : tensors)
    names += (names.empty() ? "" : ", ") + tensor.name;
  return names;
}

std::string plural(size_t count, const char *noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

/// The position of send `name` among the sends of `sender`.
int cutPosition(const StageDesc &sender, const std::string &name) {
  int position = 0;
  for (const StageArg &arg : sender.args) {
    if (arg.kind != StageArg::Kind::Send)
      continue;
    if (arg.name == name)
      return position;
    ++position;
  }
  return -1;
}

CallState &callState(void *ctx) {
  return *static_cast<CallState *>(
      static_cast<cleave_stage_context *>(ctx)->session);
}

/// The runtime's cleave_all_reduce_fn: sums over the stage's tensor-parallel
/// group.
void stageAllReduce(void *ctx, const void *in, void *out, int64_t count,
                    int32_t dtype, int32_t op, int32_t group) {
  CallState &calls = callState(ctx);
  if (!calls.status.ok())
    return;
  if (op != CLEAVE_REDUCE_SUM || group != CLEAVE_GROUP_STAGE || count < 0 ||
      dtype < 0 || dtype >= CLEAVE_DTYPE_COUNT) {
    calls.status = internalError(
        "all-reduce called with an unknown op, group, count or dtype");
    return;
  }
  auto type = static_cast<DType>(dtype);
  if (!calls.group) {
    // One rank: the sum is the rank's own data.
    if (in != out)
      std::memcpy(out, in, static_cast<size_t>(count) * dtypeSize(type));
    return;
  }
  trace::Span span("all-reduce", -1, -1, count * int64_t(dtypeSize(type)));
  calls.profile->allReduces++;
  calls.profile->allReduceBytes +=
      static_cast<int64_t>(count) * static_cast<int64_t>(dtypeSize(type));
  Status status =
      calls.group->allReduceSum(in, out, static_cast<size_t>(count), type);
  if (!status.ok())
    calls.status = Status(status.code(), "all-reduce: " + status.message());
}

/// The runtime's cleave_all_gather_fn: concatenates the group's ranks' elements
/// in group-rank order.
void stageAllGather(void *ctx, const void *in, void *out, int64_t count,
                    int32_t dtype, int32_t group) {
  CallState &calls = callState(ctx);
  if (!calls.status.ok())
    return;
  if (group != CLEAVE_GROUP_STAGE || count < 0 || dtype < 0 ||
      dtype >= CLEAVE_DTYPE_COUNT) {
    calls.status = internalError(
        "all-gather called with an unknown group, count or dtype");
    return;
  }
  size_t bytes =
      static_cast<size_t>(count) * dtypeSize(static_cast<DType>(dtype));
  if (!calls.group) {
    // One rank: the gather is the rank's own data.
    std::memcpy(out, in, bytes);
    return;
  }
  trace::Span span("all-gather", -1, -1, int64_t(bytes));
  calls.profile->allGathers++;
  calls.profile->allGatherBytes += static_cast<int64_t>(bytes);
  Status status = calls.group->allGather(in, out, bytes);
  if (!status.ok())
    calls.status = Status(status.code(), "all-gather: " + status.message());
}

int64_t steadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The runtime's cleave_prof_fn at the start of op group `id`.
void stageProfBegin(void *ctx, int32_t id) {
  CallState &calls = callState(ctx);
  if (!calls.opGroups || id < 0 ||
      static_cast<size_t>(id) >= calls.opGroups->size() ||
      calls.openGroup >= 0) {
    if (calls.status.ok())
      calls.status =
          internalError("op group " + std::to_string(id) +
                        " began out of order or is not in the manifest");
    return;
  }
  calls.openGroup = id;
  calls.groupStartNanos = steadyNanos();
}

/// The runtime's cleave_prof_fn at the end of op group `id`.
void stageProfEnd(void *ctx, int32_t id) {
  int64_t end = steadyNanos();
  CallState &calls = callState(ctx);
  if (calls.openGroup != id) {
    if (calls.status.ok())
      calls.status = internalError("op group " + std::to_string(id) +
                                   " ended without beginning");
    return;
  }
  calls.openGroup = -1;
  StageProfile::OpGroupTime &time = calls.profile->opGroups[id];
  time.calls++;
  time.seconds += static_cast<double>(end - calls.groupStartNanos) * 1e-9;
  if (trace::enabled())
    trace::recordOpGroup((*calls.opGroups)[id], calls.groupStartNanos, end);
}

const cleave_runtime_table kRuntimeTable = {&stageAllReduce, &stageAllGather,
                                            &stageProfBegin, &stageProfEnd};
// Generated code finds each function at its slot (cleave/abi.h).
static_assert(offsetof(cleave_runtime_table, all_reduce) ==
                  CLEAVE_RT_SLOT_ALL_REDUCE * sizeof(void *),
              "all_reduce is not at its slot");
static_assert(offsetof(cleave_runtime_table, all_gather) ==
                  CLEAVE_RT_SLOT_ALL_GATHER * sizeof(void *),
              "all_gather is not at its slot");
static_assert(offsetof(cleave_runtime_table, prof_begin) ==
                  CLEAVE_RT_SLOT_PROF_BEGIN * sizeof(void *),
              "prof_begin is not at its slot");
static_assert(offsetof(cleave_runtime_table, prof_end) ==
                  CLEAVE_RT_SLOT_PROF_END * sizeof(void *),
              "prof_end is not at its slot");
static_assert(sizeof(cleave_runtime_table) ==
                  CLEAVE_RT_SLOT_COUNT * sizeof(void *),
              "the runtime table has a function without a slot");

/// The place of `rank` in `stage`'s group (0 for a stage on one rank).
int placeInGroup(const StageDesc &stage, int rank) {
  auto found = std::find(stage.group.begin(), stage.group.end(), rank);
  return found == stage.group.end()
             ? 0
             : static_cast<int>(found - stage.group.begin());
}

/// Gives `slice` of `desc` its staging buffer, unless it has one.
Status allocateStaging(Slice &slice, const TensorDesc &desc, int microbatches) {
  if (slice.staging.data())
    return Status();
  Shape shape = desc.shape;
  if (!shape.empty())
    shape[0] /= microbatches;
  StatusOr<Tensor> staging = Tensor::create(desc.dtype, shape);
  if (!staging.ok())
    return staging.status();
  slice.staging = std::move(staging).value();
  return Status();
}

StatusOr<Slice> makeSlice(const TensorDesc &desc, int microbatches) {
  Slice slice;
  slice.bytes = desc.byteSize() / static_cast<size_t>(microbatches);
  if (microbatches > 1 && slice.bytes % kArgAlignment != 0) {
    Status status = allocateStaging(slice, desc, microbatches);
    if (!status.ok())
      return status;
  }
  return slice;
}

/// True when some microbatch's rows of a buffer at `base` do not start
/// aligned, so that they go through the slice's staging buffer.
bool needsStaging(const Slice &slice, const void *base, int microbatches) {
  return !isAligned(base) ||
         (microbatches > 1 && slice.bytes % kArgAlignment != 0);
}

/// Checks one caller's buffer against the manifest's `want`: `kind` is
/// "input" or "output".
Status checkView(const char *kind, const TensorDesc &want, DType dtype,
                 const Shape &shape, const void *data, size_t byteSize) {
  std::string what = std::string(kind) + " '" + want.name + "'";
  if (dtype != want.dtype)
    return invalidArgumentError(what + ": expected dtype " +
                                dtypeName(want.dtype) + ", got " +
                                dtypeName(dtype));
  if (shape != want.shape)
    return invalidArgumentError(what + ": expected shape " +
                                shapeToString(want.shape) + ", got " +
                                shapeToString(shape));
  size_t needed = want.byteSize();
  if (!data && needed > 0)
    return invalidArgumentError(what + " has no data");
  if (byteSize < needed)
    return invalidArgumentError(what + ": buffer of " +
                                std::to_string(byteSize) + " bytes, needs " +
                                std::to_string(needed));
  return Status();
}
} // namespace

Session::~Session() = default;

const StageDesc &Session::stage() const { return *impl_->stage; }
bool Session::takesInputs() const { return impl_->takes; }
bool Session::returnsOutputs() const { return impl_->returns; }
const StageProfile &Session::profile() const { return impl_->profile; }
void Session::resetProfile() {
  impl_->profile = StageProfile();
  impl_->profile.opGroups.resize(impl_->stage->opGroups.size());
}

StatusOr<std::unique_ptr<Session>>
Session::create(std::shared_ptr<const Artifact> artifact,
                const SessionOptions &options) {
  if (!artifact)
    return invalidArgumentError("no artifact given to the session");
  if (options.threads < 0)
    return invalidArgumentError("threads must be 0 (all cores) or positive, "
                                "got " +
                                std::to_string(options.threads));
  std::string prefix = "artifact '" + artifact->path() + "': ";
  bool distributed =
      artifact->stages().size() != 1 || artifact->devices().size() != 1;
  const StageDesc *stage = &artifact->stages().front();
  std::shared_ptr<Transport> groupTransport;
  if (distributed) {
    std::string plan = plural(artifact->stages().size(), "stage") + " on " +
                       plural(artifact->devices().size(), "rank");
    if (!options.transport)
      return failedPreconditionError(
          prefix + "distributed plans need mpirun: the plan has " + plan +
          " and the session was given no transport");
    const Transport &transport = *options.transport;
    if (transport.size() != artifact->ranks())
      return failedPreconditionError(
          prefix + "the plan needs " + plural(artifact->ranks(), "rank") +
          ", the job has " + std::to_string(transport.size()));
    stage = artifact->stageOnRank(transport.rank());
    // Each tensor-parallel group gets a transport of its own. Splitting is
    // collective, so every rank takes part before anything that only some
    // ranks may fail: color = stage id, key = place in the group, so the
    // group transport's ranks follow the manifest's `group` order.
    bool groups = false;
    for (const StageDesc &other : artifact->stages())
      groups = groups || other.group.size() > 1;
    if (groups) {
      int color = stage ? stage->id
                        : static_cast<int>(artifact->stages().size()) +
                              transport.rank();
      int key = stage ? placeInGroup(*stage, stage->rank) : 0;
      StatusOr<std::shared_ptr<Transport>> split =
          options.transport->split(color, key);
      if (!split.ok())
        return Status(split.status().code(),
                      prefix +
                          "tensor-parallel group: " + split.status().message());
      groupTransport = std::move(split).value();
    }
    if (!stage)
      return failedPreconditionError(prefix + "rank " +
                                     std::to_string(transport.rank()) +
                                     " runs no stage");
    if (stage->group.size() > 1 &&
        (groupTransport->size() != static_cast<int>(stage->group.size()) ||
         groupTransport->rank() != placeInGroup(*stage, stage->rank)))
      return internalError(prefix + "stage " + std::to_string(stage->id) +
                           ": the group transport does not match the "
                           "manifest's group");
    int tags = artifact->microbatches() * kTagsPerMicrobatch - 1;
    if (artifact->microbatches() > transport.maxTag() / kTagsPerMicrobatch)
      return unimplementedError(
          prefix + std::to_string(artifact->microbatches()) +
          " microbatches need MPI tags up to " + std::to_string(tags) +
          ", above this MPI's limit " + std::to_string(transport.maxTag()));
  }
  if (artifact->checkedRank() != Artifact::kAllRanks &&
      artifact->checkedRank() != stage->rank)
    return failedPreconditionError(
        prefix + "opened for rank " + std::to_string(artifact->checkedRank()) +
        " (only its sections were checked), used on rank " +
        std::to_string(stage->rank));

  try {
    std::unique_ptr<Session> session(new Session());
    session->artifact_ = artifact;
    session->threads_ = options.threads ? options.threads : availableCores();
    session->impl_ = std::make_unique<Impl>();
    Impl &impl = *session->impl_;
    impl.stage = stage;
    impl.context = cleave_stage_context{&kRuntimeTable, &impl.calls};
    impl.first = stage->id == 0;
    int lastId = 0;
    for (const StageDesc &other : artifact->stages())
      lastId = std::max(lastId, other.id);
    impl.last = stage->id == lastId;
    impl.reads.assign(artifact->inputs().size(), false);
    impl.written.assign(artifact->outputs().size(), false);
    for (const StageArg &arg : stage->args) {
      if (arg.kind == StageArg::Kind::Input)
        impl.reads[indexOf(artifact->inputs(), arg.name)] = true;
      if (arg.kind == StageArg::Kind::Output)
        impl.written[indexOf(artifact->outputs(), arg.name)] = true;
    }
    impl.takes = impl.first || std::find(impl.reads.begin(), impl.reads.end(),
                                         true) != impl.reads.end();
    impl.writes = impl.last || std::find(impl.written.begin(),
                                         impl.written.end(),
                                         true) != impl.written.end();
    // In a tensor-parallel stage every rank computes the outputs; the group's
    // first rank returns them.
    impl.returns = impl.writes && stage->group.front() == stage->rank;
    if (distributed)
      impl.transport = options.transport;
    if (stage->group.size() > 1)
      impl.groupTransport = std::move(groupTransport);
    impl.calls.group = impl.groupTransport.get();
    impl.calls.profile = &impl.profile;
    impl.calls.opGroups = &stage->opGroups;
    impl.profile.opGroups.resize(stage->opGroups.size());

    const DeviceDesc &device = artifact->devices()[stage->device];
    StatusOr<std::unique_ptr<hal::Device>> created = hal::createDevice(
        device.kind, device.index, hal::DeviceOptions{session->threads_});
    if (!created.ok())
      return Status(created.status().code(),
                    prefix + created.status().message());
    impl.device = std::move(created).value();
    // Only this stage's code section is loaded: a host shared object, or a
    // GPU stage's kernels (cuda-fatbin, rocm-hsaco).
    const SectionDesc *code = artifact->findSection(stage->code);
    std::string where = prefix + "section '" + stage->code + "': ";
    StatusOr<std::unique_ptr<hal::Executable>> loaded =
        impl.device->loadExecutable(artifact->sectionData(*code), code->size,
                                    code->kind);
    if (!loaded.ok())
      return Status(loaded.status().code(), where + loaded.status().message());
    impl.executable = std::move(loaded).value();

    if (stage->gpuProgram) {
      // The kernels are launched from the manifest's gpu_program; parameters
      // and constants go to the device once, here.
      StatusOr<std::unique_ptr<GpuProgramRunner>> runner =
          GpuProgramRunner::create(*artifact, *stage, artifact->microbatches(),
                                   *impl.device, *impl.executable);
      if (!runner.ok())
        return Status(runner.status().code(),
                      prefix + impl.device->name() + ": " +
                          runner.status().message());
      impl.gpu = std::move(runner).value();
    } else {
      StatusOr<void *> entry = impl.executable->lookup(stage->entry);
      if (!entry.ok())
        return Status(entry.status().code(),
                      where + "stage " + std::to_string(stage->id) +
                          " entry point: " + entry.status().message());
      impl.entry = *entry;
    }

    int microbatches = artifact->microbatches();
    std::vector<bool> written(artifact->outputs().size(), false);
    for (const StageArg &arg : stage->args) {
      ArgBinding binding{arg.kind};
      switch (arg.kind) {
      case StageArg::Kind::Input:
        binding.index = indexOf(artifact->inputs(), arg.name);
        break;
      case StageArg::Kind::Output:
        binding.index = indexOf(artifact->outputs(), arg.name);
        written[binding.index] = true;
        break;
      case StageArg::Kind::Param:
        // The manifest guarantees the parameter belongs to this rank; only
        // its pages of the mapping are ever touched.
        binding.param =
            artifact->parameterData(*artifact->findParameter(arg.name));
        break;
      case StageArg::Kind::Recv:
      case StageArg::Kind::Send: {
        bool isRecv = arg.kind == StageArg::Kind::Recv;
        std::vector<Transfer> &list = isRecv ? impl.recvs : impl.sends;
        // The rank at this rank's place in the peer stage's group (groups
        // of adjacent stages have one size, as the manifest checks).
        const std::vector<int> &peerGroup =
            artifact->findStage(arg.peer)->group;
        int peerRank = peerGroup[placeInGroup(*stage, stage->rank)];
        const StageDesc *sender =
            isRecv ? artifact->stageOnRank(peerRank) : stage;
        Transfer transfer;
        transfer.name = arg.name;
        transfer.bytes = TensorDesc{arg.name, arg.dtype, arg.shape}.byteSize();
        transfer.peerRank = peerRank;
        transfer.position = cutPosition(*sender, arg.name);
        if (transfer.position >= kTagsPerMicrobatch)
          return unimplementedError(
              prefix + "stage " + std::to_string(stage->id) + ": " +
              arg.kindName + " '" + arg.name + "': more than " +
              std::to_string(kTagsPerMicrobatch) + " tensors in one cut");
        for (Tensor &buffer : transfer.buffers) {
          StatusOr<Tensor> tensor = Tensor::create(arg.dtype, arg.shape);
          if (!tensor.ok())
            return Status(tensor.status().code(),
                          prefix + "stage " + std::to_string(stage->id) + ": " +
                              arg.kindName + " '" + arg.name +
                              "': " + tensor.status().message());
          buffer = std::move(tensor).value();
        }
        binding.index = list.size();
        list.push_back(std::move(transfer));
        break;
      }
      case StageArg::Kind::Other:
        return unimplementedError(prefix + "stage " +
                                  std::to_string(stage->id) + " argument '" +
                                  arg.name + "' of kind '" + arg.kindName +
                                  "' is not supported by this runtime");
      }
      impl.bindings.push_back(binding);
    }
    // Every output is written: by the last stage, or (generation plans) by
    // the stage the manifest names for it.
    auto writtenElsewhere = [&](const std::string &name) {
      for (const StageDesc &other : artifact->stages())
        if (other.id != stage->id)
          for (const StageArg &arg : other.args)
            if (arg.kind == StageArg::Kind::Output && arg.name == name)
              return true;
      return false;
    };
    if (impl.last)
      for (size_t i = 0; i < written.size(); ++i)
        if (!written[i] && !writtenElsewhere(artifact->outputs()[i].name))
          return invalidArgumentError(
              prefix + "output '" + artifact->outputs()[i].name +
              "' is not written by stage " + std::to_string(stage->id));
    if (impl.takes)
      for (const TensorDesc &desc : artifact->inputs()) {
        StatusOr<Slice> slice = makeSlice(desc, microbatches);
        if (!slice.ok())
          return slice.status();
        impl.inputSlices.push_back(std::move(slice).value());
      }
    if (impl.writes)
      for (const TensorDesc &desc : artifact->outputs()) {
        StatusOr<Slice> slice = makeSlice(desc, microbatches);
        if (!slice.ok())
          return slice.status();
        impl.outputSlices.push_back(std::move(slice).value());
      }
    return session;
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError(prefix + "out of memory creating a session");
  }
}

Status Session::validateInputs(const std::vector<Tensor> &inputs) const {
  try {
    return validateInputs(
        std::vector<TensorView>(inputs.begin(), inputs.end()));
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory checking the inputs");
  }
}

Status Session::validateInputs(const std::vector<TensorView> &inputs) const {
  if (!impl_->takes) {
    if (inputs.empty())
      return Status();
    return invalidArgumentError(
        "stage " + std::to_string(impl_->stage->id) +
        " takes no inputs (only the first stage's rank passes them), got " +
        std::to_string(inputs.size()));
  }
  const std::vector<TensorDesc> &expected = artifact_->inputs();
  if (inputs.size() != expected.size())
    return invalidArgumentError(
        "expected " + plural(expected.size(), "input") +
        (expected.empty() ? "" : " (" + nameList(expected) + ")") + ", got " +
        std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView &got = inputs[i];
    // An input this stage does not read may be an empty view.
    if (!impl_->reads[i] && !got.data && got.byteSize == 0)
      continue;
    Status status = checkView("input", expected[i], got.dtype, got.shape,
                              got.data, got.byteSize);
    if (!status.ok())
      return status;
  }
  return Status();
}

Status Session::run(const std::vector<Tensor> &inputs,
                    std::vector<Tensor> *outputs) {
  if (!outputs)
    return invalidArgumentError("no output vector given to Session::run");
  try {
    std::vector<TensorView> inputViews(inputs.begin(), inputs.end());
    // Every rank of the last stage gets the outputs in this form.
    std::vector<Tensor> results;
    std::vector<MutableTensorView> outputViews;
    if (impl_->writes)
      for (const TensorDesc &desc : artifact_->outputs()) {
        StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
        if (!tensor.ok())
          return Status(tensor.status().code(), "output '" + desc.name + "': " +
                                                    tensor.status().message());
        results.push_back(std::move(tensor).value());
        outputViews.emplace_back(results.back());
      }
    Status status = run(inputViews, outputViews);
    if (!status.ok())
      return status;
    *outputs = std::move(results);
    return Status();
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory running the session");
  }
}

Status Session::run(const std::vector<TensorView> &inputs,
                    const std::vector<MutableTensorView> &outputs) {
  try {
    Status valid = validateInputs(inputs);
    if (!valid.ok())
      return valid;
    Impl &impl = *impl_;
    const std::vector<TensorDesc> &expected = artifact_->outputs();
    if (!impl.writes && !outputs.empty())
      return invalidArgumentError(
          "stage " + std::to_string(impl.stage->id) +
          " returns no outputs (only the last stage's rank gets them), got " +
          std::to_string(outputs.size()));
    if (impl.writes && outputs.size() != expected.size() &&
        !(outputs.empty() && !impl.returns))
      return invalidArgumentError(
          "expected " + plural(expected.size(), "output") +
          (expected.empty() ? "" : " (" + nameList(expected) + ")") + ", got " +
          std::to_string(outputs.size()));
    for (size_t i = 0; i < outputs.size(); ++i) {
      const MutableTensorView &got = outputs[i];
      // An output this stage does not write may be an empty view.
      if (!impl.written[i] && !got.data && got.byteSize == 0)
        continue;
      Status status = checkView("output", expected[i], got.dtype, got.shape,
                                got.data, got.byteSize);
      if (!status.ok())
        return status;
    }

    StageProfile &profile = impl.profile;
    double runStart = now();
    const int stageId = impl.stage->id;
    trace::Span runSpan("run", stageId);
    std::string where = "stage " + std::to_string(impl.stage->id) + ": ";
    int microbatches = artifact_->microbatches();
    // Where each output goes: the caller's buffers, or the session's own on
    // a rank that computes the outputs without returning them.
    std::vector<uint8_t *> results;
    if (impl.writes) {
      if (outputs.empty() && impl.unreturnedOutputs.empty())
        for (const TensorDesc &desc : expected) {
          StatusOr<Tensor> tensor =
              Tensor::create(desc.dtype, impl.written[&desc - expected.data()]
                                             ? desc.shape
                                             : Shape{0});
          if (!tensor.ok())
            return Status(tensor.status().code(),
                          "output '" + desc.name +
                              "': " + tensor.status().message());
          impl.unreturnedOutputs.push_back(std::move(tensor).value());
        }
      for (size_t i = 0; i < expected.size(); ++i)
        results.push_back(static_cast<uint8_t *>(
            outputs.empty() ? impl.unreturnedOutputs[i].data()
                            : outputs[i].data));
    }
    // Staging buffers for buffers whose rows start misaligned.
    for (size_t i = 0; i < impl.inputSlices.size(); ++i)
      if (impl.reads[i] && needsStaging(impl.inputSlices[i], inputs[i].data, microbatches)) {
        Status status = allocateStaging(impl.inputSlices[i],
                                        artifact_->inputs()[i], microbatches);
        if (!status.ok())
          return Status(status.code(), "input '" + artifact_->inputs()[i].name +
                                           "': " + status.message());
      }
    for (size_t i = 0; i < impl.outputSlices.size(); ++i)
      if (impl.written[i] && needsStaging(impl.outputSlices[i], results[i], microbatches)) {
        Status status =
            allocateStaging(impl.outputSlices[i], expected[i], microbatches);
        if (!status.ok())
          return Status(status.code(), "output '" + expected[i].name +
                                           "': " + status.message());
      }

    Transport *transport = impl.transport.get();
    auto tagOf = [](int microbatch, const Transfer &transfer) {
      return microbatch * kTagsPerMicrobatch + transfer.position;
    };
    auto postRecvs = [&](int microbatch) -> Status {
      for (Transfer &recv : impl.recvs) {
        int slot = microbatch & 1;
        StatusOr<TransportRequest> request =
            transport->recv(recv.buffers[slot].data(), recv.bytes,
                            recv.peerRank, tagOf(microbatch, recv));
        if (!request.ok())
          return Status(request.status().code(),
                        where + "recv '" + recv.name +
                            "': " + request.status().message());
        recv.pending[slot] = *request;
        recv.microbatch[slot] = microbatch;
      }
      return Status();
    };
    auto complete = [&](Transfer &transfer, int slot, const char *kind,
                        double &waited) -> Status {
      if (transfer.pending[slot] < 0)
        return Status();
      double start = now();
      Status done;
      {
        // The wait for a transfer, named by its direction.
        trace::Span span(kind, stageId, transfer.microbatch[slot],
                         int64_t(transfer.bytes), transfer.peerRank);
        done = transport->wait(transfer.pending[slot]);
      }
      waited += now() - start;
      transfer.pending[slot] = -1;
      if (!done.ok())
        return Status(done.code(), where + kind + " '" + transfer.name +
                                       "': " + done.message());
      return Status();
    };

    if (!impl.recvs.empty()) {
      Status posted = postRecvs(0);
      if (!posted.ok())
        return posted;
    }
    std::vector<void *> args(impl.bindings.size());
    for (int m = 0; m < microbatches; ++m) {
      int slot = m & 1;
      for (Transfer &recv : impl.recvs) {
        Status done = complete(recv, slot, "recv", profile.recvWaitSeconds);
        if (!done.ok())
          return done;
      }
      // The next microbatch's activations arrive while this one computes.
      if (!impl.recvs.empty() && m + 1 < microbatches) {
        Status posted = postRecvs(m + 1);
        if (!posted.ok())
          return posted;
      }
      // This slot's send buffers were last sent two microbatches ago.
      for (Transfer &send : impl.sends) {
        Status done = complete(send, slot, "send", profile.sendWaitSeconds);
        if (!done.ok())
          return done;
      }

      for (size_t a = 0; a < impl.bindings.size(); ++a) {
        const ArgBinding &binding = impl.bindings[a];
        switch (binding.kind) {
        case StageArg::Kind::Input: {
          Slice &slice = impl.inputSlices[binding.index];
          // The ABI passes void**; generated code never writes its inputs.
          auto *rows = static_cast<uint8_t *>(
                           const_cast<void *>(inputs[binding.index].data)) +
                       slice.bytes * m;
          if (isAligned(rows)) {
            args[a] = rows;
          } else {
            std::memcpy(slice.staging.data(), rows, slice.bytes);
            args[a] = slice.staging.data();
          }
          break;
        }
        case StageArg::Kind::Param:
          args[a] = const_cast<void *>(binding.param);
          break;
        case StageArg::Kind::Output: {
          Slice &slice = impl.outputSlices[binding.index];
          uint8_t *rows = results[binding.index] + slice.bytes * m;
          args[a] = isAligned(rows) ? rows : slice.staging.data();
          break;
        }
        case StageArg::Kind::Recv:
          args[a] = impl.recvs[binding.index].buffers[slot].data();
          break;
        case StageArg::Kind::Send:
          args[a] = impl.sends[binding.index].buffers[slot].data();
          break;
        case StageArg::Kind::Other:
          return internalError("unbound stage argument");
        }
      }
      impl.calls.status = Status();
      impl.calls.openGroup = -1;
      double computeStart = now();
      Status status;
      {
        trace::Span span("compute", stageId, m);
        status = impl.gpu ? impl.gpu->run(args.data(), &impl.context)
                          : impl.executable->invoke(impl.entry, &impl.context,
                                                    args.data());
      }
      double computed = now() - computeStart;
      profile.computeSeconds += computed;
      if (profile.microbatches++ == 0 || computed < profile.computeMinSeconds)
        profile.computeMinSeconds = computed;
      if (status.ok())
        status = impl.calls.status;
      if (!status.ok())
        return Status(status.code(), where + status.message());
      for (size_t i = 0; i < impl.outputSlices.size(); ++i) {
        if (!impl.written[i])
          continue;
        Slice &slice = impl.outputSlices[i];
        uint8_t *rows = results[i] + slice.bytes * m;
        if (!isAligned(rows))
          std::memcpy(rows, slice.staging.data(), slice.bytes);
      }
      for (Transfer &send : impl.sends) {
        StatusOr<TransportRequest> request =
            transport->send(send.buffers[slot].data(), send.bytes,
                            send.peerRank, tagOf(m, send));
        if (!request.ok())
          return Status(request.status().code(),
                        where + "send '" + send.name +
                            "': " + request.status().message());
        send.pending[slot] = *request;
        send.microbatch[slot] = m;
      }
    }
    for (Transfer &send : impl.sends)
      for (int slot = 0; slot < 2; ++slot) {
        Status done = complete(send, slot, "send", profile.sendWaitSeconds);
        if (!done.ok())
          return done;
      }
    profile.runs++;
    profile.runSeconds += now() - runStart;
    return Status();
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory running the session");
  }
}

} // namespace cleave
