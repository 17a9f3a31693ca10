//===- runtime.h - Cleave runtime public C++ API --------------------------===//
//
// The only header an embedder includes: errors (Status, StatusOr), element
// types, tensors, the artifact reader and the inference session. No LLVM or
// MLIR types appear here, and no exception crosses these functions.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_H
#define CLEAVE_RUNTIME_H

#include "cleave/abi.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace cleave {

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

/// The kind of failure a Status reports; the message says the rest.
enum class StatusCode {
  Ok = 0,
  InvalidArgument, ///< the caller passed something wrong (input shape, option)
  NotFound,        ///< a file, symbol or name does not exist
  DataLoss,        ///< a file is damaged (checksum, truncation)
  FailedPrecondition, ///< well-formed but unusable here (version, plan kind)
  Unimplemented,      ///< a feature this runtime does not have yet
  ResourceExhausted,  ///< out of memory
  Internal,           ///< a bug or an unexpected system failure
};

/// The result of an operation that can fail: a code and a one-line message
/// that names the thing at fault (lowercase, no trailing period).
class Status {
public:
  /// Success.
  Status() = default;
  /// A failure (or success when `code` is Ok) with `message`.
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  /// True on success.
  bool ok() const { return code_ == StatusCode::Ok; }
  /// The failure kind, Ok on success.
  StatusCode code() const { return code_; }
  /// The message; empty on success.
  const std::string &message() const { return message_; }
  /// "OK" or "<code name>: <message>", for logs.
  std::string toString() const;

private:
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

/// The name of a status code, e.g. "INVALID_ARGUMENT".
const char *statusCodeName(StatusCode code);

/// Shorthands that build a failed Status of one code.
Status invalidArgumentError(std::string message);
Status notFoundError(std::string message);
Status dataLossError(std::string message);
Status failedPreconditionError(std::string message);
Status unimplementedError(std::string message);
Status resourceExhaustedError(std::string message);
Status internalError(std::string message);

/// Either a value or the failed Status that explains why there is none.
template <typename T> class StatusOr {
public:
  /// A failure; `status` must not be ok (an ok Status becomes an Internal
  /// error, so that a StatusOr without a value never claims success).
  StatusOr(Status status) : status_(std::move(status)) {
    if (status_.ok())
      status_ = internalError("StatusOr constructed from an ok Status");
  }
  /// A value.
  StatusOr(T value) : value_(std::move(value)) {}
  /// Converts from a StatusOr of a convertible type (unique_ptr<Derived>).
  template <typename U,
            typename = std::enable_if_t<std::is_convertible<U, T>::value>>
  StatusOr(StatusOr<U> &&other) : status_(other.status()) {
    if (other.ok())
      value_.emplace(std::move(other).value());
  }

  /// True when a value is held.
  bool ok() const { return status_.ok(); }
  /// The failure, or an ok Status when a value is held.
  const Status &status() const { return status_; }
  /// The value; only valid when ok().
  T &value() & { return *value_; }
  const T &value() const & { return *value_; }
  T &&value() && { return std::move(*value_); }
  T &operator*() & { return *value_; }
  const T &operator*() const & { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }

private:
  Status status_;
  std::optional<T> value_;
};

//===----------------------------------------------------------------------===//
// Element types and shapes
//===----------------------------------------------------------------------===//

/// Element types of tensors. The values are the contract's codes
/// (cleave/abi.h, CLEAVE_DTYPES), which generated code passes to collectives;
/// the artifact and .npy files use numpy's names. BFloat16 has no numpy type:
/// it is named "bfloat16", and .npy files hold it as its uint16 bit patterns
/// (see io/npy.h).
enum class DType : int32_t {
  Float32 = CLEAVE_DTYPE_FLOAT32,
  Float16 = CLEAVE_DTYPE_FLOAT16,
  Float64 = CLEAVE_DTYPE_FLOAT64,
  Int64 = CLEAVE_DTYPE_INT64,
  Int32 = CLEAVE_DTYPE_INT32,
  Int8 = CLEAVE_DTYPE_INT8,
  UInt8 = CLEAVE_DTYPE_UINT8,
  Bool = CLEAVE_DTYPE_BOOL,
  Int16 = CLEAVE_DTYPE_INT16,
  UInt16 = CLEAVE_DTYPE_UINT16,
  UInt32 = CLEAVE_DTYPE_UINT32,
  UInt64 = CLEAVE_DTYPE_UINT64,
  BFloat16 = CLEAVE_DTYPE_BFLOAT16,
};

/// numpy's name of `dtype`: "float32", ..., "bool".
const char *dtypeName(DType dtype);
/// Parses a numpy name ("float32"); fails with InvalidArgument otherwise.
StatusOr<DType> parseDType(std::string_view name);
/// Bytes per element (bool is one byte).
size_t dtypeSize(DType dtype);

/// Static, row-major dimensions; a scalar has no dimension.
using Shape = std::vector<int64_t>;

/// "[1, 3, 224, 224]"; "[]" for a scalar.
std::string shapeToString(const Shape &shape);
/// Product of the dimensions (1 for a scalar); -1 when a dimension is
/// negative or the product overflows.
int64_t numElements(const Shape &shape);

/// A named tensor type as the manifest declares it.
struct TensorDesc {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;

  /// Bytes of a dense tensor of this type.
  size_t byteSize() const;
  /// "x: float32[1, 3]".
  std::string toString() const;
};

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

/// A dense row-major tensor that owns a 64-byte aligned host buffer.
/// Move-only; use clone() for a deep copy.
class Tensor {
public:
  /// An empty float32 scalar with no buffer.
  Tensor() = default;
  Tensor(Tensor &&) = default;
  Tensor &operator=(Tensor &&) = default;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;

  /// A zero-filled tensor; fails on a negative dimension or out of memory.
  static StatusOr<Tensor> create(DType dtype, Shape shape);
  /// A tensor holding a copy of `bytes`, which must be exactly the tensor's
  /// byte size.
  static StatusOr<Tensor> fromBytes(DType dtype, Shape shape, const void *bytes,
                                    size_t size);

  /// The element type.
  DType dtype() const { return dtype_; }
  /// The dimensions.
  const Shape &shape() const { return shape_; }
  /// Number of elements.
  int64_t numElements() const { return cleave::numElements(shape_); }
  /// Size of the data in bytes.
  size_t byteSize() const { return byteSize_; }
  /// The data, 64-byte aligned (null only for a default-constructed tensor).
  void *data() { return data_.get(); }
  const void *data() const { return data_.get(); }
  /// The data as elements of `T`; the caller picks a `T` matching dtype().
  template <typename T> T *dataAs() { return static_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return static_cast<const T *>(data());
  }
  /// A deep copy.
  StatusOr<Tensor> clone() const;

private:
  struct FreeDeleter {
    void operator()(void *ptr) const;
  };
  DType dtype_ = DType::Float32;
  Shape shape_;
  size_t byteSize_ = 0;
  std::unique_ptr<void, FreeDeleter> data_;
};

//===----------------------------------------------------------------------===//
// Artifact
//===----------------------------------------------------------------------===//

/// Where the model came from (manifest "source").
struct SourceInfo {
  std::string path;
  std::string sha256;
  int64_t opset = 0;
  std::string producer;
};

/// Who built the artifact and how (manifest top level, "source", "options").
struct Provenance {
  uint32_t formatVersion = 0;
  std::string compilerVersion;
  SourceInfo source;
  /// The compiler options in manifest order, each value rendered as text
  /// (a list as "[a, b]").
  std::vector<std::pair<std::string, std::string>> options;
};

/// One MPI rank's device (manifest "devices").
struct DeviceDesc {
  int rank = 0;
  std::string kind; ///< "cpu", "cuda" or "rocm"
  int index = 0;
};

/// One parameter (weight shard) stored in a section (manifest "parameters").
struct ParameterDesc {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  int rank = 0;
  std::string section;
  uint64_t offset = 0; ///< inside the section, 64-byte aligned
  uint64_t size = 0;   ///< bytes
};

/// One buffer passed to a stage's entry point (manifest "stages[].args").
struct StageArg {
  /// Input, Param, Output: graph inputs, parameters and graph outputs.
  /// Recv: an activation received from the previous stage (an input buffer
  /// of the entry point); Send: one sent to the next stage (an output
  /// buffer). Other: a kind this runtime does not know, kept for --info.
  enum class Kind { Input, Param, Output, Recv, Send, Other };
  Kind kind = Kind::Other;
  std::string kindName; ///< as written, e.g. "input" or "recv"
  std::string name;
  /// Recv and Send only: the peer stage's id ("from" or "to") and the
  /// per-microbatch type of the activation.
  int peer = -1;
  DType dtype = DType::Float32;
  Shape shape;
};

/// How a GPU stage runs its kernels (manifest "stages[].gpu_program"): the
/// runtime's own replay plan, opaque to embedders.
struct GpuProgram;

/// An op group that code compiled with `--profile-ops` times (manifest
/// "stages[].op_groups"): the generated code calls the runtime at its start
/// and end with `id`, its index in StageDesc::opGroups.
struct OpGroupDesc {
  int id = 0;
  std::string name;               ///< its first node, and "+N" more
  std::vector<std::string> nodes; ///< the ONNX nodes whose ops it runs
  std::vector<std::string> ops;   ///< their ONNX op types, each once
};

/// One pipeline stage: an entry point in a code section (manifest "stages").
struct StageDesc {
  int id = 0;
  int rank = 0;
  int device = 0; ///< index into Artifact::devices()
  std::string code;
  std::string entry;
  std::vector<StageArg> args;
  double estimatedFlops = 0;
  double estimatedBytes = 0;
  /// The compiler's predicted seconds per microbatch, computing and sending
  /// the outgoing activations (manifest "estimate"); 0 when not given.
  double estimatedComputeSeconds = 0;
  double estimatedSendSeconds = 0;
  /// The ranks that run this stage id together, tensor-parallel, each from
  /// its own entry (manifest "group"); just `rank` for other stages.
  std::vector<int> group;
  /// GPU stages (entry "gpu_program") only: the kernels to launch; null
  /// for stages with host code.
  std::shared_ptr<const GpuProgram> gpuProgram;
  /// Code compiled with --profile-ops: the op groups it times, by id.
  std::vector<OpGroupDesc> opGroups;
};

/// A binary section of the file (manifest "sections").
struct SectionDesc {
  std::string name;
  std::string kind; ///< "cpu-elf-so", "cuda-fatbin", "rocm-hsaco", "params", "constants"
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

/// The plan compiled for another batch size (manifest "variants", written by
/// `cleave-compile --batch-sizes`): the same devices and parameters as the
/// main plan, its own inputs, outputs and stages.
struct PlanVariant {
  int64_t batch = 0; ///< dim 0 of every input
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  std::vector<StageDesc> stages;
};

/// One plan the auto-tuner (cleave-tune) tried: the cost model's predicted batch
/// time and, when it ran, the measured one (manifest "tuning.candidates[]").
struct TuningCandidate {
  int64_t pp = 1, tp = 1, microbatches = 1;
  double predictedMs = 0;
  /// Negative when the candidate did not run (see `status`).
  double measuredMs = -1;
  /// "ok", or why the candidate was skipped.
  std::string status;
};

/// The auto-tuner's report (manifest "tuning"; docs/artifact-format.md): the
/// candidates in the order they were tried and which one this artifact is.
struct TuningReport {
  int64_t version = 1;
  int64_t ranks = 1;
  int64_t chosen = 0;
  std::vector<TuningCandidate> candidates;
};

/// Which inputs and outputs of a decoder compiled with `cleave-compile --generate` play which
/// part in generation (manifest "generation"; docs/generation.md). Every plan of the artifact
/// (its batch variants included) takes one new token per sequence per run.
struct GenerationDesc {
  /// Cache capacity in tokens per sequence: a sequence's prompt and new tokens together.
  int64_t maxSeqLen = 0;
  /// Inputs: int64 [batch, 1] token ids, int64 [batch, maxSeqLen + 1] attention mask (the
  /// cache's slots, then the new token), int64 [batch, 1] positions (empty when absent).
  std::string inputIds, attentionMask, positionIds;
  /// The float32 [batch, 1, vocab] logits output.
  std::string logits;
  /// One cache tensor (a layer's keys or values).
  struct Cache {
    /// Input [batch, heads, maxSeqLen, head_dim] (transposed: [batch, heads,
    /// head_dim, maxSeqLen]): the cache, read in place.
    std::string past;
    /// Output [batch, heads, 1, head_dim]: the new token's row.
    std::string present;
    /// The past holds one column per token (keys, which the scores read
    /// transposed) rather than one row.
    bool transposed = false;
  };
  std::vector<Cache> cache;
};

/// A `.cleave` file, mapped read-only and fully validated (magic, version,
/// checksums, bounds and the manifest's schema) when opened. Parameter data
/// is read straight from the mapping, without copies.
class Artifact {
public:
  /// Passed as `rank` to open(): checksum every section.
  static constexpr int kAllRanks = -1;

  /// Maps and validates the file at `path`. Every failure names the file and
  /// what is wrong with it. With `rank` >= 0 only the sections that rank
  /// uses (its stage's code, the sections holding its parameters) are
  /// checksummed, so that a rank of a distributed plan reads only its part
  /// of the file; everything else (header, manifest, every bound) is still
  /// checked.
  static StatusOr<std::unique_ptr<Artifact>> open(const std::string &path,
                                                  int rank = kAllRanks);
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  /// The path the artifact was opened from.
  const std::string &path() const { return path_; }
  const Provenance &provenance() const { return provenance_; }
  const std::vector<TensorDesc> &inputs() const { return inputs_; }
  const std::vector<TensorDesc> &outputs() const { return outputs_; }
  const std::vector<DeviceDesc> &devices() const { return devices_; }
  const std::vector<ParameterDesc> &parameters() const { return parameters_; }
  const std::vector<StageDesc> &stages() const { return stages_; }
  const std::vector<SectionDesc> &sections() const { return sections_; }
  /// The rank given to open(): only its sections were checksummed
  /// (kAllRanks: all were).
  int checkedRank() const { return checkedRank_; }
  /// Microbatches per run (options.microbatches; 1 when absent).
  int microbatches() const { return microbatches_; }
  /// Data-parallel replicas of the plan (options.dp; 1 when absent): under
  /// mpirun with dp() x ranks() ranks, each group of ranks() consecutive
  /// ranks runs a replica (openProcessSession).
  int dp() const { return dp_; }
  /// Whether the code was compiled with --profile-ops (options.profile_ops):
  /// sessions then time each op group (StageProfile::opGroups).
  bool profileOps() const { return profileOps_; }
  /// The number of MPI ranks the plan runs on (one per device).
  int ranks() const { return static_cast<int>(devices_.size()); }
  /// The plans for other batch sizes (empty for most artifacts).
  const std::vector<PlanVariant> &variants() const { return variants_; }
  /// The batch sizes this artifact has plans for, ascending: dim 0 of the
  /// main plan's first input and each variant's batch (empty when the first
  /// input has no dims).
  std::vector<int64_t> batchSizes() const;
  /// The plan for inputs with dim 0 = `batch`: `artifact` itself when its
  /// main plan has that batch (or no batch dim), else an artifact whose
  /// inputs, outputs and stages are the variant's, over the same mapping
  /// (kept alive by it). Fails with NotFound, listing the batch sizes there
  /// are, when no plan has that batch.
  static StatusOr<std::shared_ptr<const Artifact>>
  forBatch(std::shared_ptr<const Artifact> artifact, int64_t batch);
  /// The generation contract of an artifact compiled with --generate, or null.
  const GenerationDesc *generation() const {
    return generation_ ? &*generation_ : nullptr;
  }
  /// The auto-tuner's report of an artifact written by cleave-tune, or null.
  const TuningReport *tuning() const { return tuning_ ? &*tuning_ : nullptr; }
  /// The stage with id `id`, or null.
  const StageDesc *findStage(int id) const;
  /// The stage that runs on `rank`, or null.
  const StageDesc *stageOnRank(int rank) const;
  /// The manifest exactly as stored (JSON text).
  std::string_view manifestText() const;

  /// The section called `name`, or null.
  const SectionDesc *findSection(std::string_view name) const;
  /// The parameter called `name`, or null.
  const ParameterDesc *findParameter(std::string_view name) const;
  /// The bytes of `section` inside the mapping.
  const uint8_t *sectionData(const SectionDesc &section) const;
  /// The bytes of `param` inside the mapping (64-byte aligned).
  const void *parameterData(const ParameterDesc &param) const;
  /// Total bytes of all parameters.
  uint64_t totalParameterBytes() const;

  /// A human-readable multi-line summary (what `cleave-run --info` prints).
  std::string describe() const;

private:
  Artifact() = default;
  friend class ArtifactLoader;

  std::string path_;
  const uint8_t *base_ = nullptr;
  size_t fileSize_ = 0;
  uint64_t manifestOffset_ = 0;
  uint64_t manifestSize_ = 0;
  Provenance provenance_;
  std::vector<TensorDesc> inputs_;
  std::vector<TensorDesc> outputs_;
  std::vector<DeviceDesc> devices_;
  std::vector<ParameterDesc> parameters_;
  std::vector<StageDesc> stages_;
  std::vector<SectionDesc> sections_;
  int microbatches_ = 1;
  int dp_ = 1;
  bool profileOps_ = false;
  int checkedRank_ = kAllRanks;
  std::vector<PlanVariant> variants_;
  std::optional<GenerationDesc> generation_;
  std::optional<TuningReport> tuning_;
  /// A variant's view: the artifact that owns the mapping.
  std::shared_ptr<const Artifact> owner_;
};

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

/// Moves bytes between the ranks of a distributed plan (MPI). Its interface
/// is internal (runtime/src/comm/transport.h); embedders create one with
/// createMpiTransport() and hand it to the sessions.
class Transport;

/// Initialises MPI (once per process) and returns a transport over all the
/// ranks mpirun started; MPI is finalised when the last reference goes.
/// Fails with Unimplemented ("this runtime was built without MPI") in a
/// build without MPI.
StatusOr<std::shared_ptr<Transport>> createMpiTransport(int *argc,
                                                        char ***argv);

/// How long, by default, a rank of a distributed plan waits on its peers
/// before it ends the job (setWaitTimeout).
constexpr double kDefaultWaitTimeoutSeconds = 300;

/// Bounds every wait of this process on other ranks (a message, a
/// collective, an agreement): when one lasts longer than `seconds`, the
/// process prints one line on stderr, `<program>: error: rank R: no progress
/// for S s: waiting for <what>` (what: e.g. "a message of 4096 bytes from
/// rank 1"), and ends the whole job (MPI_Abort), so that a peer that is
/// stopped, deadlocked or lost without MPI noticing never leaves the job
/// waiting forever. 0 or less waits forever. A process is one rank, so the
/// bound is process-wide; kDefaultWaitTimeoutSeconds until set. Without MPI
/// there is nothing to wait on and this does nothing.
void setWaitTimeout(double seconds, const std::string &program = "cleave");

/// How a Session runs.
struct SessionOptions {
  SessionOptions() = default;
  /// Options with `threads` threads and, for distributed plans, `transport`.
  SessionOptions(int threads, std::shared_ptr<Transport> transport = nullptr)
      : threads(threads), transport(std::move(transport)) {}

  /// CPU threads; 0 means all cores available to the process. In a
  /// distributed plan this is per rank.
  int threads = 0;
  /// Required for plans with more than one stage or rank, ignored otherwise:
  /// the session runs the stage whose rank is the transport's rank.
  std::shared_ptr<Transport> transport;
};

/// Where a session's time went, summed over the runs since it was created or
/// since Session::resetProfile() (what `cleave-run --profile` prints).
struct StageProfile {
  int runs = 0;                 ///< run() calls that succeeded
  int64_t microbatches = 0;     ///< entry-point calls, over all those runs
  double computeSeconds = 0;    ///< inside the entry point, summed
  double computeMinSeconds = 0; ///< the fastest single entry-point call
  double recvWaitSeconds = 0;   ///< blocked waiting for received activations
  double sendWaitSeconds = 0;   ///< blocked waiting for sends to complete
  double runSeconds = 0;        ///< inside run(), summed
  /// The tensor-parallel collectives the stage's code called (none for a
  /// stage on one rank): all-reduces and all-gathers, and the bytes of
  /// each rank's part (what the rank passes in), summed.
  int64_t allReduces = 0;
  int64_t allReduceBytes = 0;
  int64_t allGathers = 0;
  int64_t allGatherBytes = 0;
  /// Code compiled with --profile-ops: per op group (StageDesc::opGroups, by
  /// id), the times it ran and the seconds it took, summed.
  struct OpGroupTime {
    int64_t calls = 0;
    double seconds = 0;
  };
  std::vector<OpGroupTime> opGroups;
};

/// A borrowed, read-only dense row-major tensor: an input that Session::run
/// reads in place. The caller owns the data and keeps it alive and unchanged
/// for the call. When the data (or a microbatch's rows of it) starts 64-byte
/// aligned, the code receives the caller's pointer itself; otherwise the rows
/// are copied into an aligned buffer first, as the entry-point ABI promises
/// aligned arguments.
struct TensorView {
  /// An empty float32 scalar view of no data.
  TensorView() = default;
  /// A view of `byteSize` bytes at `data` holding a `dtype` tensor of `shape`.
  TensorView(DType dtype, Shape shape, const void *data, size_t byteSize)
      : dtype(dtype), shape(std::move(shape)), data(data), byteSize(byteSize) {}
  /// A view of all of `tensor` (implicit, so that tensors pass as views).
  TensorView(const Tensor &tensor)
      : dtype(tensor.dtype()), shape(tensor.shape()), data(tensor.data()),
        byteSize(tensor.byteSize()) {}

  /// The element type.
  DType dtype = DType::Float32;
  /// The dimensions.
  Shape shape;
  /// The first element.
  const void *data = nullptr;
  /// Bytes readable at `data`; at least the tensor's byte size.
  size_t byteSize = 0;
};

/// A borrowed, writable dense row-major tensor: an output buffer that
/// Session::run fills in place (directly where its rows start 64-byte
/// aligned, through an aligned buffer and a copy otherwise). It must not
/// overlap an input or another output.
struct MutableTensorView {
  /// An empty float32 scalar view of no data.
  MutableTensorView() = default;
  /// A view of `byteSize` bytes at `data` for a `dtype` tensor of `shape`.
  MutableTensorView(DType dtype, Shape shape, void *data, size_t byteSize)
      : dtype(dtype), shape(std::move(shape)), data(data), byteSize(byteSize) {}
  /// A view of all of `tensor` (implicit, so that tensors pass as views).
  MutableTensorView(Tensor &tensor)
      : dtype(tensor.dtype()), shape(tensor.shape()), data(tensor.data()),
        byteSize(tensor.byteSize()) {}

  /// The element type.
  DType dtype = DType::Float32;
  /// The dimensions.
  Shape shape;
  /// Where the first element goes.
  void *data = nullptr;
  /// Bytes writable at `data`; at least the tensor's byte size.
  size_t byteSize = 0;
};

/// Runs an artifact's plan: loads its code onto the devices once, then runs
/// inference any number of times. One run at a time per Session.
///
/// A distributed (pipeline) plan runs with one Session per rank, each created
/// with the same artifact and a transport: a session loads only its own
/// stage's code section and uses only its own rank's parameters. Every rank
/// calls run() for each inference: the first stage's rank passes the
/// full-batch inputs, the other ranks pass none; the last stage's rank gets
/// the full-batch outputs, the other ranks get none. Each run streams
/// Artifact::microbatches() microbatches through the stages. In a pipeline
/// compiled for generation a stage may read graph inputs and write graph
/// outputs wherever its ops use them (a layer's cache): the rank of every
/// stage that reads some input passes all of them (takesInputs()), those its
/// stage does not read as empty views, and likewise for the outputs.
class Session {
public:
  /// Loads the code of `artifact` and binds its parameters. The session keeps
  /// the artifact alive (parameters point into its mapping).
  static StatusOr<std::unique_ptr<Session>>
  create(std::shared_ptr<const Artifact> artifact,
         const SessionOptions &options = {});
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  /// Runs one inference without copying: the code reads `inputs` in place
  /// and writes the outputs into the caller's `outputs` buffers (see
  /// TensorView and MutableTensorView for when rows are staged instead).
  /// `inputs` are in the order of Artifact::inputs() and must match their
  /// dtype and shape exactly, with enough bytes (none on a rank that does not
  /// take inputs). `outputs` are in the order of Artifact::outputs(), checked
  /// the same way, one per output on a rank that returns outputs and none on
  /// a rank of an earlier stage; a rank of the last stage that does not return
  /// them (a tensor-parallel group's other ranks) may pass none, and the
  /// session writes them into buffers of its own. A mismatch fails with
  /// InvalidArgument naming the input or output, what was expected and what
  /// was given. On failure the output buffers' contents are unspecified. In a
  /// distributed plan a failure on one rank leaves its peers waiting: the
  /// caller must abort the job (cleave-run calls MPI_Abort) rather than run
  /// again.
  Status run(const std::vector<TensorView> &inputs,
             const std::vector<MutableTensorView> &outputs);

  /// Runs one inference as above, into fresh tensors: `inputs` as for the
  /// views; on success `*outputs` holds the outputs in the order of
  /// Artifact::outputs() on every rank of the last stage (none elsewhere).
  Status run(const std::vector<Tensor> &inputs, std::vector<Tensor> *outputs);

  /// Checks `inputs` against the manifest without running anything.
  Status validateInputs(const std::vector<Tensor> &inputs) const;
  /// Checks input views against the manifest without running anything.
  Status validateInputs(const std::vector<TensorView> &inputs) const;

  /// The artifact this session runs.
  const Artifact &artifact() const { return *artifact_; }
  /// The CPU thread count in effect (options.threads, or the core count).
  int threads() const { return threads_; }
  /// The stage this session runs (the only one in a single-stage plan).
  const StageDesc &stage() const;
  /// True when this session runs the first stage and takes the inputs (or,
  /// in a pipeline compiled for generation, a stage that reads some).
  bool takesInputs() const;
  /// True when this session runs the last stage (or, in a pipeline compiled
  /// for generation, one that writes some outputs) and returns the outputs:
  /// the first rank of its tensor-parallel group.
  bool returnsOutputs() const;
  /// Time spent computing and waiting for transfers (see StageProfile).
  const StageProfile &profile() const;
  /// Starts the profile afresh, e.g. after a warm-up run.
  void resetProfile();

private:
  struct Impl;
  Session() = default;

  std::shared_ptr<const Artifact> artifact_;
  int threads_ = 1;
  std::unique_ptr<Impl> impl_;
};

/// The number of cores this process may run on (its CPU affinity mask).
int availableCores();

} // namespace cleave

#endif // CLEAVE_RUNTIME_H
