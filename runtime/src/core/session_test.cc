//===- session_test.cc - Tests for loading and running artifacts ----------===//

#include "cleave/runtime.h"

#include "comm/local_transport.h"
#include "core/test_artifact_writer.h"

#include <thread>

#include <dlfcn.h>

#include <gtest/gtest.h>

namespace cleave {
namespace {
using testing::AssembledArtifact;
using testing::TestModel;

class SessionTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::makeTempDir());
  }
  static void TearDownTestSuite() { delete dir_; }

  /// Writes `bytes` and opens them as an artifact.
  std::shared_ptr<const Artifact> open(const std::vector<uint8_t> &bytes) {
    std::string path = *dir_ + "/s" + std::to_string(counter_++) + ".cleave";
    testing::writeBytes(path, bytes);
    StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
    EXPECT_TRUE(artifact.ok()) << artifact.status().toString();
    return artifact.ok() ? std::move(artifact).value() : nullptr;
  }

  std::shared_ptr<const Artifact> build(const TestModel &model) {
    StatusOr<AssembledArtifact> built = testing::buildArtifact(model);
    EXPECT_TRUE(built.ok()) << built.status().toString();
    return built.ok() ? open(built->bytes) : nullptr;
  }

  static Tensor floats(Shape shape, std::vector<float> values) {
    StatusOr<Tensor> tensor = Tensor::fromBytes(
        DType::Float32, std::move(shape), values.data(), values.size() * 4);
    EXPECT_TRUE(tensor.ok());
    return std::move(tensor).value();
  }

  static std::string *dir_;
  static int counter_;
};
std::string *SessionTest::dir_ = nullptr;
int SessionTest::counter_ = 0;

std::vector<Tensor> inputsOf(Tensor tensor) {
  std::vector<Tensor> inputs;
  inputs.push_back(std::move(tensor));
  return inputs;
}

TEST_F(SessionTest, RunsAddModel) {
  std::shared_ptr<const Artifact> artifact = build(testing::addModel());
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(artifact, SessionOptions{2});
  ASSERT_TRUE(session.ok()) << session.status().toString();
  EXPECT_EQ((*session)->threads(), 2);
  EXPECT_EQ(&(*session)->artifact(), artifact.get());

  std::vector<Tensor> inputs = inputsOf(floats({2, 3}, {1, 2, 3, 4, 5, 6}));
  for (int run = 0; run < 2; ++run) {
    std::vector<Tensor> outputs;
    Status status = (*session)->run(inputs, &outputs);
    ASSERT_TRUE(status.ok()) << status.toString();
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].dtype(), DType::Float32);
    EXPECT_EQ(outputs[0].shape(), (Shape{2, 3}));
    const float expected[] = {1.5f, 3.5f, 5.5f, 7.5f, 9.5f, 11.5f};
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(outputs[0].dataAs<float>()[i], expected[i]) << i;
  }
  EXPECT_EQ(inputs[0].dataAs<float>()[0], 1.0f);
}

TEST_F(SessionTest, DefaultThreadsAreTheAvailableCores) {
  std::shared_ptr<const Artifact> artifact = build(testing::addModel());
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)->threads(), availableCores());
  EXPECT_GE(availableCores(), 1);
  EXPECT_FALSE(Session::create(artifact, SessionOptions{-1}).ok());
  EXPECT_FALSE(Session::create(nullptr).ok());
}

TEST_F(SessionTest, ValidatesInputs) {
  std::shared_ptr<const Artifact> artifact = build(testing::addModel());
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_TRUE(session.ok());
  std::vector<Tensor> outputs;
  auto expectError = [&](const std::vector<Tensor> &inputs,
                         const std::string &message) {
    Status status = (*session)->run(inputs, &outputs);
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
    EXPECT_EQ(status.message(), message);
  };
  expectError({}, "expected 1 input (x), got 0");
  std::vector<Tensor> two = inputsOf(floats({2, 3}, {1, 2, 3, 4, 5, 6}));
  two.push_back(floats({1}, {1}));
  expectError(two, "expected 1 input (x), got 2");
  expectError(inputsOf(floats({3, 2}, {1, 2, 3, 4, 5, 6})),
              "input 'x': expected shape [2, 3], got [3, 2]");
  expectError(
      inputsOf(std::move(Tensor::create(DType::Float64, {2, 3})).value()),
      "input 'x': expected dtype float32, got float64");
  std::vector<Tensor> empty(1);
  expectError(empty, "input 'x': expected shape [2, 3], got []");
  EXPECT_FALSE((*session)
                   ->run(inputsOf(floats({2, 3}, {1, 2, 3, 4, 5, 6})), nullptr)
                   .ok());
}

TEST_F(SessionTest, DistributedPlansNeedMpirun) {
  TestModel model = testing::chainModel(2, 1);
  std::shared_ptr<const Artifact> artifact = build(model);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(session.status().message(),
            "artifact '" + artifact->path() +
                "': distributed plans need mpirun: the plan has 2 stages on "
                "2 ranks and the session was given no transport");
}

TEST_F(SessionTest, MissingEntryPoint) {
  TestModel model = testing::addModel();
  model.cSource = testing::abiVersionSource();
  std::shared_ptr<const Artifact> artifact = build(model);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::NotFound);
  EXPECT_EQ(session.status().message(),
            "artifact '" + artifact->path() +
                "': section 'code.rank0': stage 0 entry point: symbol "
                "'cleave_stage_0' is not exported by the code");
}

TEST_F(SessionTest, WrongAbiVersion) {
  TestModel model = testing::addModel();
  model.cSource = testing::abiVersionSource(CLEAVE_ABI_VERSION + 1) +
                  "void cleave_stage_0(void *c, void **a) {}\n";
  std::shared_ptr<const Artifact> artifact = build(model);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::FailedPrecondition);
  EXPECT_NE(session.status().message().find(
                "code has entry-point ABI version 2, this runtime supports "
                "version 1"),
            std::string::npos);
}

TEST_F(SessionTest, CodeThatIsNotElf) {
  TestModel model = testing::addModel();
  StatusOr<artifact::Spec> spec = testing::specOf(model);
  ASSERT_TRUE(spec.ok());
  spec->code[0].bytes = "not elf";
  AssembledArtifact built = testing::buildArtifact(*spec);
  std::shared_ptr<const Artifact> artifact = open(built.bytes);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().message(),
            "artifact '" + artifact->path() +
                "': section 'code.rank0': code is not an ELF shared object");
}

// A GPU stage with a gpu_program: without a driver (the build machines) the
// device fails to open, with one line naming it. With a driver, the
// placeholder code section is refused; either way the error names the device.
TEST_F(SessionTest, GpuStageWithoutDriverNamesTheDevice) {
  for (const char *kind : {"cuda", "rocm"}) {
    artifact::Spec spec = testing::gpuSpec();
    bool rocm = std::string(kind) == CLEAVE_DEVICE_ROCM;
    const char *library = rocm ? "libamdhip64.so" : "libcuda.so.1";
    if (rocm) {
      spec.devices[0].kind = CLEAVE_DEVICE_ROCM;
      spec.code[0].kind = CLEAVE_SECTION_ROCM_HSACO;
    }
    std::shared_ptr<const Artifact> artifact =
        open(testing::buildArtifact(spec).bytes);
    ASSERT_TRUE(artifact);
    StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
    ASSERT_FALSE(session.ok()) << kind;
    std::string prefix = "artifact '" + artifact->path() + "': ";
    void *driver = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (driver) {
      ::dlclose(driver);
      EXPECT_NE(session.status().message().find(std::string(kind) + ":0"),
                std::string::npos)
          << session.status().message();
      continue;
    }
    EXPECT_EQ(session.status().code(), StatusCode::FailedPrecondition);
    EXPECT_EQ(session.status().message(),
              prefix + kind + ":0: cannot load " + library + " (no " +
                  (rocm ? "ROCm HIP runtime" : "NVIDIA driver") +
                  " on this machine)");
  }
}

TEST_F(SessionTest, IndependentSessionsKeepTheirOwnCode) {
  std::shared_ptr<const Artifact> add = build(testing::addModel());
  std::shared_ptr<const Artifact> mul = build(testing::awkwardNamesModel());
  ASSERT_TRUE(add && mul);
  StatusOr<std::unique_ptr<Session>> first = Session::create(add);
  StatusOr<std::unique_ptr<Session>> second = Session::create(mul);
  ASSERT_TRUE(first.ok() && second.ok());
  first->reset(); // frees its code and descriptor while `second` lives on
  StatusOr<std::unique_ptr<Session>> third = Session::create(add);
  ASSERT_TRUE(third.ok());

  std::vector<Tensor> mulInputs;
  mulInputs.push_back(floats({4}, {1, 2, 3, 4}));
  mulInputs.push_back(floats({4}, {2, 2, 2, 2}));
  std::vector<Tensor> outputs;
  ASSERT_TRUE((*second)->run(mulInputs, &outputs).ok());
  EXPECT_EQ(outputs[0].dataAs<float>()[3], 8.0f);
  ASSERT_TRUE((*third)
                  ->run(inputsOf(floats({2, 3}, {0, 0, 0, 0, 0, 0})), &outputs)
                  .ok());
  EXPECT_EQ(outputs[0].dataAs<float>()[5], 5.5f);
}

/// Runs `artifact` with one thread per rank over local transports; returns
/// each rank's outputs (inputs go to rank 0).
std::vector<std::vector<Tensor>>
runPipeline(std::shared_ptr<const Artifact> artifact, const Tensor &x,
            int runs = 1) {
  int ranks = artifact->ranks();
  auto transports = testing::createLocalTransports(ranks);
  std::vector<std::unique_ptr<Session>> sessions;
  for (int r = 0; r < ranks; ++r) {
    StatusOr<std::unique_ptr<Session>> session =
        Session::create(artifact, SessionOptions{1, transports[r]});
    EXPECT_TRUE(session.ok()) << session.status().toString();
    if (!session.ok())
      return {};
    EXPECT_EQ((*session)->stage().rank, r);
    EXPECT_EQ((*session)->takesInputs(), r == 0);
    EXPECT_EQ((*session)->returnsOutputs(), r == ranks - 1);
    sessions.push_back(std::move(session).value());
  }
  std::vector<std::vector<Tensor>> outputs(ranks);
  std::vector<Status> statuses(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      std::vector<Tensor> inputs;
      if (r == 0)
        inputs.push_back(std::move(x.clone()).value());
      for (int i = 0; i < runs && statuses[r].ok(); ++i)
        statuses[r] = sessions[r]->run(inputs, &outputs[r]);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int r = 0; r < ranks; ++r)
    EXPECT_TRUE(statuses[r].ok())
        << "rank " << r << ": " << statuses[r].toString();
  return outputs;
}

Tensor chainInput() {
  std::vector<float> values(24);
  for (int i = 0; i < 24; ++i)
    values[i] = (i - 7) / 4.0f;
  return std::move(Tensor::fromBytes(DType::Float32, {8, 3}, values.data(),
                                     values.size() * 4))
      .value();
}

TEST_F(SessionTest, RunsPipelinesOverLocalTransports) {
  for (auto [stages, microbatches] :
       {std::pair{2, 1}, {2, 4}, {3, 2}, {4, 8}, {4, 4}}) {
    SCOPED_TRACE(std::to_string(stages) + " stages, " +
                 std::to_string(microbatches) + " microbatches");
    std::shared_ptr<const Artifact> artifact =
        build(testing::chainModel(stages, microbatches));
    ASSERT_TRUE(artifact);
    EXPECT_EQ(artifact->microbatches(), microbatches);
    Tensor x = chainInput();
    std::vector<std::vector<Tensor>> outputs =
        runPipeline(artifact, x, /*runs=*/2);
    ASSERT_EQ(outputs.size(), size_t(stages));
    for (int r = 0; r + 1 < stages; ++r)
      EXPECT_TRUE(outputs[r].empty()) << "rank " << r;
    ASSERT_EQ(outputs.back().size(), 1u);
    const Tensor &y = outputs.back()[0];
    ASSERT_EQ(y.shape(), (Shape{8, 3}));
    for (int i = 0; i < 24; ++i) {
      float want = x.dataAs<float>()[i];
      for (int k = 0; k < stages; ++k)
        want = want * 2.0f + float(k);
      EXPECT_EQ(y.dataAs<float>()[i], want) << "element " << i;
    }
  }
}

TEST_F(SessionTest, ForwardsTensorsThroughAMiddleStage) {
  std::shared_ptr<const Artifact> artifact = build(testing::forwardModel(4));
  ASSERT_TRUE(artifact);
  Tensor x = chainInput();
  std::vector<std::vector<Tensor>> outputs = runPipeline(artifact, x);
  ASSERT_EQ(outputs.size(), 3u);
  ASSERT_EQ(outputs[2].size(), 1u);
  for (int i = 0; i < 24; ++i) {
    float v = x.dataAs<float>()[i];
    EXPECT_EQ(outputs[2][0].dataAs<float>()[i], (v * 2.0f + 1.0f) * (v + 1.0f))
        << "element " << i;
  }
}

TEST_F(SessionTest, PipelineSessionErrors) {
  std::shared_ptr<const Artifact> artifact = build(testing::chainModel(2, 4));
  ASSERT_TRUE(artifact);
  std::string prefix = "artifact '" + artifact->path() + "': ";

  auto three = testing::createLocalTransports(3);
  StatusOr<std::unique_ptr<Session>> wrongSize =
      Session::create(artifact, SessionOptions{1, three[0]});
  ASSERT_FALSE(wrongSize.ok());
  EXPECT_EQ(wrongSize.status().message(),
            prefix + "the plan needs 2 ranks, the job has 3");

  StatusOr<std::unique_ptr<Artifact>> forRank0 =
      Artifact::open(artifact->path(), 0);
  ASSERT_TRUE(forRank0.ok()) << forRank0.status().toString();
  auto pair = testing::createLocalTransports(2);
  StatusOr<std::unique_ptr<Session>> otherRank =
      Session::create(std::move(forRank0).value(), SessionOptions{1, pair[1]});
  ASSERT_FALSE(otherRank.ok());
  EXPECT_EQ(otherRank.status().message(),
            prefix + "opened for rank 0 (only its sections were checked), "
                     "used on rank 1");

  auto two = testing::createLocalTransports(2);
  StatusOr<std::unique_ptr<Session>> second =
      Session::create(artifact, SessionOptions{1, two[1]});
  ASSERT_TRUE(second.ok()) << second.status().toString();
  std::vector<Tensor> outputs;
  Status status = (*second)->run(inputsOf(chainInput()), &outputs);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(status.message(), "stage 1 takes no inputs (only the first "
                              "stage's rank passes them), got 1");
}

TEST_F(SessionTest, RunsTensorParallelStagesInAPipeline) {
  for (int microbatches : {1, 2}) {
    SCOPED_TRACE(std::to_string(microbatches) + " microbatches");
    std::shared_ptr<const Artifact> artifact =
        build(testing::tensorParallelPipelineModel(microbatches));
    ASSERT_TRUE(artifact);
    auto transports = testing::createLocalTransports(4);
    std::vector<std::unique_ptr<Session>> sessions(4);
    std::vector<Status> statuses(4);
    std::vector<std::vector<Tensor>> outputs(4);
    Tensor x = chainInput();
    // Creating a session splits the job's transport: collective, so every
    // rank creates its session at once.
    std::vector<std::thread> threads;
    for (int r = 0; r < 4; ++r)
      threads.emplace_back([&, r] {
        StatusOr<std::unique_ptr<Session>> session =
            Session::create(artifact, SessionOptions{1, transports[r]});
        statuses[r] = session.status();
        if (!session.ok())
          return;
        sessions[r] = std::move(session).value();
        std::vector<Tensor> inputs;
        if (sessions[r]->takesInputs())
          inputs.push_back(std::move(x.clone()).value());
        for (int run = 0; run < 2 && statuses[r].ok(); ++run)
          statuses[r] = sessions[r]->run(inputs, &outputs[r]);
      });
    for (std::thread &thread : threads)
      thread.join();
    for (int r = 0; r < 4; ++r) {
      ASSERT_TRUE(statuses[r].ok())
          << "rank " << r << ": " << statuses[r].toString();
      EXPECT_EQ(sessions[r]->stage().id, r / 2);
      EXPECT_EQ(sessions[r]->takesInputs(), r < 2);
      // Only the last group's first rank returns the outputs.
      EXPECT_EQ(sessions[r]->returnsOutputs(), r == 2);
      EXPECT_EQ(outputs[r].size(), r >= 2 ? 1u : 0u) << "rank " << r;
    }
    for (int r = 2; r < 4; ++r) {
      ASSERT_EQ(outputs[r].size(), 1u);
      for (int i = 0; i < 24; ++i)
        EXPECT_EQ(outputs[r][0].dataAs<float>()[i],
                  x.dataAs<float>()[i] * 9.0f + 1.0f)
            << "rank " << r << ", element " << i;
    }
  }
}

/// A rank-0 transport of a two-rank job whose sends fail.
class FailingTransport final : public Transport {
public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  int maxTag() const override { return 1 << 20; }
  StatusOr<TransportRequest> send(const void *, size_t, int, int) override {
    return internalError("link down");
  }
  StatusOr<TransportRequest> recv(void *, size_t, int, int) override {
    return internalError("link down");
  }
  Status wait(TransportRequest) override { return Status(); }
  Status barrier() override { return Status(); }
  Status allReduceSum(const void *, void *, size_t, DType) override {
    return internalError("link down");
  }
  Status allGather(const void *, void *, size_t) override {
    return internalError("link down");
  }
  StatusOr<std::shared_ptr<Transport>> split(int, int) override {
    return internalError("link down");
  }
  Status agree(const Status &local) override { return local; }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
};

TEST_F(SessionTest, TransferFailuresNameTheStageAndArg) {
  std::shared_ptr<const Artifact> artifact = build(testing::chainModel(2, 2));
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(
      artifact, SessionOptions{1, std::make_shared<FailingTransport>()});
  ASSERT_TRUE(session.ok()) << session.status().toString();
  std::vector<Tensor> outputs;
  Status status = (*session)->run(inputsOf(chainInput()), &outputs);
  EXPECT_EQ(status.code(), StatusCode::Internal);
  EXPECT_EQ(status.message(), "stage 0: send 'h0': link down");
}

TEST_F(SessionTest, SingleStagePlansSplitIntoMicrobatches) {
  TestModel model = testing::chainModel(1, 4);
  std::shared_ptr<const Artifact> artifact = build(model);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_TRUE(session.ok()) << session.status().toString();
  Tensor x = chainInput();
  std::vector<Tensor> outputs;
  ASSERT_TRUE(
      (*session)->run(inputsOf(std::move(x.clone()).value()), &outputs).ok());
  for (int i = 0; i < 24; ++i)
    EXPECT_EQ(outputs[0].dataAs<float>()[i], x.dataAs<float>()[i] * 2.0f);
}

TEST_F(SessionTest, ProfileCountsRunsAndMicrobatches) {
  std::shared_ptr<const Artifact> artifact = build(testing::chainModel(1, 4));
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact);
  ASSERT_TRUE(session.ok()) << session.status().toString();
  EXPECT_EQ((*session)->profile().runs, 0);
  EXPECT_EQ((*session)->profile().microbatches, 0);
  Tensor x = chainInput();
  std::vector<Tensor> outputs;
  for (int run = 0; run < 3; ++run)
    ASSERT_TRUE(
        (*session)->run(inputsOf(std::move(x.clone()).value()), &outputs).ok());
  const StageProfile &profile = (*session)->profile();
  EXPECT_EQ(profile.runs, 3);
  EXPECT_EQ(profile.microbatches, 12);
  EXPECT_GT(profile.computeSeconds, 0.0);
  EXPECT_GT(profile.computeMinSeconds, 0.0);
  EXPECT_LE(profile.computeMinSeconds * 12, profile.computeSeconds);
  EXPECT_LE(profile.computeSeconds, profile.runSeconds);
  // One stage: nothing to wait for.
  EXPECT_EQ(profile.recvWaitSeconds, 0.0);
  EXPECT_EQ(profile.sendWaitSeconds, 0.0);

  (*session)->resetProfile();
  EXPECT_EQ((*session)->profile().runs, 0);
  EXPECT_EQ((*session)->profile().computeSeconds, 0.0);
  ASSERT_TRUE(
      (*session)->run(inputsOf(std::move(x.clone()).value()), &outputs).ok());
  EXPECT_EQ((*session)->profile().runs, 1);
  EXPECT_EQ((*session)->profile().microbatches, 4);
}

} // namespace
} // namespace cleave
