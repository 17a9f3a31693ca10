//===- test_artifact_writer.h - Writes .cleave files for tests ------------===//
//
// Test-only: the compiler is not needed to exercise the runtime. Artifacts
// are written by the compiler's own writer (compiler/artifact/ArtifactWriter.h,
// which has no LLVM dependency), with code compiled from small C sources by
// the `cc` on PATH.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_TEST_ARTIFACT_WRITER_H
#define CLEAVE_RUNTIME_CORE_TEST_ARTIFACT_WRITER_H

#include "cleave/runtime.h"
#include "compiler/artifact/ArtifactWriter.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cleave {
namespace testing {

/// A fresh, empty temporary directory (left behind for inspection).
std::string makeTempDir();

/// C source exporting `int cleave_abi_version(void)` returning `version`; it
/// includes cleave/abi.h, so test code may use the contract's names.
std::string abiVersionSource(int version = CLEAVE_ABI_VERSION);

/// Compiles C source into a shared object with `cc -shared -fPIC -O1`, with
/// the runtime's include directory (cleave/abi.h) on the include path.
StatusOr<std::vector<uint8_t>> compileSharedObject(const std::string &source);

/// A binary section to place in an artifact.
struct RawSection {
  std::string name;
  std::string kind;
  std::vector<uint8_t> bytes;
};

/// An artifact image and where its parts lie, for corrupting tests.
struct AssembledArtifact {
  std::vector<uint8_t> bytes;
  uint64_t manifestOffset = 0;
  uint64_t manifestSize = 0;
  /// Section name -> (offset, size).
  std::map<std::string, std::pair<uint64_t, uint64_t>> sections;
};

/// Lays out header, raw manifest and sections with the compiler's writer, for
/// tests of manifests the compiler would never write. The manifest is
/// `{<manifestBody>,"sections":[...]}` with offsets, sizes and CRCs filled in;
/// `version` goes into the header.
AssembledArtifact assembleArtifact(const std::string &manifestBody,
                                   const std::vector<RawSection> &sections,
                                   uint32_t version = CLEAVE_FORMAT_VERSION);

/// Replaces the first `from` in the manifest by `to` and recomputes the
/// manifest and header checksums, so that only the edit is wrong. The edited
/// manifest must still end before the first section.
void patchManifest(AssembledArtifact *artifact, const std::string &from,
                   const std::string &to);

/// Sets the header's format version and recomputes its checksum.
void setHeaderVersion(AssembledArtifact *artifact, uint32_t version);

/// A parameter of a test model.
struct TestParam {
  TensorDesc desc;
  std::vector<uint8_t> bytes;
  /// The rank holding it; it goes into section "params.rank<rank>".
  int rank = 0;
};

/// An argument of a pipeline stage.
struct TestArg {
  TestArg(std::string kind, std::string name, int peer = -1,
          DType dtype = DType::Float32, Shape shape = {})
      : kind(std::move(kind)), name(std::move(name)), peer(peer), dtype(dtype),
        shape(std::move(shape)) {}

  std::string kind; ///< "input", "param", "output", "send", "recv", ...
  std::string name;
  int peer = -1; ///< send: "to", recv: "from" (stage ids)
  DType dtype = DType::Float32;
  Shape shape; ///< send and recv only
};

/// One stage entry of a pipeline test model: entry k runs on rank k, its code
/// is section "code.rank<k>" and its entry point "cleave_stage_<k>".
struct TestStage {
  std::vector<TestArg> args;
  std::string cSource;
  /// The stage id; -1: the entry's rank.
  int id = -1;
  /// The manifest's "group" (the ranks running this stage id); empty: none.
  std::vector<int> group;
};

/// A CPU model. With `pipeline` empty, `stages` stages run the same code
/// (`cSource`, entry cleave_stage_0, arguments `args`), each on its own rank;
/// otherwise each stage of `pipeline` has its own code and arguments.
struct TestModel {
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  std::vector<TestParam> params;
  /// The entry point's arguments: (kind, name).
  std::vector<std::pair<std::string, std::string>> args;
  std::string cSource;
  int stages = 1;
  std::vector<TestStage> pipeline;
  /// options.microbatches.
  int microbatches = 1;
};

/// y = x + w over float32[2, 3], w = {0.5, 1.5, ..., 5.5}. Its code also
/// exports `int cleave_test_num_threads(void)` (what cleave_set_num_threads
/// received) and makes y NaN if an argument is not 64-byte aligned.
TestModel addModel();

/// "out/sum:0" = "in:0" * "scale=2" over float32[4] with no parameters:
/// names that need care on the command line and in file names.
TestModel awkwardNamesModel();

/// A pipeline of `stages` stages over x: float32[8, 3] -> y: float32[8, 3];
/// stage k computes out = in * 2 + k elementwise, with k read from a
/// parameter "c<k>" (float32[3], held by rank k) on even stages and a
/// constant in the code on odd ones. Stage k sends "h<k>" to stage k + 1.
TestModel chainModel(int stages, int microbatches);

/// Three stages over x: float32[8, 3] -> y: float32[8, 3] where stage 0
/// sends a = x * 2 and b = x + 1, stage 1 sends c = a + 1 and forwards b,
/// and stage 2 writes y = c * b.
TestModel forwardModel(int microbatches);

/// Two pipeline stages of two tensor-parallel ranks each (ranks 0-1 run
/// stage 0, ranks 2-3 stage 1) over x: float32[8, 3] -> y: float32[8, 3].
/// Stage 0 rank t computes x * (t + 1), all-reduces it over its group (x * 3)
/// and sends it as "h"; stage 1 rank t all-gathers h + t over its group
/// into g and writes y = g[0] * 2 + g[1] (= h * 3 + 1 = x * 9 + 1).
TestModel tensorParallelPipelineModel(int microbatches);

/// The artifact of `model` as the compiler's writer describes it, its C
/// sources compiled. The spec refers to `model`'s parameter bytes: `model`
/// must outlive it.
StatusOr<artifact::Spec> specOf(const TestModel &model);

/// Compiles and assembles `model`.
StatusOr<AssembledArtifact> buildArtifact(const TestModel &model);

/// Assembles `spec` with the compiler's writer.
AssembledArtifact buildArtifact(const artifact::Spec &spec);

/// A single-stage cuda:0 plan with a gpu_program over x: float32[2K, 3] ->
/// y: float32[2K, 3] in K microbatches, parameter w: float32[2, 3] =
/// {0.5, 1.5, ..., 5.5} and a 4-byte constant c = 3.0f. Launch "add"(x, w, t)
/// then "scale"(t, c, f32 2.0, i64 6, y): y = (x + w) * c * 2 when run. With
/// `allReduce`, t goes through an all-reduce over the stage's group into a
/// sixth buffer, which "scale" reads instead. code.rank0 (cuda-fatbin) holds
/// placeholder bytes, not GPU code.
artifact::Spec gpuSpec(int microbatches = 1, bool allReduce = false);

/// Writes `bytes` to `path`; aborts the test binary on failure.
void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes);

} // namespace testing
} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_TEST_ARTIFACT_WRITER_H
