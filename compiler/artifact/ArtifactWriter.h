// Writes `.cleave` artifacts (docs/artifact-format.md): the format's one writer.
//
// The compiler writes what it compiled with it, and the runtime's tests write their test
// artifacts with it, so that both speak the schema the runtime reads. Plain C++17 without
// LLVM or MLIR; every key, kind, code and layout constant comes from the runtime's contract
// header, cleave/abi.h.
#ifndef CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H
#define CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H

#include "cleave/abi.h"

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cleave {
namespace artifact {

/// A named tensor type (graph inputs and outputs, parameters, transfers).
struct Tensor {
  std::string name;
  cleave_dtype dtype = CLEAVE_DTYPE_FLOAT32;
  std::vector<int64_t> shape;
};

/// One parameter (a rank's weight shard): its type, the rank holding it and its bytes.
struct Parameter {
  Tensor tensor;
  int64_t rank = 0;
  /// The data; it must outlive the write.
  std::string_view bytes;
};

/// What one buffer of a stage's entry point is.
enum class ArgKind { Input, Param, Output, Recv, Send };

/// One buffer passed to a stage's entry point, in order.
struct Arg {
  ArgKind kind = ArgKind::Input;
  std::string name;
  /// Recv and Send only: the peer stage and the per-microbatch tensor type.
  int64_t peer = -1;
  Tensor tensor;
};

/// An op whose parameter a tensor-parallel split slices (informative).
struct Sharding {
  std::string node, split, weight;
};

/// A collective a tensor-parallel split needs (informative).
struct CollectiveNote {
  std::string kind; ///< CLEAVE_COLLECTIVE_ALL_REDUCE_SUM or CLEAVE_COLLECTIVE_ALL_GATHER
  std::string after;
  int64_t elements = 0;
};

/// A device buffer of a GPU stage.
struct GpuBuffer {
  enum class Kind { Arg, Temp, Constant };
  Kind kind = Kind::Temp;
  int64_t index = 0;   ///< Arg: the stage arg
  std::string section; ///< Constant: the constants section
  int64_t offset = 0;  ///< Constant
  int64_t size = 0;    ///< Temp and Constant: bytes
};

/// One kernel parameter: a buffer's address or a scalar.
struct GpuKernelArg {
  enum class Type { Ptr, I64, I32, I16, I8, I1, F32, F64 };
  Type type = Type::Ptr;
  int64_t buffer = 0; ///< Ptr
  int64_t value = 0;  ///< integers
  uint64_t bits = 0;  ///< floats: the IEEE bit pattern
};

/// One step of a GPU stage: a kernel launch, or (with `collective` set) a collective over
/// the stage's group from buffer `in` to buffer `out`.
struct GpuStep {
  std::string kernel;
  std::array<int64_t, 3> grid = {1, 1, 1}, block = {1, 1, 1};
  std::vector<GpuKernelArg> args;
  std::string collective; ///< CLEAVE_COLLECTIVE_*; empty for a kernel launch
  int64_t in = 0, out = 0, count = 0;
  cleave_dtype dtype = CLEAVE_DTYPE_FLOAT32;
};

/// What the runtime replays for a GPU stage (manifest `gpu_program`).
struct GpuProgram {
  std::vector<std::string> kernels;
  std::vector<GpuBuffer> buffers;
  std::vector<GpuStep> launches;
};

/// An op group timed by code compiled with --profile-ops (manifest `op_groups`).
struct OpGroup {
  int64_t id = 0;
  std::string name;               ///< for people: the first node and how many follow
  std::vector<std::string> nodes; ///< the ONNX nodes whose ops it runs, in order
  std::vector<std::string> ops;   ///< their ONNX op types, each once, in order
};

/// One stage entry: what one rank runs.
struct Stage {
  int64_t id = 0, rank = 0, device = 0;
  std::string code;  ///< the code section
  std::string entry; ///< the entry point (CLEAVE_ENTRY_GPU_PROGRAM for GPU stages)
  std::vector<Arg> args;
  int64_t flops = 0, bytes = 0;
  /// The cost model's time per microbatch: in all, computing, and sending the outgoing
  /// cut; each written when positive.
  double seconds = 0, computeSeconds = 0, sendSeconds = 0;
  std::optional<GpuProgram> gpuProgram;
  /// Tensor-parallel stages: the ranks running this stage id, in group order; the split
  /// ops and collectives (informative). Written when the group has more than one rank.
  std::vector<int64_t> group;
  std::vector<Sharding> shardings;
  std::vector<CollectiveNote> collectives;
  /// Code compiled with --profile-ops: its op groups, by id.
  std::vector<OpGroup> opGroups;
};

/// One rank's device.
struct Device {
  int64_t rank = 0;
  std::string kind; ///< CLEAVE_DEVICE_*
  int64_t index = 0;
};

/// A code or constants section.
struct Code {
  std::string section, kind; ///< kind: CLEAVE_SECTION_*
  std::string bytes;
};

/// Where the model came from.
struct Source {
  std::string path, sha256;
  int64_t opset = 0;
  std::string producer;
};

/// The options the artifact was compiled with.
struct Options {
  std::string devices;
  int64_t pp = 1, tp = 1, microbatches = 1;
  /// Data-parallel replicas; written only when above 1.
  int64_t dp = 1;
  std::string cpu, cudaArch, rocmArch;
  std::vector<std::string> inputShapes; ///< as given, NAME=D0xD1...
  /// --batch-sizes, ascending; written only when given.
  std::vector<int64_t> batchSizes;
  /// --profile-ops: the code times its op groups; written only when set.
  bool profileOps = false;
};

/// The plan compiled for another batch size (manifest "variants"): the same devices and
/// parameters, its own inputs, outputs and stages, whose code sections are in Spec::code.
struct Variant {
  int64_t batch = 0;
  std::vector<Tensor> inputs, outputs;
  std::vector<Stage> stages;
};

/// The generation contract (manifest "generation"): which inputs and outputs are the token
/// ids, the mask, the positions, the logits and the cache, and the cache's capacity.
struct Generation {
  int64_t maxSeqLen = 0;
  std::string inputIds, attentionMask, positionIds, logits;
  /// Per cache tensor: the past input, the present output (the new rows), and whether the
  /// past is stored transposed ([batch, heads, head_dim, max_seq_len]).
  struct Cache {
    std::string past, present;
    bool transposed = false;
  };
  std::vector<Cache> cache;
};

/// Everything an artifact holds.
struct Spec {
  /// Set for artifacts compiled with --generate.
  std::optional<Generation> generation;
  Source source;
  Options options;
  std::vector<Tensor> inputs, outputs;
  std::vector<Device> devices;
  std::vector<Parameter> parameters;
  std::vector<Stage> stages;
  std::vector<Code> code;
  std::vector<Variant> variants;
};

/// A raw section to lay out.
struct Section {
  std::string name, kind, bytes;
};

/// Where a section lies in the file.
struct Placement {
  std::string name, kind;
  uint64_t offset = 0, size = 0;
  uint32_t crc32 = 0;
};

/// An artifact's bytes and where its parts lie.
struct Image {
  std::string bytes;
  uint64_t manifestOffset = 0, manifestSize = 0;
  std::vector<Placement> sections;
};

/// The compiler version recorded in artifacts.
const char *compilerVersion();

/// Lays out the header, the manifest and `sections` (each at a CLEAVE_SECTION_ALIGNMENT
/// boundary). The manifest depends on where the sections lie and they on its length:
/// `manifestFor` returns the manifest's text for a placement, and the layout is repeated
/// until it is stable. `version` goes into the header.
Image assemble(const std::function<std::string(const std::vector<Placement> &)> &manifestFor,
               std::vector<Section> sections, uint32_t version = CLEAVE_FORMAT_VERSION);

/// Recomputes the header's manifest and header checksums from the bytes (after an edit).
void sealHeader(Image &image);

/// The whole artifact of `spec`: code sections in order, then one parameter section per
/// rank (`params.rank<R>`, each parameter CLEAVE_PARAMETER_ALIGNMENT aligned).
Image build(const Spec &spec);

/// Rewrites the artifact `bytes` with the top-level manifest key `key` set to `valueJson` (JSON
/// text), its sections moved as the longer manifest needs and every checksum recomputed; the
/// rest of the manifest and every section are kept as they are. False with a one-line
/// `error` when `bytes` is not an artifact or `valueJson` is not JSON.
bool setManifestKey(const std::string &bytes, const std::string &key, const std::string &valueJson,
                    std::string &out, std::string &error);

/// Writes build(spec) to `path`; false with `error` set on failure.
bool write(const std::string &path, const Spec &spec, std::string &error);

} // namespace artifact
} // namespace cleave

#endif // CLEAVE_COMPILER_ARTIFACT_ARTIFACTWRITER_H
