//===- session.cc - Running an artifact's plan ----------------------------===//
//
// A single-device plan runs in this process: the stage's code is loaded once,
// and each run binds user inputs, mapped parameters and fresh outputs to the
// entry point's argument list in manifest order. Distributed plans will add a
// transport (runtime/src/comm) and a microbatch schedule here.
//
//===----------------------------------------------------------------------===//

#include "cleave/runtime.h"

#include "hal/hal.h"

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
  size_t index = 0;            ///< into the inputs or outputs of a run
  const void *param = nullptr; ///< for parameters: into the mapping
};

struct Session::Impl {
  std::unique_ptr<hal::Device> device;
  std::unique_ptr<hal::Executable> executable;
  void *entry = nullptr;
  std::vector<ArgBinding> bindings;
};

namespace {
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
} // namespace

Session::~Session() = default;

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
  if (artifact->stages().size() != 1 || artifact->devices().size() != 1)
    return unimplementedError(
        prefix +
        "distributed plans need mpirun (not supported yet): the plan "
        "has " +
        plural(artifact->stages().size(), "stage") + " on " +
        plural(artifact->devices().size(), "rank"));

  try {
    std::unique_ptr<Session> session(new Session());
    session->artifact_ = artifact;
    session->threads_ = options.threads ? options.threads : availableCores();
    session->impl_ = std::make_unique<Impl>();
    Impl &impl = *session->impl_;

    const StageDesc &stage = artifact->stages().front();
    const DeviceDesc &device = artifact->devices()[stage.device];
    StatusOr<std::unique_ptr<hal::Device>> created = hal::createDevice(
        device.kind, device.index, hal::DeviceOptions{session->threads_});
    if (!created.ok())
      return Status(created.status().code(),
                    prefix + created.status().message());
    impl.device = std::move(created).value();

    const SectionDesc *code = artifact->findSection(stage.code);
    std::string where = prefix + "section '" + stage.code + "': ";
    StatusOr<std::unique_ptr<hal::Executable>> loaded =
        impl.device->loadExecutable(artifact->sectionData(*code), code->size,
                                    code->kind);
    if (!loaded.ok())
      return Status(loaded.status().code(), where + loaded.status().message());
    impl.executable = std::move(loaded).value();

    StatusOr<void *> entry = impl.executable->lookup(stage.entry);
    if (!entry.ok())
      return Status(entry.status().code(),
                    where + "stage " + std::to_string(stage.id) +
                        " entry point: " + entry.status().message());
    impl.entry = *entry;

    std::vector<bool> written(artifact->outputs().size(), false);
    for (const StageArg &arg : stage.args) {
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
        binding.param =
            artifact->parameterData(*artifact->findParameter(arg.name));
        break;
      case StageArg::Kind::Recv:
      case StageArg::Kind::Send:
      case StageArg::Kind::Other:
        return unimplementedError(prefix + "stage argument '" + arg.name +
                                  "' of kind '" + arg.kindName +
                                  "' is not supported in a single-device plan");
      }
      impl.bindings.push_back(binding);
    }
    for (size_t i = 0; i < written.size(); ++i)
      if (!written[i])
        return invalidArgumentError(prefix + "output '" +
                                    artifact->outputs()[i].name +
                                    "' is not written by any stage");
    return session;
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError(prefix + "out of memory creating a session");
  }
}

Status Session::validateInputs(const std::vector<Tensor> &inputs) const {
  const std::vector<TensorDesc> &expected = artifact_->inputs();
  if (inputs.size() != expected.size())
    return invalidArgumentError(
        "expected " + plural(expected.size(), "input") +
        (expected.empty() ? "" : " (" + nameList(expected) + ")") + ", got " +
        std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc &want = expected[i];
    const Tensor &got = inputs[i];
    if (got.dtype() != want.dtype)
      return invalidArgumentError("input '" + want.name + "': expected dtype " +
                                  dtypeName(want.dtype) + ", got " +
                                  dtypeName(got.dtype()));
    if (got.shape() != want.shape)
      return invalidArgumentError("input '" + want.name + "': expected shape " +
                                  shapeToString(want.shape) + ", got " +
                                  shapeToString(got.shape()));
    if (!got.data())
      return invalidArgumentError("input '" + want.name + "' has no data");
  }
  return Status();
}

Status Session::run(const std::vector<Tensor> &inputs,
                    std::vector<Tensor> *outputs) {
  if (!outputs)
    return invalidArgumentError("no output vector given to Session::run");
  Status valid = validateInputs(inputs);
  if (!valid.ok())
    return valid;
  try {
    std::vector<Tensor> results;
    for (const TensorDesc &desc : artifact_->outputs()) {
      StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
      if (!tensor.ok())
        return Status(tensor.status().code(), "output '" + desc.name + "': " +
                                                  tensor.status().message());
      results.push_back(std::move(tensor).value());
    }
    std::vector<void *> args;
    args.reserve(impl_->bindings.size());
    for (const ArgBinding &binding : impl_->bindings) {
      switch (binding.kind) {
      case StageArg::Kind::Input:
        // The ABI passes void**; generated code never writes its inputs.
        args.push_back(const_cast<void *>(inputs[binding.index].data()));
        break;
      case StageArg::Kind::Param:
        args.push_back(const_cast<void *>(binding.param));
        break;
      case StageArg::Kind::Output:
        args.push_back(results[binding.index].data());
        break;
      case StageArg::Kind::Recv:
      case StageArg::Kind::Send:
      case StageArg::Kind::Other:
        return internalError("unbound stage argument");
      }
    }
    Status status =
        impl_->executable->invoke(impl_->entry, /*ctx=*/nullptr, args.data());
    if (!status.ok())
      return status;
    *outputs = std::move(results);
    return Status();
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory running the session");
  }
}

} // namespace cleave
