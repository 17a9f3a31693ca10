//===- artifact_test.cc - Tests for opening and validating artifacts ------===//

#include "cleave/runtime.h"

#include "core/test_artifact_writer.h"

#include <gtest/gtest.h>

namespace cleave {
namespace {
using testing::AssembledArtifact;

class ArtifactTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::makeTempDir());
    StatusOr<AssembledArtifact> built =
        testing::buildArtifact(testing::addModel());
    ASSERT_TRUE(built.ok()) << built.status().toString();
    good_ = new AssembledArtifact(std::move(built).value());
  }
  static void TearDownTestSuite() {
    delete good_;
    delete dir_;
  }

  /// Writes `bytes` under a fresh name and opens it.
  StatusOr<std::unique_ptr<Artifact>>
  openBytes(const std::vector<uint8_t> &bytes) {
    path_ = *dir_ + "/a" + std::to_string(counter_++) + ".cleave";
    testing::writeBytes(path_, bytes);
    return Artifact::open(path_);
  }

  /// Expects opening `bytes` to fail with `code` and exactly `message` after
  /// the "artifact '<path>': " prefix.
  void expectError(const std::vector<uint8_t> &bytes, StatusCode code,
                   const std::string &message) {
    StatusOr<std::unique_ptr<Artifact>> artifact = openBytes(bytes);
    ASSERT_FALSE(artifact.ok());
    EXPECT_EQ(artifact.status().code(), code) << artifact.status().toString();
    EXPECT_EQ(artifact.status().message(),
              "artifact '" + path_ + "': " + message);
  }

  /// Expects the message after the prefix to start with `start`.
  void expectErrorStart(const std::vector<uint8_t> &bytes,
                        const std::string &start) {
    StatusOr<std::unique_ptr<Artifact>> artifact = openBytes(bytes);
    ASSERT_FALSE(artifact.ok());
    std::string prefix = "artifact '" + path_ + "': ";
    EXPECT_EQ(
        artifact.status().message().substr(0, prefix.size() + start.size()),
        prefix + start)
        << artifact.status().message();
  }

  static std::vector<uint8_t> flipped(std::vector<uint8_t> bytes, uint64_t at) {
    bytes.at(at) ^= 0x40;
    return bytes;
  }

  static std::string *dir_;
  static AssembledArtifact *good_;
  static int counter_;
  std::string path_;
};

std::string *ArtifactTest::dir_ = nullptr;
AssembledArtifact *ArtifactTest::good_ = nullptr;
int ArtifactTest::counter_ = 0;

TEST_F(ArtifactTest, OpensValidArtifact) {
  StatusOr<std::unique_ptr<Artifact>> opened = openBytes(good_->bytes);
  ASSERT_TRUE(opened.ok()) << opened.status().toString();
  const Artifact &artifact = **opened;
  EXPECT_EQ(artifact.path(), path_);
  EXPECT_EQ(artifact.provenance().formatVersion, 1u);
  EXPECT_EQ(artifact.provenance().compilerVersion, artifact::compilerVersion());
  EXPECT_EQ(artifact.provenance().source.path, "test.onnx");
  EXPECT_EQ(artifact.provenance().source.opset, 17);
  ASSERT_EQ(artifact.inputs().size(), 1u);
  EXPECT_EQ(artifact.inputs()[0].toString(), "x: float32[2, 3]");
  ASSERT_EQ(artifact.outputs().size(), 1u);
  EXPECT_EQ(artifact.outputs()[0].name, "y");
  ASSERT_EQ(artifact.devices().size(), 1u);
  EXPECT_EQ(artifact.devices()[0].kind, "cpu");
  ASSERT_EQ(artifact.stages().size(), 1u);
  EXPECT_EQ(artifact.stages()[0].entry, "cleave_stage_0");
  ASSERT_EQ(artifact.stages()[0].args.size(), 3u);
  EXPECT_EQ(artifact.stages()[0].args[1].kind, StageArg::Kind::Param);
  EXPECT_EQ(artifact.sections().size(), 2u);
  EXPECT_EQ(artifact.totalParameterBytes(), 24u);

  const ParameterDesc *w = artifact.findParameter("w");
  ASSERT_NE(w, nullptr);
  const auto *data = static_cast<const float *>(artifact.parameterData(*w));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  EXPECT_EQ(data[0], 0.5f);
  EXPECT_EQ(data[5], 5.5f);
  EXPECT_EQ(artifact.findParameter("nope"), nullptr);
  EXPECT_EQ(artifact.findSection("nope"), nullptr);
  EXPECT_EQ(artifact.manifestText().front(), '{');
}

TEST_F(ArtifactTest, DescribeSummarisesEverything) {
  StatusOr<std::unique_ptr<Artifact>> opened = openBytes(good_->bytes);
  ASSERT_TRUE(opened.ok());
  std::string text = (*opened)->describe();
  for (const std::string &expected :
       std::vector<std::string>{"format:      version 1, compiler " +
            std::string(artifact::compilerVersion()),
        "source:      test.onnx (opset 17), produced by cleave tests",
        "options:     devices=cpu:0 pp=1 tp=1 microbatches=1 cpu=x86-64 "
        "cuda_arch=sm_90 rocm_arch=gfx942 input_shapes=[]",
        "  x: float32[2, 3]", "  y: float32[2, 3]", "  rank 0: cpu:0",
        "parameters:  1, 24 B (24 bytes)",
        "  stage 0: rank 0, device 0, entry cleave_stage_0 in code.rank0; 1 "
        "input, 1 param, 1 output; estimate 6 FLOP, 72 B",
        "  params.rank0 (params): offset "})
    EXPECT_NE(text.find(expected), std::string::npos)
        << "missing '" << expected << "' in:\n"
        << text;
}

TEST_F(ArtifactTest, MissingFile) {
  std::string path = *dir_ + "/does-not-exist.cleave";
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
  ASSERT_FALSE(artifact.ok());
  EXPECT_EQ(artifact.status().code(), StatusCode::NotFound);
  EXPECT_EQ(artifact.status().message(),
            "artifact '" + path + "': cannot open: No such file or directory");
}

TEST_F(ArtifactTest, DirectoryIsNotAnArtifact) {
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(*dir_);
  ASSERT_FALSE(artifact.ok());
  EXPECT_NE(artifact.status().message().find("not a regular file"),
            std::string::npos);
}

TEST_F(ArtifactTest, EmptyFile) {
  expectError({}, StatusCode::DataLoss, "file is empty");
}

TEST_F(ArtifactTest, BadMagic) {
  expectError(flipped(good_->bytes, 2), StatusCode::InvalidArgument,
              "not a Cleave artifact (bad magic bytes in the header)");
  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r'};
  expectError(text, StatusCode::InvalidArgument,
              "not a Cleave artifact (bad magic bytes in the header)");
}

TEST_F(ArtifactTest, WrongVersion) {
  AssembledArtifact v2 = *good_;
  testing::setHeaderVersion(&v2, 2);
  expectError(v2.bytes, StatusCode::FailedPrecondition,
              "header format version 2 is not supported (this runtime reads version "
              "1); recompile the model with a matching cleave-compile");
}

TEST_F(ArtifactTest, HeaderChecksum) {
  expectError(flipped(good_->bytes, 20), StatusCode::DataLoss,
              "header checksum mismatch (file damaged?)");
  expectError(flipped(good_->bytes, 36), StatusCode::DataLoss,
              "header checksum mismatch (file damaged?)");
}

TEST_F(ArtifactTest, ManifestChecksum) {
  expectError(flipped(good_->bytes, good_->manifestOffset + 10),
              StatusCode::DataLoss,
              "manifest checksum mismatch (file damaged?)");
}

TEST_F(ArtifactTest, CodeSectionChecksum) {
  auto [offset, size] = good_->sections.at("code.rank0");
  expectError(flipped(good_->bytes, offset + size / 2), StatusCode::DataLoss,
              "section 'code.rank0' checksum mismatch (file damaged?)");
}

TEST_F(ArtifactTest, ParamsSectionChecksum) {
  auto [offset, size] = good_->sections.at("params.rank0");
  expectError(flipped(good_->bytes, offset + size - 1), StatusCode::DataLoss,
              "section 'params.rank0' checksum mismatch (file damaged?)");
}

TEST_F(ArtifactTest, TruncatedFiles) {
  std::vector<uint8_t> bytes = good_->bytes;
  bytes.resize(bytes.size() - 1);
  auto [offset, size] = good_->sections.at("params.rank0");
  expectError(bytes, StatusCode::DataLoss,
              "section 'params.rank0' (offset " + std::to_string(offset) +
                  ", " + std::to_string(size) +
                  " bytes) lies outside the file (" +
                  std::to_string(bytes.size()) + " bytes; truncated?)");
  bytes.resize(good_->manifestOffset + good_->manifestSize - 1);
  expectErrorStart(bytes, "manifest (offset 64, ");
  bytes.resize(30);
  expectError(bytes, StatusCode::DataLoss, "truncated header (30 of 64 bytes)");
}

TEST_F(ArtifactTest, InvalidManifestJson) {
  AssembledArtifact broken = testing::assembleArtifact("\"a\":", {});
  expectErrorStart(broken.bytes, "manifest: invalid JSON at line 1");
}

TEST_F(ArtifactTest, ManifestSchemaErrorsNameTheField) {
  AssembledArtifact bad = *good_;
  testing::patchManifest(&bad, "\"float32\"", "\"float128\"");
  expectErrorStart(bad.bytes,
                   "manifest: inputs[0].dtype: unknown dtype 'float128'");
}

TEST_F(ArtifactTest, ManifestVersionMustMatchHeader) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"format_version\": 1",
                         "\"format_version\": 3");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "manifest format_version 3 differs from the header's 1");
}

TEST_F(ArtifactTest, MisalignedParameter) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"offset\": 0,", "\"offset\": 4,");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "parameter 'w' offset 4 is not 64-byte aligned");
}

TEST_F(ArtifactTest, ParameterOutsideItsSection) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"offset\": 0,", "\"offset\": 64,");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "parameter 'w' (offset 64, 24 bytes) lies outside section "
              "'params.rank0' (24 bytes)");
}

TEST_F(ArtifactTest, MisalignedSection) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"offset\": 4096", "\"offset\": 4100");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "section 'code.rank0' offset 4100 is not 4096-byte aligned");
}

TEST_F(ArtifactTest, SectionOverlappingManifest) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"offset\": 4096", "\"offset\": 0");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "section 'code.rank0' overlaps the header or manifest");
}

TEST_F(ArtifactTest, HeaderPaddingMustBeZero) {
  expectError(flipped(good_->bytes, 50), StatusCode::DataLoss,
              "header byte 50 is not zero (file damaged?)");
}

TEST_F(ArtifactTest, SectionPaddingMustBeZero) {
  // The byte just before the code section lies in the padding after the
  // manifest, which no checksum covers.
  auto [offset, size] = good_->sections.at("code.rank0");
  expectError(flipped(good_->bytes, offset - 1), StatusCode::DataLoss,
              "section 'code.rank0' is preceded by padding that is not zero "
              "at byte " +
                  std::to_string(offset - 1) + " (file damaged?)");
}

TEST_F(ArtifactTest, BytesAfterTheLastSection) {
  std::vector<uint8_t> bytes = good_->bytes;
  bytes.push_back(0);
  bytes.push_back(0);
  expectError(bytes, StatusCode::DataLoss,
              "2 bytes follow the end of section 'params.rank0', where the "
              "file should end (file damaged?)");
}

TEST_F(ArtifactTest, OverlappingSections) {
  auto [codeOffset, codeSize] = good_->sections.at("code.rank0");
  auto [paramsOffset, paramsSize] = good_->sections.at("params.rank0");
  ASSERT_GT(paramsOffset, codeOffset);
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"offset\": " + std::to_string(paramsOffset),
                         "\"offset\": " + std::to_string(codeOffset));
  expectError(bytes.bytes, StatusCode::DataLoss,
              "section 'params.rank0' overlaps section 'code.rank0'");
}

TEST_F(ArtifactTest, ParameterInCodeSection) {
  AssembledArtifact bytes = *good_;
  testing::patchManifest(&bytes, "\"section\": \"params.rank0\"",
                         "\"section\": \"code.rank0\"");
  expectError(bytes.bytes, StatusCode::DataLoss,
              "parameter 'w' lies in section 'code.rank0' of kind "
              "'cpu-elf-so', expected 'params'");
}

TEST_F(ArtifactTest, RankChecksumsOnlyItsOwnSections) {
  StatusOr<AssembledArtifact> built =
      testing::buildArtifact(testing::chainModel(3, 1));
  ASSERT_TRUE(built.ok()) << built.status().toString();
  // Rank 1 has code.rank1 and no parameters; rank 2 has params.rank2.
  std::vector<uint8_t> bytes =
      flipped(built->bytes, built->sections.at("code.rank1").first + 10);
  bytes = flipped(bytes, built->sections.at("params.rank2").first);
  std::string path = *dir_ + "/ranks.cleave";
  testing::writeBytes(path, bytes);
  std::string prefix = "artifact '" + path + "': ";

  StatusOr<std::unique_ptr<Artifact>> rank0 = Artifact::open(path, 0);
  ASSERT_TRUE(rank0.ok()) << rank0.status().toString();
  EXPECT_EQ((*rank0)->checkedRank(), 0);
  StatusOr<std::unique_ptr<Artifact>> rank1 = Artifact::open(path, 1);
  ASSERT_FALSE(rank1.ok());
  EXPECT_EQ(rank1.status().message(),
            prefix + "section 'code.rank1' checksum mismatch (file damaged?)");
  StatusOr<std::unique_ptr<Artifact>> rank2 = Artifact::open(path, 2);
  ASSERT_FALSE(rank2.ok());
  EXPECT_EQ(rank2.status().message(),
            prefix +
                "section 'params.rank2' checksum mismatch (file damaged?)");
  StatusOr<std::unique_ptr<Artifact>> all = Artifact::open(path);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().message(),
            prefix + "section 'code.rank1' checksum mismatch (file damaged?)");
}

} // namespace
} // namespace cleave
