// session.cpp - cleave.InferenceSession: runs an artifact from Python, alone or under mpirun.
//
// Inputs: a C-contiguous numpy array of the input's dtype reaches Session::run as a
// TensorView of the array's own memory (no copy); other arrays are converted first (see
// inputView). Outputs are numpy arrays over 64-byte aligned buffers, which the stage's code
// writes in place.
//
// Under mpirun a multi-rank plan's session is one rank of the job (openProcessSession).
// Every rank calls run() with the same feed: the ranks of the first stage check their
// inputs and all ranks agree on the result before anything is sent, so a bad feed raises
// the same cleave.Error everywhere; the last stage's returning rank then sends the outputs
// to rank 0 over a communicator of the session's own, and run() returns them on rank 0 and
// [] elsewhere. A failure once the pipeline runs leaves peers blocked: the rank prints the
// error and ends the job (MPI_Abort), as cleave-run does.
#include "binding.h"

#include "comm/transport.h"
#include "core/process_session.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

namespace py = pybind11;

namespace cleave::python {

namespace {

/// The alignment the entry-point ABI wants; buffers this aligned are used in place.
constexpr size_t kAlignment = 64;

/// onnxruntime's name of an element type, "tensor(float)" and so on.
const char *onnxTypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "tensor(float)";
  case DType::Float16:
    return "tensor(float16)";
  case DType::Float64:
    return "tensor(double)";
  case DType::Int64:
    return "tensor(int64)";
  case DType::Int32:
    return "tensor(int32)";
  case DType::Int8:
    return "tensor(int8)";
  case DType::UInt8:
    return "tensor(uint8)";
  case DType::Bool:
    return "tensor(bool)";
  case DType::Int16:
    return "tensor(int16)";
  case DType::UInt16:
    return "tensor(uint16)";
  case DType::UInt32:
    return "tensor(uint32)";
  case DType::UInt64:
    return "tensor(uint64)";
  case DType::BFloat16:
    return "tensor(bfloat16)";
  }
  return "tensor(unknown)";
}

/// The numpy dtype holding `dtype`'s elements: numpy's own, and uint16 bit patterns for
/// bfloat16 (numpy has no bfloat16).
py::dtype numpyDType(DType dtype) {
  return py::dtype(dtype == DType::BFloat16 ? "uint16" : dtypeName(dtype));
}

/// The runtime's DType of a numpy dtype (native byte order or not); false when it has none.
bool runtimeDType(const py::dtype &type, DType *dtype) {
  ssize_t size = type.itemsize();
  switch (type.kind()) {
  case 'b':
    *dtype = DType::Bool;
    return size == 1;
  case 'f':
    *dtype = size == 2 ? DType::Float16 : size == 4 ? DType::Float32 : DType::Float64;
    return size == 2 || size == 4 || size == 8;
  case 'i':
    *dtype = size == 1   ? DType::Int8
             : size == 2 ? DType::Int16
             : size == 4 ? DType::Int32
                         : DType::Int64;
    return size == 1 || size == 2 || size == 4 || size == 8;
  case 'u':
    *dtype = size == 1   ? DType::UInt8
             : size == 2 ? DType::UInt16
             : size == 4 ? DType::UInt32
                         : DType::UInt64;
    return size == 1 || size == 2 || size == 4 || size == 8;
  default:
    return false;
  }
}

/// True when numpy stores `type`'s elements in the other byte order than this machine's.
bool swapped(const py::dtype &type) {
  char order = type.byteorder();
  uint16_t probe = 1;
  bool little = *reinterpret_cast<const uint8_t *>(&probe) == 1;
  return order == (little ? '>' : '<');
}

/// Sets `*array` to a new numpy array of `type` and `dims` (none negative) over an
/// uninitialised 64-byte aligned buffer, freed with the array; false when out of memory.
bool alignedArray(const py::dtype &type, const std::vector<py::ssize_t> &dims, py::array *array) {
  size_t bytes = static_cast<size_t>(type.itemsize());
  for (py::ssize_t dim : dims)
    if (__builtin_mul_overflow(bytes, static_cast<size_t>(dim), &bytes))
      return false;
  if (bytes > SIZE_MAX - kAlignment)
    return false;
  // aligned_alloc wants a multiple of the alignment, and something to free for no bytes.
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void *data = std::aligned_alloc(kAlignment, rounded ? rounded : kAlignment);
  if (!data)
    return false;
  py::capsule owner(data, [](void *pointer) { std::free(pointer); });
  *array = py::array(type, dims, data, owner);
  return true;
}

/// "a, b, c", or "none".
std::string nameList(const std::vector<TensorDesc> &tensors) {
  std::string names;
  for (const TensorDesc &tensor : tensors)
    names += (names.empty() ? "" : ", ") + tensor.name;
  return names.empty() ? "none" : names;
}

/// The Python side of one graph input or output (onnxruntime's NodeArg).
struct NodeArg {
  std::string name;
  std::vector<int64_t> shape;
  std::string type;
};

NodeArg nodeArg(const TensorDesc &desc) {
  return NodeArg{desc.name, desc.shape, onnxTypeName(desc.dtype)};
}

class PySession;

/// Every open session, so that the exit hook can close them before MPI is finalised.
std::mutex gSessionsMutex;
std::set<PySession *> gSessions;

/// One artifact's session in this process (one rank of the job under mpirun).
class PySession {
public:
  PySession(const std::string &path, int threads) : path_(path) {
    if (threads < 0)
      throwInvalid("threads must be 0 (all cores) or positive, got " + std::to_string(threads));
    Status status;
    {
      py::gil_scoped_release nogil;
      status = open(threads);
    }
    throwIfFailed(status);
    const Artifact &artifact = session_->artifact();
    for (const TensorDesc &desc : artifact.inputs())
      inputTypes_.push_back(numpyDType(desc.dtype));
    std::lock_guard<std::mutex> lock(gSessionsMutex);
    gSessions.insert(this);
  }

  ~PySession() {
    {
      std::lock_guard<std::mutex> lock(gSessionsMutex);
      gSessions.erase(this);
    }
    close();
  }

  /// Releases the session, its code and its communicators; later calls fail.
  void close() {
    std::lock_guard<std::mutex> lock(runMutex_);
    active_ = nullptr;
    variants_.clear();
    session_.reset();
    control_.reset();
    transport_.reset();
  }

  std::vector<NodeArg> inputs() const {
    std::vector<NodeArg> args;
    for (const TensorDesc &desc : artifact().inputs())
      args.push_back(nodeArg(desc));
    return args;
  }

  std::vector<NodeArg> outputs() const {
    std::vector<NodeArg> args;
    for (const TensorDesc &desc : artifact().outputs())
      args.push_back(nodeArg(desc));
    return args;
  }

  /// The job's rank of this process (0 outside mpirun).
  int rank() const { return rank_; }
  /// The ranks the plan runs on.
  int ranks() const { return artifact().ranks(); }
  int threads() const { return live().threads(); }
  const std::string &path() const { return path_; }
  std::string describe() const { return artifact().describe(); }
  /// True for one rank of a plan on several ranks (under mpirun).
  bool distributed() const { return transport_ != nullptr; }
  /// Ends the job: MPI_Abort over this session's communicator.
  [[noreturn]] void abortJob() const {
    std::fflush(nullptr);
    transport_->abort(1);
    std::_Exit(1); // abort() does not return; this is for safety
  }
  /// For an artifact compiled with profile_ops: this rank's op groups of the plan the last
  /// run used, with their calls and seconds summed over the runs so far.
  py::list opProfile() const {
    const Session &session = active_ ? *active_ : live();
    if (!session.artifact().profileOps())
      throw Error("'" + path_ + "' was compiled without profile_ops: recompile it with "
                  "cleave.compile(..., profile_ops=True) to time its op groups",
                  statusCodeName(StatusCode::FailedPrecondition));
    const StageProfile &profile = session.profile();
    const std::vector<OpGroupDesc> &groups = session.stage().opGroups;
    py::list rows;
    for (size_t g = 0; g < groups.size() && g < profile.opGroups.size(); ++g) {
      py::dict row;
      row["group"] = groups[g].id;
      row["name"] = groups[g].name;
      row["nodes"] = groups[g].nodes;
      row["ops"] = groups[g].ops;
      row["calls"] = profile.opGroups[g].calls;
      row["seconds"] = profile.opGroups[g].seconds;
      rows.append(std::move(row));
    }
    return rows;
  }
  /// The data addresses the last run passed to the runtime, per input (a test hook).
  std::vector<uintptr_t> inputAddresses() const { return lastInputAddresses_; }

  py::list run(const py::object &outputNames, const py::object &inputFeed,
               const py::object &runOptions);

private:
  Status open(int threads) {
    StatusOr<ProcessSession> opened =
        openProcessSession(path_, ProcessSessionOptions{threads, true});
    if (!opened.ok())
      return opened.status();
    transport_ = std::move(opened->transport);
    session_ = std::move(opened->session);
    active_ = session_.get();
    if (!transport_)
      return openVariants(threads);
    // The outputs travel to rank 0, and failures are agreed on, over a communicator of
    // their own: nothing there can meet the pipeline's messages.
    StatusOr<std::shared_ptr<Transport>> control = transport_->split(0, transport_->rank());
    if (!control.ok())
      return control.status();
    control_ = std::move(control).value();
    rank_ = control_->rank();
    const StageDesc *last = nullptr;
    for (const StageDesc &stage : session_->artifact().stages())
      if (!last || stage.id > last->id)
        last = &stage;
    outputRank_ = last->group.empty() ? last->rank : last->group.front();
    return openVariants(threads);
  }

  /// For an artifact compiled with --batch-sizes: a session per other batch size (agreed on
  /// under mpirun), so that run() can pick the plan of the feed's batch.
  Status openVariants(int threads) {
    const Artifact &main = session_->artifact();
    if (main.variants().empty())
      return Status();
    StatusOr<std::unique_ptr<Artifact>> opened =
        Artifact::open(path_, control_ ? rank_ : Artifact::kAllRanks);
    Status status = opened.status();
    std::shared_ptr<const Artifact> artifact;
    if (opened.ok())
      artifact = std::move(opened).value();
    for (const PlanVariant &variant : main.variants()) {
      if (!status.ok())
        break;
      StatusOr<std::shared_ptr<const Artifact>> plan = Artifact::forBatch(artifact, variant.batch);
      status = plan.status();
      if (!plan.ok())
        break;
      StatusOr<std::unique_ptr<Session>> session =
          Session::create(std::move(plan).value(), SessionOptions(threads, transport_));
      status = session.status();
      if (session.ok())
        variants_.push_back(std::move(session).value());
    }
    return control_ ? control_->agree(status) : status;
  }

  /// Picks the plan of the feed's batch (dim 0 of its first input) for an artifact compiled
  /// with --batch-sizes; under mpirun the ranks that have the feed tell the others.
  Status pickPlan(const py::object &inputFeed) {
    active_ = session_.get();
    if (variants_.empty())
      return Status();
    int64_t batch = 0;
    const std::string &first = session_->artifact().inputs()[0].name;
    if (py::isinstance<py::dict>(inputFeed)) {
      PyObject *value = PyDict_GetItemString(inputFeed.ptr(), first.c_str());
      if (value) {
        try {
          py::tuple shape = py::module_::import("numpy").attr("shape")(py::handle(value));
          if (shape.size() > 0)
            batch = shape[0].cast<int64_t>();
        } catch (py::error_already_set &) {
          batch = 0; // the input's own checks say what is wrong
        }
      }
    }
    if (control_) {
      std::vector<int64_t> batches(control_->size());
      Status gathered;
      {
        py::gil_scoped_release nogil;
        gathered = control_->allGather(&batch, batches.data(), sizeof(batch));
      }
      if (!gathered.ok())
        return gathered;
      batch = *std::max_element(batches.begin(), batches.end());
    }
    if (batch <= 0 || batch == session_->artifact().inputs()[0].shape[0])
      return Status();
    for (const std::unique_ptr<Session> &variant : variants_)
      if (variant->artifact().inputs()[0].shape[0] == batch) {
        active_ = variant.get();
        return Status();
      }
    std::string sizes;
    for (int64_t size : session_->artifact().batchSizes())
      sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
    return invalidArgumentError("input '" + first + "': the artifact has no plan for batch " +
                                std::to_string(batch) + " (batch sizes: " + sizes + ")");
  }

  const Session &live() const {
    if (!session_)
      throw Error("session for '" + path_ + "' is closed",
                  statusCodeName(StatusCode::FailedPrecondition));
    return *session_;
  }
  const Artifact &artifact() const { return live().artifact(); }
  /// The plan the current run uses (the main plan unless the feed picked a variant).
  const Artifact &plan() const { return active_ ? active_->artifact() : artifact(); }

  /// The indices of the outputs `outputNames` asks for (None: all), in its order.
  Status selectOutputs(const py::object &outputNames, std::vector<size_t> *selected) const;
  /// Checks `inputFeed` and fills `views` (and `keep`, the arrays they point into).
  Status bindInputs(const py::object &inputFeed, std::vector<TensorView> *views,
                    std::vector<py::object> *keep) const;
  /// A view of `value` as input `index`, converted first where it must be.
  Status inputView(size_t index, py::handle value, TensorView *view,
                   std::vector<py::object> *keep) const;
  /// Sends the outputs from the returning rank to rank 0 (a no-op elsewhere).
  Status deliverOutputs(const std::vector<MutableTensorView> &buffers, bool returns, bool receives);
  /// Ends the job after a failure once the pipeline may have started: peers could be
  /// waiting for this rank.
  [[noreturn]] void abortJob(const Status &status) const {
    std::fflush(stdout);
    std::fprintf(stderr, "cleave: error: rank %d: %s\n", rank_, Error(status.message(), "").what());
    abortJob();
  }

  std::string path_;
  /// The session's pipeline communicator (null for a plan on one rank); outlives session_.
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Session> session_;
  /// Sessions of the other batch sizes' plans (--batch-sizes), and the one running.
  std::vector<std::unique_ptr<Session>> variants_;
  Session *active_ = nullptr;
  /// Agreement and output delivery, split from transport_ (null for one rank).
  std::shared_ptr<Transport> control_;
  int rank_ = 0;
  /// The rank that gets the outputs from the runtime: the last stage's (its group's first).
  int outputRank_ = 0;
  std::vector<py::dtype> inputTypes_;
  std::vector<uintptr_t> lastInputAddresses_;
  /// One run at a time (Session's rule); taken without the GIL.
  std::mutex runMutex_;
};

Status PySession::selectOutputs(const py::object &outputNames,
                                std::vector<size_t> *selected) const {
  const std::vector<TensorDesc> &outputs = artifact().outputs();
  if (outputNames.is_none()) {
    for (size_t i = 0; i < outputs.size(); ++i)
      selected->push_back(i);
    return Status();
  }
  if (py::isinstance<py::str>(outputNames) || !py::isinstance<py::iterable>(outputNames))
    return invalidArgumentError("output_names must be None or a list of output names");
  for (py::handle item : outputNames) {
    if (!py::isinstance<py::str>(item))
      return invalidArgumentError("output_names must hold output names (str), got " +
                                  std::string(py::str(py::type::handle_of(item).attr("__name__"))));
    std::string name = item.cast<std::string>();
    size_t i = 0;
    while (i < outputs.size() && outputs[i].name != name)
      ++i;
    if (i == outputs.size())
      return invalidArgumentError("unknown output name '" + name +
                                  "' (graph outputs: " + nameList(outputs) + ")");
    selected->push_back(i);
  }
  return Status();
}

Status PySession::inputView(size_t index, py::handle value, TensorView *view,
                            std::vector<py::object> *keep) const {
  const TensorDesc &desc = plan().inputs()[index];
  std::string what = "input '" + desc.name + "'";
  const py::dtype &wanted = inputTypes_[index];
  py::array array;
  if (py::isinstance<py::array>(value)) {
    array = py::reinterpret_borrow<py::array>(value);
    DType given;
    if (!runtimeDType(array.dtype(), &given))
      return invalidArgumentError(what + ": expected dtype " + dtypeName(desc.dtype) + ", got " +
                                  std::string(py::str(array.dtype())));
    // bfloat16 arrives as its uint16 bit patterns, as numpy has no bfloat16.
    if (desc.dtype == DType::BFloat16 && given == DType::UInt16)
      given = DType::BFloat16;
    // Another dtype is the runtime's to refuse (Session::run names both dtypes).
    if (given != desc.dtype) {
      keep->push_back(array);
      *view = TensorView(given, Shape(array.shape(), array.shape() + array.ndim()), array.data(),
                         static_cast<size_t>(array.nbytes()));
      return Status();
    }
    // Converted, not refused: another byte order, or a layout that is not C-contiguous.
    try {
      if (swapped(array.dtype()))
        array = array.attr("astype")(wanted);
      if (!(array.flags() & py::array::c_style))
        array = py::module_::import("numpy").attr("ascontiguousarray")(array);
    } catch (py::error_already_set &error) {
      return invalidArgumentError(
          what + ": cannot copy the array: " + std::string(py::str(error.value())));
    }
  } else {
    // Lists, scalars and other array-likes become arrays of the input's dtype.
    try {
      array = py::module_::import("numpy").attr("ascontiguousarray")(value, wanted);
    } catch (py::error_already_set &error) {
      return invalidArgumentError(
          what + ": cannot make a " + dtypeName(desc.dtype) + " array of the " +
          std::string(py::str(py::type::handle_of(value).attr("__name__"))) +
          " given: " + std::string(py::str(error.value())));
    }
  }
  keep->push_back(array);
  Shape shape(array.shape(), array.shape() + array.ndim());
  *view =
      TensorView(desc.dtype, std::move(shape), array.data(), static_cast<size_t>(array.nbytes()));
  return Status();
}

Status PySession::bindInputs(const py::object &inputFeed, std::vector<TensorView> *views,
                             std::vector<py::object> *keep) const {
  const std::vector<TensorDesc> &inputs = plan().inputs();
  if (!py::isinstance<py::dict>(inputFeed))
    return invalidArgumentError(
        "input_feed must be a dict of input name -> array, got " +
        std::string(py::str(py::type::handle_of(inputFeed).attr("__name__"))));
  py::dict feed = py::reinterpret_borrow<py::dict>(inputFeed);
  for (auto item : feed) {
    std::string name = py::str(item.first);
    bool known = false;
    for (const TensorDesc &desc : inputs)
      known = known || desc.name == name;
    if (!known || !py::isinstance<py::str>(item.first))
      return invalidArgumentError("unknown input name '" + name +
                                  "' (graph inputs: " + nameList(inputs) + ")");
  }
  views->resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    PyObject *value = PyDict_GetItemString(feed.ptr(), inputs[i].name.c_str());
    if (!value)
      return invalidArgumentError("missing input '" + inputs[i].name + "' (" +
                                  dtypeName(inputs[i].dtype) + shapeToString(inputs[i].shape) +
                                  ")");
    Status status = inputView(i, value, &(*views)[i], keep);
    if (!status.ok())
      return status;
  }
  return Status();
}

py::list PySession::run(const py::object &outputNames, const py::object &inputFeed,
                        const py::object &runOptions) {
  live();
  // Every check of the arguments ends in `bound`, so that under mpirun it is agreed on.
  Status bound = pickPlan(inputFeed);
  const Session &session = *active_;
  std::vector<size_t> selected;
  if (bound.ok())
    bound = runOptions.is_none()
                ? selectOutputs(outputNames, &selected)
                : invalidArgumentError("run_options is not supported (pass None)");
  std::vector<TensorView> inputs;
  std::vector<py::object> keep; // the arrays the views point into
  if (bound.ok() && session.takesInputs())
    bound = bindInputs(inputFeed, &inputs, &keep);
  bool distributed = control_ != nullptr;

  // The runtime writes the outputs on the rank that returns them; rank 0 receives them
  // from there when it is another.
  bool returns = session.returnsOutputs();
  bool receives = distributed && rank_ == 0 && !returns;
  std::vector<py::array> arrays;
  std::vector<MutableTensorView> buffers;
  if (bound.ok() && (returns || receives))
    for (const TensorDesc &desc : plan().outputs()) {
      arrays.emplace_back();
      if (!alignedArray(numpyDType(desc.dtype),
                        std::vector<py::ssize_t>(desc.shape.begin(), desc.shape.end()),
                        &arrays.back())) {
        bound = resourceExhaustedError("output '" + desc.name + "': out of memory allocating " +
                                       std::to_string(desc.byteSize()) + " bytes");
        break;
      }
      buffers.emplace_back(desc.dtype, desc.shape, arrays.back().mutable_data(),
                           static_cast<size_t>(arrays.back().nbytes()));
    }
  if (distributed) {
    // Before anything is sent, every rank learns whether every rank can run, so that a
    // bad feed raises the same error on every rank instead of leaving peers waiting.
    if (bound.ok() && session.takesInputs())
      bound = session.validateInputs(inputs);
    py::gil_scoped_release nogil;
    bound = control_->agree(bound);
  }
  throwIfFailed(bound);
  lastInputAddresses_.clear();
  for (const TensorView &view : inputs)
    lastInputAddresses_.push_back(reinterpret_cast<uintptr_t>(view.data));

  Status ran;
  {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lock(runMutex_);
    if (!session_)
      ran = failedPreconditionError("session for '" + path_ + "' is closed");
    else if (!distributed)
      ran = active_->run(inputs, buffers);
    else {
      ran = active_->run(inputs, returns ? buffers : std::vector<MutableTensorView>());
      if (!ran.ok())
        abortJob(ran);
      Status delivered = deliverOutputs(buffers, returns, receives);
      if (!delivered.ok())
        abortJob(delivered);
    }
  }
  throwIfFailed(ran);
  py::list result;
  if (rank_ == 0)
    for (size_t i : selected)
      result.append(arrays[i]);
  return result;
}

Status PySession::deliverOutputs(const std::vector<MutableTensorView> &buffers, bool returns,
                                 bool receives) {
  if (rank_ == 0 ? !receives : !returns)
    return Status();
  // Output i travels with tag i; the communicator carries nothing else during a run.
  std::vector<TransportRequest> requests;
  for (size_t i = 0; i < buffers.size(); ++i) {
    size_t bytes = numElements(buffers[i].shape) * dtypeSize(buffers[i].dtype);
    StatusOr<TransportRequest> request =
        receives ? control_->recv(buffers[i].data, bytes, outputRank_, static_cast<int>(i))
                 : control_->send(buffers[i].data, bytes, 0, static_cast<int>(i));
    if (!request.ok())
      return Status(request.status().code(), "output '" + artifact().outputs()[i].name +
                                                 "' to rank 0: " + request.status().message());
    requests.push_back(*request);
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    Status waited = control_->wait(requests[i]);
    if (!waited.ok())
      return Status(waited.code(),
                    "output '" + artifact().outputs()[i].name + "' to rank 0: " + waited.message());
  }
  return Status();
}

/// A new numpy array of `shape` and `dtype` whose data starts 64-byte aligned.
py::array alignedEmpty(const py::object &shape, const py::object &dtype) {
  std::vector<py::ssize_t> dims;
  if (py::isinstance<py::int_>(shape))
    dims.push_back(shape.cast<py::ssize_t>());
  else
    dims = shape.cast<std::vector<py::ssize_t>>();
  for (py::ssize_t dim : dims)
    if (dim < 0)
      throw py::value_error("negative dimensions are not allowed");
  py::array array;
  if (!alignedArray(py::dtype::from_args(dtype), dims, &array))
    throw std::bad_alloc();
  return array;
}

/// Ends the MPI job when a distributed session is open (and returns otherwise): the
/// package's sys.excepthook calls it after an uncaught exception, so that the other ranks,
/// which may be waiting for this one, end too.
void abortJobIfDistributed() {
  PySession *distributed = nullptr;
  {
    std::lock_guard<std::mutex> lock(gSessionsMutex);
    for (PySession *session : gSessions)
      if (session->distributed())
        distributed = session;
  }
  if (distributed) {
    py::gil_scoped_release nogil;
    distributed->abortJob();
  }
}

/// Closes every open session and lets go of the process's MPI transport, so that MPI is
/// finalised (if the runtime initialised it) before the interpreter exits.
void shutdown() {
  std::vector<PySession *> open;
  {
    std::lock_guard<std::mutex> lock(gSessionsMutex);
    open.assign(gSessions.begin(), gSessions.end());
  }
  for (PySession *session : open)
    session->close();
  py::gil_scoped_release nogil;
  releaseProcessTransport();
}

} // namespace

void registerSession(py::module_ &module) {
  py::class_<NodeArg>(module, "NodeArg",
                      "A graph input or output: name, shape (list of ints) and type "
                      "(onnxruntime's name, e.g. 'tensor(float)').")
      .def_readonly("name", &NodeArg::name)
      .def_readonly("shape", &NodeArg::shape)
      .def_readonly("type", &NodeArg::type)
      .def("__repr__", [](const NodeArg &arg) {
        return "NodeArg(name=" + std::string(py::repr(py::str(arg.name))) +
               ", type=" + std::string(py::repr(py::str(arg.type))) +
               ", shape=" + std::string(py::repr(py::cast(arg.shape))) + ")";
      });

  py::class_<PySession>(module, "InferenceSession", R"(Runs a compiled artifact (.cleave).

InferenceSession(path, threads=0): loads the artifact's code and binds its weights; threads
is the number of CPU threads (per rank under mpirun), 0 for all available cores. A plan on
several ranks needs mpirun: every rank creates the session (collectively) and calls run()
with the same feed; run() returns the outputs on rank 0 and [] on the other ranks.
Raises cleave.Error with a one-line message on failure.)")
      .def(py::init([](const py::object &path, int threads) {
             std::string text =
                 py::str(py::module_::import("os").attr("fsdecode")(path)).cast<std::string>();
             return std::make_unique<PySession>(text, threads);
           }),
           py::arg("path"), py::arg("threads") = 0)
      .def("get_inputs", &PySession::inputs, "The graph inputs, as NodeArg, in order.")
      .def("get_outputs", &PySession::outputs, "The graph outputs, as NodeArg, in order.")
      .def("run", &PySession::run, py::arg("output_names"), py::arg("input_feed"),
           py::arg("run_options") = py::none(),
           R"(Runs one inference and returns the outputs as a list of numpy arrays.

output_names: None for every output, or a list of output names (returned in that order).
input_feed: dict of input name -> numpy array (or anything numpy.ascontiguousarray takes).
An array of the input's dtype that is C-contiguous is passed to the runtime without a copy
(and read in place where its data starts 64-byte aligned: see aligned_empty); one that is
not C-contiguous or is in the other byte order is copied first; lists and scalars are
converted to the input's dtype. A wrong name, dtype or shape raises cleave.Error.
bfloat16 tensors are passed and returned as their uint16 bit patterns. Under mpirun:
returns the outputs on rank 0 and [] on the other ranks; ranks that take no inputs ignore
input_feed.)")
      .def("close", &PySession::close,
           "Releases the session (its code, weights and communicators); later calls raise "
           "cleave.Error.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PySession &session, const py::object &, const py::object &, const py::object &) {
             session.close();
             return false;
           })
      .def("op_profile", &PySession::opProfile,
           "For an artifact compiled with profile_ops=True: this rank's op groups, each a "
           "dict of group, name, nodes, ops (ONNX op types), calls and seconds (summed over "
           "the runs so far), in program order.")
      .def("describe", &PySession::describe,
           "What the artifact holds, as `cleave-run --info` prints it.")
      .def_property_readonly("path", &PySession::path, "The artifact's path.")
      .def_property_readonly("rank", &PySession::rank,
                             "This process's rank in the job (0 outside mpirun).")
      .def_property_readonly("ranks", &PySession::ranks, "The ranks the plan runs on.")
      .def_property_readonly("threads", &PySession::threads, "CPU threads in effect (per rank).")
      .def("_input_addresses", &PySession::inputAddresses,
           "Testing: the data address of each input the last run passed to the runtime.");

  module.def("aligned_empty", &alignedEmpty, py::arg("shape"), py::arg("dtype") = "float32",
             "numpy.empty(shape, dtype) whose data starts 64-byte aligned: an input in such "
             "an array is read by the model's code in place (other inputs are copied into an "
             "aligned buffer by the runtime).");
  module.def("_abort_job", &abortJobIfDistributed,
             "Ends the MPI job if a distributed session is open; for the package's excepthook.");
  module.def("_shutdown", &shutdown,
             "Closes every session and releases MPI; registered with atexit by the package.");
}

} // namespace cleave::python
