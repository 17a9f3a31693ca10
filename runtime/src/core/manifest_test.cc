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
              "estimate": {"flops": 3.6e9, "bytes": 100}}],
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
               R"({"kind": "recv", "name": "act0"})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().toString();
  EXPECT_EQ(parsed->stages[0].args[1].kind, StageArg::Kind::Other);
  EXPECT_EQ(parsed->stages[0].args[1].kindName, "recv");
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
      "float32, float16, float64, int64, int32, int16, int8, uint64, uint32, "
      "uint16, uint8, bool, bfloat16)");
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

} // namespace
} // namespace cleave
