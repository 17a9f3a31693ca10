// The compile driver: one function from a model and typed options to a plan and an artifact.
//
// Everything that compiles a model calls this: cleave-compile, the Python package, the plan
// search. It never exits the process and prints nothing; what went wrong comes back as one
// line. The header uses only standard types, so that callers need no LLVM or MLIR headers.
#ifndef CLEAVE_COMPILER_DRIVER_DRIVER_H
#define CLEAVE_COMPILER_DRIVER_DRIVER_H

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cleave {

/// Where a compile stops (`cleave-compile --compile-to=PHASE`).
enum class Phase {
  Import,    ///< the onnx-level dialect as imported
  Partition, ///< the per-rank modules: stages outlined, split for tensor parallelism
  Linalg,    ///< linalg/tensor/arith on tensors, parameters as arguments, fused
  LLVM,      ///< the LLVM dialect with the runtime's entry points (GPUs: host + gpu.binary)
  Artifact,  ///< the full compile: the artifact's bytes
};

/// The phase called `name` ("import", ..., "artifact"); false if there is none.
bool parsePhase(const std::string &name, Phase &phase);
/// The phase names, comma-separated, for help and errors.
const char *phaseNames();

/// What to compile and how: the command line's options, typed.
struct CompileOptions {
  /// The ONNX model file. External data is read beside it.
  std::string modelPath;
  /// The model's bytes, when the caller has them in memory; `modelPath` then only names the
  /// model (in messages and provenance) and locates external data.
  std::string modelBytes;
  /// Where the model runs: comma-separated KIND:INDEX or KIND:A-B (cpu, cuda, rocm), one MPI
  /// rank per device.
  std::string devices;
  /// A JSON file of device capabilities and the link (docs/partitioning.md); empty: none.
  std::string deviceFile;
  /// Pipeline stages (0: the number of devices / tp), tensor-parallel ways, microbatches.
  int64_t pp = 0, tp = 1, microbatches = 1;
  /// Data-parallel replicas (`--dp`): the devices are dp groups of pp x tp; the plan is
  /// compiled for the first group and the manifest records dp (cpu devices only).
  int64_t dp = 1;
  /// Batch sizes to compile the plan for (`--batch-sizes`): dim 0 of every input set to
  /// each, the rest as bound. The artifact's main plan has the largest; the others are
  /// variants sharing its parameters. Empty: the model's own batch only.
  std::vector<int64_t> batchSizes;
  /// Compile a decoder with a past-key-values cache for generation (`--generate`): its
  /// Concats on the cache become reads of a runtime-owned cache of `maxSeqLen` slots per
  /// sequence (compiler/import/GenerationRewrite.h, docs/generation.md), for one new token
  /// per sequence per step.
  bool generate = false;
  int64_t maxSeqLen = 0;
  /// Bindings of inputs' dims, in order given: name and full shape.
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes;
  /// Code generation targets.
  std::string cpu = "host", cudaArch = "sm_90", rocmArch = "gfx942";
  /// Testing: CPU devices run the GPU kernel schedules serially.
  bool emulateGpuKernels = false;
  /// Time each op group (`--profile-ops`): CPU code calls the runtime around each group and
  /// the manifest lists the groups with their ONNX nodes (docs/observability.md). Off, the
  /// code is unchanged. CPU devices only.
  bool profileOps = false;
  /// Stop after this phase; before Artifact the result holds the IR of every rank.
  Phase stopAfter = Phase::Artifact;
  /// Plan only: fill `CompileResult::explain` and stop.
  bool explain = false;
  /// Choose pp, tp and microbatches (`--plan=auto`): every split of the devices into
  /// pp x tp and microbatch counts dividing the batch are planned, and the plan with the
  /// lowest predicted batch time that fits each device's memory is compiled. pp, tp and
  /// microbatches must be left at their defaults.
  bool autoPlan = false;
  /// With stopAfter before Artifact: print parameters in full, print locations.
  bool printWeights = false, printLocations = false;
  /// Called with a short description as each phase starts ("importing the model"); may be
  /// empty.
  std::function<void(const std::string &)> progress;
};

/// One pipeline stage of the chosen plan, with the cost model's estimate per microbatch.
struct PlannedStage {
  /// The devices running the stage: one, or a tensor-parallel group.
  std::vector<std::string> devices;
  std::string firstNode, lastNode; ///< ONNX node names of its first and last op
  int64_t opCount = 0;
  double seconds = 0, computeSeconds = 0, sendSeconds = 0;
  int64_t flops = 0, paramBytes = 0, activationBytes = 0, sendBytes = 0;
};

/// The plan a compile chose and what the cost model predicts of it.
struct PlanSummary {
  std::vector<PlannedStage> stages;
  int64_t pp = 1, tp = 1, microbatches = 1;
  int64_t batch = 0;        ///< dim 0 of the first input (0 when it has no dims)
  int64_t bottleneck = 0;   ///< the slowest stage
  double batchSeconds = 0;  ///< predicted time of one batch
};

/// One plan `--plan=auto` considered, with the cost model's figures or why it was refused.
struct PlanCandidate {
  int64_t pp = 1, tp = 1, microbatches = 1;
  double batchSeconds = 0;      ///< predicted time of one batch
  double bottleneckSeconds = 0; ///< the slowest stage's time per microbatch
  int64_t peakRankBytes = 0;    ///< the most memory a rank needs (estimate)
  std::string refused;          ///< empty when the plan is feasible
};

/// What a compile produced. `ok()` is false when `error` is set, and then nothing else is
/// meaningful.
struct CompileResult {
  /// The one-line error, without a trailing newline or period: the same text cleave-compile
  /// prints after "cleave-compile: error: ". Names the node, input, option or device at
  /// fault.
  std::string error;
  /// The plan (empty when the compile stopped after import).
  PlanSummary plan;
  /// With `explain`: the plan as `cleave-compile --explain` prints it.
  std::string explain;
  /// With stopAfter before Artifact: the IR of each module at that phase, in rank order
  /// (one module after import).
  std::vector<std::string> modules;
  /// With stopAfter == Artifact: the artifact's bytes.
  std::string artifact;
  /// With `autoPlan`: every plan considered, best first among the feasible ones, then the
  /// refused ones in the order they were tried.
  std::vector<PlanCandidate> candidates;

  bool ok() const { return error.empty(); }
};

/// Checks what can be checked without the model: the device list and file, and pp x tp
/// against the devices. Returns the one-line error, or "" when they are fine. compile()
/// checks the same first.
std::string checkOptions(const CompileOptions &options);

/// Compiles per `options`. Thread-compatible: concurrent calls do not share state.
CompileResult compile(const CompileOptions &options);

/// Parses `NAME=D0xD1x...` (split at the last '=': NAME may hold '=' and ':'); false with a
/// one-line `error` otherwise.
bool parseInputShape(const std::string &spec, std::pair<std::string, std::vector<int64_t>> &shape,
                     std::string &error);

/// `NAME=D0xD1x...`, as parseInputShape reads it.
std::string formatInputShape(const std::pair<std::string, std::vector<int64_t>> &shape);

} // namespace cleave

#endif // CLEAVE_COMPILER_DRIVER_DRIVER_H
