//===- manifest_test.cc - Tests for the manifest schema -------------------===//

#include "core/manifest.h"

#include <gtest/gtest.h>

namespace cleave {
namespace {

/// A valid manifest; tests replace one piece at a time.
std::string validManifest() {
  return R"({
  "format_version": 1, "compiler_version": "0.1.0",
  "source": {"path": "m.onnx", "sha256": "00", "opset": 17, "producer": "p"},
  "options": {"devices": "cpu:0", "pp": 1, "input_shapes": ["x=1x3", "z=2"]},
  "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3]}],
  "outputs": [{"name": "y", "dtype": "int64", "shape": []}],
  "devices": [{"rank": 0, "kind": "cpu", "index": 0}],
  "parameters": [{"name": "w", "dtype": "float16", "shape": [3], "rank": 0,
                  "section": "params.rank0", "offset": 0, "size": 6}],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
              "entry": "cleave_stage_0",
              "args": [{"kind": "input", "name": "x"},
                       {"kind": "param", "name": "w"},
                       {"kind": "output", "name": "y"}],
              "estimate": {"flops": 3.6e9, "bytes": 100,
                           "compute_seconds": 0.004, "send_seconds": 0.001}}],
  "sections": [
    {"name": "code.rank0", "kind": "cpu-elf-so", "offset": 4096, "size": 10,
     "crc32": 4294967295},
    {"name": "params.rank0", "kind": "params", "offset": 8192, "size": 6,
     "crc32": 0}]
})";
}

std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

void expectError(const std::string &text, const std::string &message) {
  StatusOr<Manifest> manifest = parseManifest(text);
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().message(), message);
}

TEST(ManifestTest, ParsesEveryField) {
  StatusOr<Manifest> parsed = parseManifest(validManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  const Manifest &m = *parsed;
  EXPECT_EQ(m.provenance.compilerVersion, "0.1.0");
  EXPECT_EQ(m.provenance.source.producer, "p");
  ASSERT_EQ(m.provenance.options.size(), 3u);
  EXPECT_EQ(m.provenance.options[1].second, "1");
  EXPECT_EQ(m.provenance.options[2].second, "[x=1x3, z=2]");
  EXPECT_EQ(m.outputs[0].dtype, DType::Int64);
  EXPECT_TRUE(m.outputs[0].shape.empty());
  EXPECT_EQ(m.parameters[0].dtype, DType::Float16);
  EXPECT_EQ(m.stages[0].args[2].kind, StageArg::Kind::Output);
  EXPECT_DOUBLE_EQ(m.stages[0].estimatedFlops, 3.6e9);
  EXPECT_DOUBLE_EQ(m.stages[0].estimatedComputeSeconds, 0.004);
  EXPECT_DOUBLE_EQ(m.stages[0].estimatedSendSeconds, 0.001);
  EXPECT_EQ(m.sections[0].crc32, 4294967295u);
}

TEST(ManifestTest, ProvenanceIsOptional) {
  std::string text = validManifest();
  text = replaced(text, R"("compiler_version": "0.1.0",)", "");
  text = replaced(
      text,
      R"("source": {"path": "m.onnx", "sha256": "00", "opset": 17, "producer": "p"},)",
      "");
  StatusOr<Manifest> parsed = parseManifest(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(parsed->provenance.source.opset, 0);
}

TEST(ManifestTest, UnknownArgKindIsKept) {
  StatusOr<Manifest> parsed = parseManifest(
      replaced(validManifest(), R"({"kind": "param", "name": "w"})",
               R"({"kind": "workspace", "name": "scratch"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(parsed->stages[0].args[1].kind, StageArg::Kind::Other);
  EXPECT_EQ(parsed->stages[0].args[1].kindName, "workspace");
}

TEST(ManifestTest, ErrorsNameTheField) {
  expectError("[]", "manifest: expected a JSON object, got []");
  expectError(replaced(validManifest(), R"("format_version": 1,)", ""),
              "format_version: missing");
  expectError(
      replaced(validManifest(), R"("shape": [1, 3])", R"("shape": [1, -3])"),
      "inputs[0].shape[1]: expected an integer in [0, "
      "9223372036854775807], got -3");
  expectError(
      replaced(validManifest(), R"("shape": [1, 3])", R"("shape": [1, "a"])"),
      "inputs[0].shape[1]: expected an integer in [0, "
      "9223372036854775807], got \"a\"");
  expectError(
      replaced(validManifest(), R"("dtype": "int64")", R"("dtype": "int4")"),
      "outputs[0].dtype: unknown dtype 'int4' (expected one of "
      "float32, float16, float64, int64, int32, int8, uint8, bool, int16, "
      "uint16, uint32, uint64, bfloat16)");
  expectError(
      replaced(validManifest(), R"("inputs": [)",
               R"("inputs": [{"name": "x", "dtype": "bool", "shape": []},)"),
      "inputs[1]: duplicate name 'x'");
  expectError(replaced(validManifest(), R"("size": 6}])", R"("size": 8}])"),
              "parameters[0]: size 8 does not match float16[3] (6 bytes)");
  expectError(replaced(validManifest(), R"("section": "params.rank0")",
                       R"("section": "params.rank9")"),
              "parameters[0].section: no section named 'params.rank9'");
  expectError(replaced(validManifest(), R"({"kind": "input", "name": "x"})",
                       R"({"kind": "input", "name": "q"})"),
              "stages[0].args[0]: no input named 'q'");
  expectError(replaced(validManifest(), R"("device": 0)", R"("device": 2)"),
              "stages[0].device: device 2 does not exist (1 devices)");
  expectError(replaced(validManifest(), R"("code": "code.rank0")",
                       R"("code": "code.rank1")"),
              "stages[0].code: no section named 'code.rank1'");
  expectError(replaced(validManifest(), R"("entry": "cleave_stage_0")",
                       R"("entry": "")"),
              "stages[0].entry: must not be empty");
  expectError(
      replaced(validManifest(), R"("crc32": 0})", R"("crc32": 4294967296})"),
      "sections[1].crc32: expected an integer in [0, 4294967295], got "
      "4294967296");
  expectError(
      replaced(validManifest(), R"("stages": [)", R"("stages": 7, "x": [)"),
      "stages: expected array, got 7");
}

/// A two-stage pipeline over x: float32[8, 3] with 4 microbatches; tests
/// replace one piece at a time.
std::string pipelineManifest() {
  return R"({
  "format_version": 1,
  "options": {"devices": "cpu:0-1", "pp": 2, "tp": 1, "microbatches": 4},
  "inputs": [{"name": "x", "dtype": "float32", "shape": [8, 3]}],
  "outputs": [{"name": "y", "dtype": "float32", "shape": [8, 3]}],
  "devices": [{"rank": 0, "kind": "cpu", "index": 0},
              {"rank": 1, "kind": "cpu", "index": 1}],
  "parameters": [{"name": "w0", "dtype": "float32", "shape": [3], "rank": 0,
                  "section": "params.rank0", "offset": 0, "size": 12},
                 {"name": "w1", "dtype": "float32", "shape": [3], "rank": 1,
                  "section": "params.rank1", "offset": 0, "size": 12}],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
              "entry": "cleave_stage_0",
              "args": [{"kind": "input", "name": "x"},
                       {"kind": "param", "name": "w0"},
                       {"kind": "send", "name": "h", "to": 1,
                        "dtype": "float32", "shape": [2, 5]},
                       {"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [2, 3]}]},
             {"id": 1, "rank": 1, "device": 1, "code": "code.rank1",
              "entry": "cleave_stage_1",
              "args": [{"kind": "recv", "name": "h", "from": 0,
                        "dtype": "float32", "shape": [2, 5]},
                       {"kind": "recv", "name": "x", "from": 0,
                        "dtype": "float32", "shape": [2, 3]},
                       {"kind": "param", "name": "w1"},
                       {"kind": "output", "name": "y"}]}],
  "sections": [
    {"name": "code.rank0", "kind": "cpu-elf-so", "offset": 4096, "size": 10,
     "crc32": 0},
    {"name": "code.rank1", "kind": "cpu-elf-so", "offset": 8192, "size": 10,
     "crc32": 0},
    {"name": "params.rank0", "kind": "params", "offset": 12288, "size": 12,
     "crc32": 0},
    {"name": "params.rank1", "kind": "params", "offset": 16384, "size": 12,
     "crc32": 0}]
})";
}

TEST(ManifestTest, ParsesPipelinePlans) {
  StatusOr<Manifest> parsed = parseManifest(pipelineManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  const Manifest &m = *parsed;
  EXPECT_EQ(m.microbatches, 4);
  EXPECT_EQ(m.parameters[1].rank, 1);
  const StageArg &send = m.stages[0].args[2];
  EXPECT_EQ(send.kind, StageArg::Kind::Send);
  EXPECT_EQ(send.kindName, "send");
  EXPECT_EQ(send.name, "h");
  EXPECT_EQ(send.peer, 1);
  EXPECT_EQ(send.dtype, DType::Float32);
  EXPECT_EQ(send.shape, (Shape{2, 5}));
  const StageArg &recv = m.stages[1].args[0];
  EXPECT_EQ(recv.kind, StageArg::Kind::Recv);
  EXPECT_EQ(recv.peer, 0);
  EXPECT_EQ(recv.shape, (Shape{2, 5}));
}

/// Two ranks running stage 0 tensor-parallel, each with its own parameter.
std::string tensorParallelManifest() {
  return R"({
  "format_version": 1, "compiler_version": "0.1.0",
  "options": {"devices": "cpu:0-1", "pp": 1, "tp": 2},
  "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3]}],
  "outputs": [{"name": "y", "dtype": "float32", "shape": [1, 3]}],
  "devices": [{"rank": 0, "kind": "cpu", "index": 0},
              {"rank": 1, "kind": "cpu", "index": 1}],
  "parameters": [{"name": "w.rank0", "dtype": "float32", "shape": [3], "rank": 0,
                  "section": "params.rank0", "offset": 0, "size": 12},
                 {"name": "w.rank1", "dtype": "float32", "shape": [3], "rank": 1,
                  "section": "params.rank1", "offset": 0, "size": 12}],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
              "entry": "cleave_stage_0", "group": [0, 1],
              "args": [{"kind": "input", "name": "x"},
                       {"kind": "param", "name": "w.rank0"},
                       {"kind": "output", "name": "y"}]},
             {"id": 0, "rank": 1, "device": 1, "code": "code.rank1",
              "entry": "cleave_stage_1", "group": [0, 1],
              "args": [{"kind": "input", "name": "x"},
                       {"kind": "param", "name": "w.rank1"},
                       {"kind": "output", "name": "y"}]}],
  "sections": [
    {"name": "code.rank0", "kind": "cpu-elf-so", "offset": 4096, "size": 10, "crc32": 0},
    {"name": "code.rank1", "kind": "cpu-elf-so", "offset": 8192, "size": 10, "crc32": 0},
    {"name": "params.rank0", "kind": "params", "offset": 12288, "size": 12, "crc32": 0},
    {"name": "params.rank1", "kind": "params", "offset": 16384, "size": 12, "crc32": 0}]
})";
}

TEST(ManifestTest, ParsesTensorParallelStages) {
  StatusOr<Manifest> parsed = parseManifest(tensorParallelManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  ASSERT_EQ(parsed->stages.size(), 2u);
  EXPECT_EQ(parsed->stages[1].id, 0);
  EXPECT_EQ(parsed->stages[1].group, (std::vector<int>{0, 1}));
  // Without "group", a stage's group is its rank.
  StatusOr<Manifest> single = parseManifest(validManifest());
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->stages[0].group, (std::vector<int>{0}));
}

TEST(ManifestTest, TensorParallelErrorsNameTheStage) {
  const std::string good = tensorParallelManifest();
  expectError(replaced(good, R"("entry": "cleave_stage_1", "group": [0, 1],)",
                       R"("entry": "cleave_stage_1",)"),
              "stages[1].id: duplicate stage id 0 (entries of one stage id "
              "must be the ranks of one tensor-parallel group)");
  expectError(replaced(good, R"("entry": "cleave_stage_0", "group": [0, 1],)",
                       R"("entry": "cleave_stage_0", "group": [1],)"),
              "stages[0].group: does not hold the stage's rank 0");
  expectError(replaced(good, R"("entry": "cleave_stage_0", "group": [0, 1],)",
                       R"("entry": "cleave_stage_0", "group": [0, 1, 2],)"),
              "stages[1].id: duplicate stage id 0 (entries of one stage id "
              "must be the ranks of one tensor-parallel group)");
}

/// Stage 0 on ranks 0-1 (a tensor-parallel group) sends "h" to stage 1 on
/// ranks 2-3; rank t of one group talks to rank t of the other.
std::string tensorParallelPipelineManifest() {
  std::string stages;
  for (int r = 0; r < 4; ++r) {
    std::string rank = std::to_string(r);
    std::string transfer =
        r < 2
            ? R"({"kind": "send", "name": "h", "to": 1, "dtype": "float32", "shape": [1, 3]})"
            : R"({"kind": "recv", "name": "h", "from": 0, "dtype": "float32", "shape": [1, 3]})";
    std::string graph = r < 2 ? R"({"kind": "input", "name": "x"})"
                              : R"({"kind": "output", "name": "y"})";
    stages += std::string(r ? "," : "") + R"({"id": )" + std::to_string(r / 2) +
              R"(, "rank": )" + rank + R"(, "device": )" + rank +
              R"(, "code": "code.rank)" + rank +
              R"(", "entry": "cleave_stage_)" + rank + R"(", "group": )" +
              (r < 2 ? "[0, 1]" : "[2, 3]") + R"(, "args": [)" +
              (r < 2 ? graph + ", " + transfer : transfer + ", " + graph) +
              "]}";
  }
  std::string devices, sections;
  for (int r = 0; r < 4; ++r) {
    std::string rank = std::to_string(r);
    devices += std::string(r ? "," : "") + R"({"rank": )" + rank +
               R"(, "kind": "cpu", "index": )" + rank + "}";
    sections += std::string(r ? "," : "") + R"({"name": "code.rank)" + rank +
                R"(", "kind": "cpu-elf-so", "offset": )" +
                std::to_string(4096 * (r + 1)) + R"(, "size": 10, "crc32": 0})";
  }
  return R"({"format_version": 1, "compiler_version": "0.1.0",
  "options": {"devices": "cpu:0-3", "pp": 2, "tp": 2},
  "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3]}],
  "outputs": [{"name": "y", "dtype": "float32", "shape": [1, 3]}],
  "devices": [)" +
         devices + R"(], "parameters": [], "stages": [)" + stages +
         R"(], "sections": [)" + sections + "]}";
}

TEST(ManifestTest, ParsesTensorParallelPipelines) {
  StatusOr<Manifest> parsed = parseManifest(tensorParallelPipelineManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  ASSERT_EQ(parsed->stages.size(), 4u);
  EXPECT_EQ(parsed->stages[3].id, 1);
  EXPECT_EQ(parsed->stages[3].group, (std::vector<int>{2, 3}));
}

TEST(ManifestTest, TransfersNeedGroupsOfOneSize) {
  // Stage 1 on rank 2 alone; rank 3 becomes a third stage with nothing to do.
  std::string text = replaced(tensorParallelPipelineManifest(),
                              R"("cleave_stage_2", "group": [2, 3])",
                              R"("cleave_stage_2", "group": [2])");
  text = replaced(text, R"({"id": 1, "rank": 3)", R"({"id": 2, "rank": 3)");
  text = replaced(text, R"("cleave_stage_3", "group": [2, 3], "args": [)",
                  R"("cleave_stage_3", "args": [)");
  expectError(text, "stages[0].args[1]: send 'h': stage 0 runs on 2 rank(s) "
                    "and stage 1 on 1 (a transfer pairs the ranks of groups "
                    "of one size)");
}

TEST(ManifestTest, MicrobatchesDefaultToOne) {
  std::string text = replaced(validManifest(), R"("pp": 1,)", "");
  StatusOr<Manifest> parsed = parseManifest(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(parsed->microbatches, 1);
}

/// validManifest() as compiled with --profile-ops, with op groups `groups`.
std::string profiledManifest(const std::string &groups) {
  std::string text = replaced(validManifest(), R"("pp": 1,)",
                              R"("pp": 1, "profile_ops": true,)");
  return replaced(text, R"("entry": "cleave_stage_0",)",
                  R"("entry": "cleave_stage_0", "op_groups": )" + groups + ",");
}

TEST(ManifestTest, ParsesOpGroups) {
  StatusOr<Manifest> parsed = parseManifest(profiledManifest(
      R"([{"id": 0, "name": "c +1", "nodes": ["c", "r"], "ops": ["Conv", "Relu"]},
          {"id": 1, "name": "m", "nodes": ["m"], "ops": ["MatMul"]}])"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_TRUE(parsed->profileOps);
  const std::vector<OpGroupDesc> &groups = parsed->stages[0].opGroups;
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "c +1");
  EXPECT_EQ(groups[0].nodes, (std::vector<std::string>{"c", "r"}));
  EXPECT_EQ(groups[1].ops, (std::vector<std::string>{"MatMul"}));
  StatusOr<Manifest> plain = parseManifest(validManifest());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->profileOps);
  EXPECT_TRUE(plain->stages[0].opGroups.empty());
}

TEST(ManifestTest, OpGroupErrorsNameTheField) {
  // The code passes a group's index: an id elsewhere is refused.
  expectError(
      profiledManifest(R"([{"id": 3, "name": "m", "nodes": [], "ops": []}])"),
      "stages[0].op_groups[0].id: expected an integer in [0, 0], got 3");
  expectError(
      profiledManifest(R"([{"id": 0, "name": "m", "nodes": [1], "ops": []}])"),
      "stages[0].op_groups[0].nodes[0]: expected string, got 1");
  expectError(profiledManifest(R"({"id": 0})"),
              "stages[0].op_groups: expected array, got {\"id\":0}");
  expectError(
      replaced(validManifest(), R"("pp": 1,)", R"("pp": 1, "profile_ops": 1,)"),
      "options.profile_ops: expected bool, got 1");
}

TEST(ManifestTest, PipelineErrorsNameTheStageAndArg) {
  const std::string good = pipelineManifest();
  auto expectPipelineError = [&](const std::string &from, const std::string &to,
                                 const std::string &message) {
    expectError(replaced(good, from, to), message);
  };
  expectPipelineError(R"("microbatches": 4)", R"("microbatches": 0)",
                      "options.microbatches: expected an integer in [1, "
                      "1048576], got 0");
  expectPipelineError(R"("microbatches": 4)", R"("microbatches": 3)",
                      "inputs[0]: dim 0 of 'x' (8) is not divisible by "
                      "microbatches 3");
  expectPipelineError(
      R"("outputs": [{"name": "y", "dtype": "float32", "shape": [8, 3]}])",
      R"("outputs": [{"name": "y", "dtype": "float32", "shape": []}])",
      "outputs[0]: scalar 'y' cannot be split into 4 microbatches");
  expectPipelineError(R"("to": 1,
                        "dtype": "float32", "shape": [2, 5]})",
                      R"("dtype": "float32", "shape": [2, 5]})",
                      "stages[0].args[2].to: missing");
  expectPipelineError(R"("from": 0,
                        "dtype": "float32", "shape": [2, 5]})",
                      R"("from": 0, "shape": [2, 5]})",
                      "stages[1].args[0].dtype: missing");
  expectPipelineError(R"("to": 1,
                        "dtype": "float32", "shape": [2, 5]})",
                      R"("to": 7,
                        "dtype": "float32", "shape": [2, 5]})",
                      "stages[0].args[2]: send 'h': stage 7 does not exist "
                      "(2 stages)");
  expectPipelineError(R"("to": 1,
                        "dtype": "float32", "shape": [2, 5]})",
                      R"("to": 0,
                        "dtype": "float32", "shape": [2, 5]})",
                      "stages[0].args[2]: send 'h': stage 0 is not adjacent "
                      "(stage 0 sends only to stage 1)");
  expectPipelineError(
      R"({"kind": "recv", "name": "h", "from": 0,
                        "dtype": "float32", "shape": [2, 5]},)",
      "", "stages[0].args[2]: send 'h' has no matching recv 'h' in stage 1");
  expectPipelineError(R"("from": 0,
                        "dtype": "float32", "shape": [2, 5]})",
                      R"("from": 0,
                        "dtype": "float32", "shape": [5, 2]})",
                      "stages[0].args[2]: send 'h' is float32[2, 5] but the "
                      "recv in stage 1 is float32[5, 2]");
  expectPipelineError(R"("to": 1,
                        "dtype": "float32", "shape": [2, 3]})",
                      R"("to": 1,
                        "dtype": "int32", "shape": [2, 3]})",
                      "stages[0].args[3]: send 'x' is int32[2, 3] but the "
                      "recv in stage 1 is float32[2, 3]");
  expectPipelineError(R"({"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [2, 3]}]},)",
                      R"({"kind": "send", "name": "z", "to": 1,
                        "dtype": "float32", "shape": [2, 3]}]},)",
                      "stages[0].args[3]: send 'z' has no matching recv 'z' "
                      "in stage 1");
  expectPipelineError(R"({"kind": "param", "name": "w1"},)",
                      R"({"kind": "recv", "name": "q", "from": 0,
                          "dtype": "float32", "shape": [1]},
                         {"kind": "param", "name": "w1"},)",
                      "stages[1].args[2]: recv 'q' has no matching send 'q' "
                      "in stage 0");
  // A forwarded graph input travels one microbatch (2 rows) at a time.
  expectPipelineError(
      R"({"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [2, 3]})",
      R"({"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [8, 3]})",
      "stages[0].args[3]: send 'x' is float32[8, 3] but the recv in stage 1 "
      "is float32[2, 3]");
  {
    std::string text = good;
    for (int i = 0; i < 2; ++i)
      text = replaced(text, R"("shape": [2, 3]})", R"("shape": [8, 3]})");
    expectError(text, "stages[0].args[3]: send 'x' is float32[8, 3] but a "
                      "microbatch of graph tensor 'x' is float32[2, 3]");
  }
  expectPipelineError(R"({"kind": "param", "name": "w1"},)",
                      R"({"kind": "param", "name": "w1"},
                         {"kind": "input", "name": "x"},)",
                      "stages[1].args[3]: input 'x' is read by stage 1, but "
                      "only stage 0 reads graph inputs");
  expectPipelineError(R"({"kind": "param", "name": "w0"},)",
                      R"({"kind": "param", "name": "w0"},
                         {"kind": "output", "name": "y"},)",
                      "stages[0].args[2]: output 'y' is written by stage 0, "
                      "but only the last stage (1) writes graph outputs");
  expectPipelineError(R"({"kind": "param", "name": "w1"})",
                      R"({"kind": "param", "name": "w0"})",
                      "stages[1].args[2]: param 'w0' is held by rank 0, but "
                      "stage 1 runs on rank 1");
  expectPipelineError(R"("id": 1, "rank": 1)", R"("id": 2, "rank": 1)",
                      "stages[1].id: stage id 2 out of range (stage ids are "
                      "0 to 1)");
  {
    // Both stages on rank 0 (device 0).
    std::string text = replaced(good, R"("id": 1, "rank": 1, "device": 1)",
                                R"("id": 1, "rank": 0, "device": 0)");
    text = replaced(
        text, R"("name": "w1", "dtype": "float32", "shape": [3], "rank": 1)",
        R"("name": "w1", "dtype": "float32", "shape": [3], "rank": 0)");
    expectError(text, "stages[1].rank: rank 0 already runs another stage "
                      "(one stage per rank)");
  }
  {
    std::string text = replaced(good, R"({"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [2, 3]}]},)",
                                R"({"kind": "send", "name": "x", "to": 1,
                        "dtype": "float32", "shape": [2, 3]},
                       {"kind": "send", "name": "h", "to": 1,
                        "dtype": "float32", "shape": [2, 5]}]},)");
    expectError(text, "stages[0].args[4]: send 'h' is listed twice in stage 0");
  }
}

/// A valid manifest with one GPU stage; the GPU tests replace one piece.
std::string validGpuManifest() {
  return R"({
  "format_version": 1,
  "inputs": [{"name": "x", "dtype": "float32", "shape": [2, 3]}],
  "outputs": [{"name": "y", "dtype": "float32", "shape": [2, 3]}],
  "devices": [{"rank": 0, "kind": "cuda", "index": 0}],
  "parameters": [{"name": "w", "dtype": "float32", "shape": [2, 3], "rank": 0,
                  "section": "params.rank0", "offset": 0, "size": 24}],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
    "entry": "gpu_program",
    "args": [{"kind": "input", "name": "x"}, {"kind": "param", "name": "w"},
             {"kind": "output", "name": "y"}],
    "gpu_program": {
      "kernels": ["k0", "k1"],
      "buffers": [{"kind": "arg", "index": 0}, {"kind": "arg", "index": 1},
                  {"kind": "arg", "index": 2}, {"kind": "temp", "size": 24},
                  {"kind": "constant", "section": "consts.rank0",
                   "offset": 64, "size": 4}],
      "launches": [
        {"kernel": "k0", "grid": [1, 2, 1], "block": [16, 16, 1],
         "args": [{"type": "ptr", "buffer": 0}, {"type": "ptr", "buffer": 1},
                  {"type": "ptr", "buffer": 3}, {"type": "i64", "value": -1},
                  {"type": "i32", "value": 4294967295},
                  {"type": "i16", "value": -2}, {"type": "i8", "value": 200},
                  {"type": "i1", "value": 1}]},
        {"kernel": "k1", "grid": [1, 1, 1], "block": [6, 1, 1],
         "args": [{"type": "ptr", "buffer": 3}, {"type": "ptr", "buffer": 4},
                  {"type": "f32", "bits": 3212836864},
                  {"type": "f64", "bits": 13830554455654793216},
                  {"type": "ptr", "buffer": 2}]}]}}],
  "sections": [
    {"name": "code.rank0", "kind": "cuda-fatbin", "offset": 4096, "size": 100,
     "crc32": 0},
    {"name": "consts.rank0", "kind": "constants", "offset": 8192, "size": 68,
     "crc32": 0},
    {"name": "params.rank0", "kind": "params", "offset": 12288, "size": 24,
     "crc32": 0}]
})";
}

TEST(ManifestGpuTest, ParsesTheProgram) {
  StatusOr<Manifest> parsed = parseManifest(validGpuManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  const StageDesc &stage = parsed->stages[0];
  ASSERT_TRUE(stage.gpuProgram);
  const GpuProgram &program = *stage.gpuProgram;
  EXPECT_EQ(program.kernels, (std::vector<std::string>{"k0", "k1"}));
  ASSERT_EQ(program.buffers.size(), 5u);
  EXPECT_EQ(program.buffers[2].kind, GpuBufferDesc::Kind::Arg);
  EXPECT_EQ(program.buffers[2].index, 2);
  EXPECT_EQ(program.buffers[3].kind, GpuBufferDesc::Kind::Temp);
  EXPECT_EQ(program.buffers[3].size, 24u);
  EXPECT_EQ(program.buffers[4].kind, GpuBufferDesc::Kind::Constant);
  EXPECT_EQ(program.buffers[4].section, "consts.rank0");
  EXPECT_EQ(program.buffers[4].offset, 64u);
  ASSERT_EQ(program.launches.size(), 2u);
  const GpuLaunch &first = program.launches[0];
  EXPECT_EQ(first.kernel, "k0");
  EXPECT_EQ(first.grid[1], 2u);
  EXPECT_EQ(first.block[0], 16u);
  ASSERT_EQ(first.args.size(), 8u);
  EXPECT_EQ(first.args[2].type, GpuKernelArg::Type::Ptr);
  EXPECT_EQ(first.args[2].buffer, 3);
  // Integers keep their two's complement bits in the type's width.
  EXPECT_EQ(first.args[3].type, GpuKernelArg::Type::I64);
  EXPECT_EQ(first.args[3].bits, ~uint64_t(0));
  EXPECT_EQ(first.args[4].bits, 0xFFFFFFFFu);
  EXPECT_EQ(first.args[5].bits, 0xFFFEu);
  EXPECT_EQ(first.args[6].bits, 200u);
  EXPECT_EQ(first.args[7].type, GpuKernelArg::Type::I1);
  EXPECT_EQ(first.args[7].bits, 1u);
  // Floats are exact bit patterns: -1.0f and -1.0.
  const GpuLaunch &second = program.launches[1];
  EXPECT_EQ(second.args[2].type, GpuKernelArg::Type::F32);
  EXPECT_EQ(second.args[2].bits, 0xBF800000u);
  EXPECT_EQ(second.args[3].type, GpuKernelArg::Type::F64);
  EXPECT_EQ(second.args[3].bits, 0xBFF0000000000000ull);
}

TEST(ManifestGpuTest, RocmStagesTakeHsaco) {
  std::string text = replaced(validGpuManifest(), R"("kind": "cuda")",
                              R"("kind": "rocm")");
  text = replaced(text, "cuda-fatbin", "rocm-hsaco");
  StatusOr<Manifest> parsed = parseManifest(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
}

// Each malformed gpu_program gets one error naming the stage's field.
TEST(ManifestGpuTest, RejectsMalformedPrograms) {
  const std::string p = "stages[0].gpu_program";
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {R"("entry": "gpu_program")", R"("entry": "main")",
       "stages[0].entry: a stage with a gpu_program has entry "
       "\"gpu_program\", got 'main'"},
      {R"("gpu_program": {)", R"("gpu_programme": {)",
       "stages[0].gpu_program: missing (entry \"gpu_program\" needs one)"},
      {R"("gpu_program": {)", R"("gpu_program": 3, "x": {)",
       p + ": expected object, got 3"},
      {R"("kernels": ["k0", "k1"],)", "", p + ".kernels: missing"},
      {R"("kernels": ["k0", "k1"])", R"("kernels": ["k0", 7])",
       p + ".kernels[1]: expected string, got 7"},
      {R"("kernels": ["k0", "k1"])", R"("kernels": ["k0", ""])",
       p + ".kernels[1]: must not be empty"},
      {R"("kernels": ["k0", "k1"])", R"("kernels": ["k0", "k1", "k0"])",
       p + ".kernels[2]: kernel 'k0' is listed twice"},
      {R"("buffers": [{"kind": "arg", "index": 0},)", R"("buffers": [7,)",
       p + ".buffers[0]: expected object, got 7"},
      {R"({"kind": "temp", "size": 24})", R"({"kind": "scratch", "size": 24})",
       p + ".buffers[3].kind: unknown buffer kind 'scratch' (expected arg, "
           "temp or constant)"},
      {R"({"kind": "temp", "size": 24})", R"({"kind": "temp"})",
       p + ".buffers[3].size: missing"},
      {R"({"kind": "temp", "size": 24})", R"({"kind": "temp", "size": -1})",
       p + ".buffers[3].size: expected an integer in [0, "
           "9223372036854775807], got -1"},
      {R"({"kind": "arg", "index": 2})", R"({"kind": "arg", "index": 3})",
       p + ".buffers[2].index: arg 3 does not exist (stage 0 on cuda:0 has 3 "
           "args)"},
      {R"({"kind": "arg", "index": 2})", R"({"kind": "arg", "index": 1})",
       p + ".buffers[2].index: arg 1 is already buffer 1"},
      {R"({"kind": "arg", "index": 2},)", R"({"kind": "temp", "size": 24},)",
       p + ".buffers: arg 2 (output 'y') has no buffer"},
      {R"("section": "consts.rank0",)", R"("section": "consts.rank9",)",
       p + ".buffers[4].section: no section named 'consts.rank9'"},
      {R"("section": "consts.rank0",)", R"("section": "params.rank0",)",
       p + ".buffers[4].section: section 'params.rank0' is params, expected "
           "constants"},
      {R"("offset": 64, "size": 4})", R"("offset": 64, "size": 5})",
       p + ".buffers[4]: bytes 64..69 lie outside section 'consts.rank0' (68 "
           "bytes)"},
      {R"("offset": 64, "size": 4})", R"("size": 4})",
       p + ".buffers[4].offset: missing"},
      {R"("launches": [)", R"("launches": 1, "l": [)",
       p + ".launches: expected array, got 1"},
      {R"({"kernel": "k1",)", R"({"kernel": "k2",)",
       p + ".launches[1].kernel: kernel 'k2' is not listed in kernels"},
      {R"({"kernel": "k1",)", R"({)", p + ".launches[1].kernel: missing"},
      {R"("grid": [1, 2, 1])", R"("grid": [1, 2])",
       p + ".launches[0].grid: expected 3 sizes (x, y, z), got 2"},
      {R"("grid": [1, 2, 1])", R"("grid": [1, 0, 1])",
       p + ".launches[0].grid[1]: expected an integer in [1, 2147483647], "
           "got 0"},
      {R"("block": [16, 16, 1])", R"("block": [16, 16, 1.5])",
       p + ".launches[0].block[2]: expected an integer in [1, 2147483647], "
           "got 1.5"},
      {R"("block": [16, 16, 1])", R"("blocks": [16, 16, 1])",
       p + ".launches[0].block: missing"},
      {R"("args": [{"type": "ptr", "buffer": 0},)", R"("args": [{"type": "ptr"},)",
       p + ".launches[0].args[0].buffer: missing"},
      {R"({"type": "ptr", "buffer": 3}, {"type": "i64")",
       R"({"type": "ptr", "buffer": 5}, {"type": "i64")",
       p + ".launches[0].args[2].buffer: buffer 5 does not exist (5 buffers)"},
      {R"({"type": "i64", "value": -1})", R"({"type": "u64", "value": 1})",
       p + ".launches[0].args[3].type: unknown argument type 'u64' (expected "
           "ptr, i64, i32, i16, i8, i1, f32 or f64)"},
      {R"({"type": "i64", "value": -1})", R"({"type": "i64", "value": 1.5})",
       p + ".launches[0].args[3].value: expected a 64-bit integer, got 1.5"},
      {R"({"type": "i64", "value": -1})", R"({"type": "i64"})",
       p + ".launches[0].args[3].value: missing"},
      {R"({"type": "i8", "value": 200})", R"({"type": "i8", "value": 256})",
       p + ".launches[0].args[6].value: expected an integer in [-128, 255], "
           "got 256"},
      {R"({"type": "i1", "value": 1})", R"({"type": "i1", "value": 2})",
       p + ".launches[0].args[7].value: expected an integer in [0, 1], got 2"},
      {R"({"type": "f32", "bits": 3212836864})",
       R"({"type": "f32", "bits": 4294967296})",
       p + ".launches[1].args[2].bits: expected the 32-bit pattern as an "
           "integer in [0, 4294967295], got 4294967296"},
      {R"({"type": "f32", "bits": 3212836864})",
       R"({"type": "f32", "value": -1.0})",
       p + ".launches[1].args[2].bits: missing"},
      {R"({"type": "f64", "bits": 13830554455654793216})",
       R"({"type": "f64", "bits": -1})",
       p + ".launches[1].args[3].bits: expected the 64-bit pattern as an "
           "integer in [0, 18446744073709551615], got -1"},
      {"cuda-fatbin", "rocm-hsaco",
       "stages[0].code: stage 0 on cuda:0: section 'code.rank0' is "
       "rocm-hsaco, expected cuda-fatbin"},
      {R"("kind": "cuda")", R"("kind": "cpu")",
       p + ": stage 0 on cpu:0: only cuda and rocm stages have a gpu_program"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.to);
    expectError(replaced(validGpuManifest(), c.from, c.to), c.message);
  }
}

// A step that is a collective: an all-reduce of the temporary between the two
// kernels.
std::string collectiveGpuManifest(const std::string &fields) {
  return replaced(validGpuManifest(), R"({"kernel": "k1",)",
                  R"({"collective": )" + fields + R"(}, {"kernel": "k1",)");
}

TEST(ManifestGpuTest, ParsesCollectives) {
  StatusOr<Manifest> parsed = parseManifest(collectiveGpuManifest(
      R"("all_gather", "in": 3, "out": 4, "count": 6, "dtype": 12)"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  const GpuProgram &program = *parsed->stages[0].gpuProgram;
  ASSERT_EQ(program.launches.size(), 3u);
  const GpuLaunch &step = program.launches[1];
  EXPECT_EQ(step.kind, GpuLaunch::Kind::AllGather);
  EXPECT_EQ(step.in, 3);
  EXPECT_EQ(step.out, 4);
  EXPECT_EQ(step.count, 6u);
  EXPECT_EQ(step.dtype, DType::BFloat16);
  EXPECT_EQ(program.launches[2].kind, GpuLaunch::Kind::Kernel);
}

TEST(ManifestGpuTest, RejectsMalformedCollectives) {
  const std::string p = "stages[0].gpu_program.launches[1]";
  struct Case {
    std::string fields, message;
  };
  const Case cases[] = {
      {R"("broadcast", "in": 3, "out": 3, "count": 6, "dtype": 0)",
       p + ".collective: unknown collective 'broadcast' (expected "
           "all_reduce_sum or all_gather)"},
      {R"(3, "in": 3, "out": 3, "count": 6, "dtype": 0)",
       p + ".collective: expected string, got 3"},
      {R"("all_reduce_sum", "in": 9, "out": 3, "count": 6, "dtype": 0)",
       p + ".in: buffer 9 does not exist (5 buffers)"},
      {R"("all_reduce_sum", "in": 3, "count": 6, "dtype": 0)", p + ".out: missing"},
      {R"("all_reduce_sum", "in": 3, "out": 3, "dtype": 0)", p + ".count: missing"},
      {R"("all_reduce_sum", "in": 3, "out": 3, "count": 6, "dtype": 13)",
       p + ".dtype: expected an integer in [0, 12], got 13"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.fields);
    expectError(collectiveGpuManifest(c.fields), c.message);
  }
}

// A stage on a GPU without a gpu_program (host code on a GPU) is refused.
TEST(ManifestGpuTest, GpuStageNeedsAProgram) {
  expectError(replaced(validManifest(), R"("kind": "cpu")", R"("kind": "cuda")"),
              "stages[0].entry: stage 0 on cuda:0 runs GPU code: expected "
              "entry \"gpu_program\" and a gpu_program, got entry "
              "'cleave_stage_0'");
}

} // namespace
} // namespace cleave

namespace cleave {
namespace {

/// validManifest() with a variant for batch `batch` whose input has dim 0
/// `dim0` and whose stage runs code section `code`.
std::string variantManifest(int batch = 2, int dim0 = 2,
                            const std::string &code = "code.rank0.b2") {
  std::string variant =
      R"("variants": [{"batch": )" + std::to_string(batch) +
      R"(, "inputs": [{"name": "x", "dtype": "float32", "shape": [)" +
      std::to_string(dim0) + R"(, 3]}],
    "outputs": [{"name": "y", "dtype": "int64", "shape": []}],
    "stages": [{"id": 0, "rank": 0, "device": 0, "code": ")" +
      code + R"(", "entry": "cleave_stage_0",
                "args": [{"kind": "input", "name": "x"},
                         {"kind": "param", "name": "w"},
                         {"kind": "output", "name": "y"}]}]}],
  "sections": [
    {"name": "code.rank0.b2", "kind": "cpu-elf-so", "offset": 12288,
     "size": 10, "crc32": 0},)";
  return replaced(validManifest(), R"("sections": [)", variant);
}

TEST(ManifestVariantTest, ParsesBatchVariants) {
  StatusOr<Manifest> parsed = parseManifest(variantManifest());
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  ASSERT_EQ(parsed->variants.size(), 1u);
  const PlanVariant &variant = parsed->variants[0];
  EXPECT_EQ(variant.batch, 2);
  EXPECT_EQ(variant.inputs[0].shape, (Shape{2, 3}));
  ASSERT_EQ(variant.stages.size(), 1u);
  EXPECT_EQ(variant.stages[0].code, "code.rank0.b2");
  // The main plan is untouched.
  EXPECT_EQ(parsed->stages[0].code, "code.rank0");
  EXPECT_EQ(parsed->inputs[0].shape, (Shape{1, 3}));
}

TEST(ManifestVariantTest, VariantErrorsNameTheVariant) {
  expectError(variantManifest(2, 2, "code.rank0.b9"),
              "variants[0].stages[0].code: no section named 'code.rank0.b9'");
  expectError(variantManifest(3, 2),
              "variants[0].inputs[0]: dim 0 must be the variant's batch 3");
  expectError(variantManifest(1, 1),
              "variants[0].batch: batch 1 has another plan already");
  expectError(replaced(variantManifest(), R"("batch": 2)", R"("batch": 0)"),
              "variants[0].batch: expected an integer in [1, 1099511627776], "
              "got 0");
}

/// A --generate manifest: ids, mask, one cache tensor of capacity 2 (heads 1,
/// head_dim 3), logits over 4 tokens.
std::string generationManifest(const std::string &generation) {
  return R"({
  "format_version": 1, "compiler_version": "0.1.0",
  "inputs": [{"name": "ids", "dtype": "int64", "shape": [1, 1]},
             {"name": "mask", "dtype": "int64", "shape": [1, 3]},
             {"name": "past", "dtype": "float32", "shape": [1, 1, 2, 3]}],
  "outputs": [{"name": "logits", "dtype": "float32", "shape": [1, 1, 4]},
              {"name": "present", "dtype": "float32", "shape": [1, 1, 1, 3]}],
  "devices": [{"rank": 0, "kind": "cpu", "index": 0}],
  "parameters": [],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
              "entry": "cleave_stage_0",
              "args": [{"kind": "input", "name": "ids"},
                       {"kind": "input", "name": "mask"},
                       {"kind": "input", "name": "past"},
                       {"kind": "output", "name": "logits"},
                       {"kind": "output", "name": "present"}]}],
  "sections": [
    {"name": "code.rank0", "kind": "cpu-elf-so", "offset": 4096, "size": 10,
     "crc32": 0}],
  "generation": )" + generation + "}";
}

const char kGeneration[] =
    R"({"max_seq_len": 2, "input_ids": "ids", "attention_mask": "mask",
        "position_ids": "", "logits": "logits",
        "cache": [{"past": "past", "present": "present"}]})";

TEST(ManifestGenerationTest, ParsesTheContract) {
  StatusOr<Manifest> parsed = parseManifest(generationManifest(kGeneration));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  ASSERT_TRUE(parsed->generation.has_value());
  const GenerationDesc &g = *parsed->generation;
  EXPECT_EQ(g.maxSeqLen, 2);
  EXPECT_EQ(g.inputIds, "ids");
  EXPECT_EQ(g.attentionMask, "mask");
  EXPECT_EQ(g.positionIds, "");
  EXPECT_EQ(g.logits, "logits");
  ASSERT_EQ(g.cache.size(), 1u);
  EXPECT_EQ(g.cache[0].past, "past");
  EXPECT_EQ(g.cache[0].present, "present");
  EXPECT_FALSE(g.cache[0].transposed);
  EXPECT_FALSE(parseManifest(validManifest())->generation.has_value());
}

TEST(ManifestGenerationTest, ErrorsNameTheField) {
  std::string g = kGeneration;
  expectError(generationManifest(replaced(g, R"("input_ids": "ids")",
                                          R"("input_ids": "past")")),
              "generation.input_ids: 'past' is not an int64 input of the plan");
  expectError(generationManifest(replaced(g, R"("attention_mask": "mask")",
                                          R"("attention_mask": "nope")")),
              "generation.attention_mask: 'nope' is not an int64 input of the "
              "plan");
  expectError(generationManifest(replaced(g, R"("logits": "logits")",
                                          R"("logits": "present")")),
              "generation.logits: 'present' is not a float32 [batch, 1, vocab] "
              "output of the plan");
  expectError(generationManifest(replaced(g, R"("max_seq_len": 2)",
                                          R"("max_seq_len": 3)")),
              "generation.cache[0].past: 'past' is not an input [batch, "
              "heads, max_seq_len, head_dim]");
  expectError(
      generationManifest(replaced(g, R"("present": "present")",
                                  R"("present": "logits")")),
      "generation.cache[0].present: 'logits' is not an output [batch, heads, "
      "1, head_dim] of its past's type");
  // Stored transposed, the past would be [1, 1, 3, 2].
  expectError(generationManifest(replaced(g, R"("present": "present")",
                                          R"("present": "present",
                                             "transposed": true)")),
              "generation.cache[0].past: 'past' is not an input [batch, "
              "heads, head_dim, max_seq_len]");
  expectError(generationManifest(replaced(g, R"("present": "present")",
                                          R"("present": "present",
                                             "transposed": 1)")),
              "generation.cache[0].transposed: expected true or false, got 1");
  expectError(generationManifest(replaced(g, R"("max_seq_len": 2)",
                                          R"("max_seq_len": 0)")),
              "generation.max_seq_len: expected an integer in [1, "
              "1073741824], got 0");
}

/// A two-stage plan compiled for generation: stage 1 holds the cache (reads
/// `past`, writes `present`) and writes the logits; `stage0` is stage 0's
/// extra args and `generation` the generation object (or none).
std::string twoStageGeneration(const std::string &stage0, bool generation = true) {
  return R"({
  "format_version": 1, "compiler_version": "0.1.0",
  "inputs": [{"name": "ids", "dtype": "int64", "shape": [1, 1]},
             {"name": "mask", "dtype": "int64", "shape": [1, 3]},
             {"name": "past", "dtype": "float32", "shape": [1, 1, 2, 3]}],
  "outputs": [{"name": "logits", "dtype": "float32", "shape": [1, 1, 4]},
              {"name": "present", "dtype": "float32", "shape": [1, 1, 1, 3]}],
  "devices": [{"rank": 0, "kind": "cpu", "index": 0},
              {"rank": 1, "kind": "cpu", "index": 1}],
  "parameters": [],
  "stages": [{"id": 0, "rank": 0, "device": 0, "code": "code.rank0",
              "entry": "cleave_stage_0",
              "args": [{"kind": "input", "name": "ids"},
                       {"kind": "input", "name": "mask"}, )" +
         stage0 + R"(
                       {"kind": "send", "name": "h", "to": 1,
                        "dtype": "float32", "shape": [1, 1, 3]}]},
             {"id": 1, "rank": 1, "device": 1, "code": "code.rank1",
              "entry": "cleave_stage_1",
              "args": [{"kind": "recv", "name": "h", "from": 0,
                        "dtype": "float32", "shape": [1, 1, 3]},
                       {"kind": "input", "name": "mask"},
                       {"kind": "input", "name": "past"},
                       {"kind": "output", "name": "logits"},
                       {"kind": "output", "name": "present"}]}],
  "sections": [
    {"name": "code.rank0", "kind": "cpu-elf-so", "offset": 4096, "size": 10,
     "crc32": 0},
    {"name": "code.rank1", "kind": "cpu-elf-so", "offset": 8192, "size": 10,
     "crc32": 0}])" +
         (generation ? std::string(R"(, "generation": )") + kGeneration : "") + "}";
}

TEST(ManifestGenerationTest, PipelineStagesHoldTheirOwnCaches) {
  StatusOr<Manifest> parsed = parseManifest(twoStageGeneration(""));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(parsed->stages.size(), 2u);
  // Without the generation object, the usual pipeline rules hold.
  expectError(twoStageGeneration("", false),
              "stages[1].args[1]: input 'mask' is read by stage 1, but only "
              "stage 0 reads graph inputs");
  // Each output has one writer.
  expectError(twoStageGeneration(R"({"kind": "output", "name": "present"},)"),
              "outputs[1]: output 'present' is written by 2 stages (a plan "
              "compiled for generation writes each output in one stage)");
}

/// validManifest() with a top-level "tuning" of `tuning`.
std::string tuningManifest(const std::string &tuning) {
  std::string text = validManifest();
  return text.substr(0, text.rfind('}')) + R"(, "tuning": )" + tuning + "}";
}

const char *kTuning = R"({"version": 1, "ranks": 2, "chosen": 1, "candidates": [
  {"pp": 1, "tp": 2, "microbatches": 1, "predicted_ms": 1.5, "measured_ms": 2.0,
   "status": "ok"},
  {"pp": 2, "tp": 1, "microbatches": 4, "predicted_ms": 1.7, "measured_ms": 1.25,
   "status": "ok"},
  {"pp": 2, "tp": 1, "microbatches": 2, "predicted_ms": 1.9,
   "status": "skipped: run took over 120 s"}]})";

TEST(ManifestTuningTest, ParsesTheReport) {
  StatusOr<Manifest> parsed = parseManifest(tuningManifest(kTuning));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  ASSERT_TRUE(parsed->tuning.has_value());
  const TuningReport &t = *parsed->tuning;
  EXPECT_EQ(t.ranks, 2);
  EXPECT_EQ(t.chosen, 1);
  ASSERT_EQ(t.candidates.size(), 3u);
  EXPECT_EQ(t.candidates[1].microbatches, 4);
  EXPECT_DOUBLE_EQ(t.candidates[1].measuredMs, 1.25);
  EXPECT_LT(t.candidates[2].measuredMs, 0);
  EXPECT_EQ(t.candidates[2].status, "skipped: run took over 120 s");
  EXPECT_FALSE(parseManifest(validManifest())->tuning.has_value());
}

TEST(ManifestTuningTest, ErrorsNameTheField) {
  std::string t = kTuning;
  expectError(tuningManifest(replaced(t, R"("version": 1)", R"("version": 2)")),
              "tuning.version: unsupported tuning report version 2 (this runtime reads 1)");
  expectError(tuningManifest(replaced(t, R"("chosen": 1)", R"("chosen": 3)")),
              "tuning.chosen: expected an integer in [0, 2], got 3");
  expectError(tuningManifest(replaced(t, R"("status": "ok")", R"("status": 0)")),
              "tuning.candidates[0].status: expected string, got 0");
  expectError(tuningManifest("[]"), "tuning: expected object, got []");
}

} // namespace
} // namespace cleave
