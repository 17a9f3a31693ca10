//===- process_session_test.cc - openProcessSession outside mpirun -------===//
//
// The distributed path needs a real mpirun: runtime/tests/c_api_test.sh runs
// it through the C API, test/python/ through the Python package.

#include "core/process_session.h"

#include "core/test_artifact_writer.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace cleave {
namespace {

/// Writes `model`'s artifact to a fresh directory and returns its path.
std::string writeModel(const testing::TestModel &model, const char *name) {
  StatusOr<testing::AssembledArtifact> built = testing::buildArtifact(model);
  EXPECT_TRUE(built.ok()) << built.status().toString();
  std::string path = testing::makeTempDir() + "/" + name;
  if (built.ok())
    testing::writeBytes(path, built->bytes);
  return path;
}

class ProcessSessionTest : public ::testing::Test {
protected:
  // The tests describe a process that mpirun did not start.
  void SetUp() override {
    for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
      ASSERT_EQ(std::getenv(name), nullptr) << name << " is set";
  }
};

TEST_F(ProcessSessionTest, OpensASingleRankPlanLocally) {
  std::string path = writeModel(testing::addModel(), "add.cleave");
  StatusOr<ProcessSession> opened =
      openProcessSession(path, ProcessSessionOptions{2, true});
  ASSERT_TRUE(opened.ok()) << opened.status().toString();
  EXPECT_EQ(opened->transport, nullptr);
  ASSERT_NE(opened->session, nullptr);
  EXPECT_EQ(opened->session->threads(), 2);
  EXPECT_TRUE(opened->session->takesInputs());
  EXPECT_TRUE(opened->session->returnsOutputs());
}

TEST_F(ProcessSessionTest, RefusesDistributedPlansOutsideMpirun) {
  std::string path = writeModel(testing::chainModel(2, 1), "chain.cleave");
  StatusOr<ProcessSession> opened =
      openProcessSession(path, ProcessSessionOptions{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(opened.status().message(),
            "artifact '" + path +
                "': the plan needs 2 ranks: run the program as mpirun -np 2 "
                "...");
  opened = openProcessSession(path, ProcessSessionOptions{0, false});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(),
            "artifact '" + path +
                "': the plan needs 2 ranks and MPI is off in the session "
                "options");
}

TEST_F(ProcessSessionTest, ReportsTheArtifactsOwnErrors) {
  StatusOr<ProcessSession> opened = openProcessSession(
      testing::makeTempDir() + "/missing.cleave", ProcessSessionOptions{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::NotFound);
  // Without MPI there is no process transport to release; this is a no-op.
  releaseProcessTransport();
}

} // namespace
} // namespace cleave
