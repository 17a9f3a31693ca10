//===- session_view_test.cc - Tests for zero-copy runs over caller buffers ===//

#include "cleave/runtime.h"

#include "comm/local_transport.h"
#include "core/test_artifact_writer.h"

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

namespace cleave {
namespace {
using testing::AssembledArtifact;
using testing::TestModel;

/// y = x * 2 over float32[2, 16] in `microbatches` microbatches; each
/// microbatch also writes the addresses its entry point received for x and y
/// into the first row of its slice of p: int64[2, 2].
TestModel pointerModel(int microbatches) {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {2, 16}}};
  model.outputs = {{"y", DType::Float32, {2, 16}}, {"p", DType::Int64, {2, 2}}};
  model.args = {{"input", "x"}, {"output", "y"}, {"output", "p"}};
  model.microbatches = microbatches;
  model.cSource = R"(
#include <stdint.h>
int cleave_abi_version(void) { return 1; }
void cleave_stage_0(void *ctx, void **args) {
  (void)ctx;
  const float *x = (const float *)args[0];
  float *y = (float *)args[1];
  int64_t *p = (int64_t *)args[2];
  for (int i = 0; i < ROWS * 16; ++i)
    y[i] = x[i] * 2.0f;
  p[0] = (int64_t)(uintptr_t)x;
  p[1] = (int64_t)(uintptr_t)y;
}
)";
  std::string rows = std::to_string(2 / microbatches);
  model.cSource.replace(model.cSource.find("ROWS"), 4, rows);
  return model;
}

class SessionViewTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::makeTempDir());
  }
  static void TearDownTestSuite() { delete dir_; }

  std::shared_ptr<const Artifact> build(const TestModel &model) {
    StatusOr<AssembledArtifact> built = testing::buildArtifact(model);
    EXPECT_TRUE(built.ok()) << built.status().toString();
    if (!built.ok())
      return nullptr;
    std::string path = *dir_ + "/v" + std::to_string(counter_++) + ".cleave";
    testing::writeBytes(path, built->bytes);
    StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
    EXPECT_TRUE(artifact.ok()) << artifact.status().toString();
    return artifact.ok() ? std::move(artifact).value() : nullptr;
  }

  std::unique_ptr<Session> create(std::shared_ptr<const Artifact> artifact) {
    StatusOr<std::unique_ptr<Session>> session =
        Session::create(std::move(artifact), SessionOptions{1});
    EXPECT_TRUE(session.ok()) << session.status().toString();
    return session.ok() ? std::move(session).value() : nullptr;
  }

  static std::string *dir_;
  static int counter_;
};
std::string *SessionViewTest::dir_ = nullptr;
int SessionViewTest::counter_ = 0;

/// A 64-byte aligned buffer with room for `bytes` bytes at offset `skew`.
struct Buffer {
  Buffer(size_t bytes, size_t skew = 0)
      : tensor(std::move(Tensor::create(DType::UInt8, {int64_t(bytes + skew)}))
                   .value()),
        data(tensor.dataAs<uint8_t>() + skew), bytes(bytes) {}
  float *floats() { return reinterpret_cast<float *>(data); }
  int64_t *ints() { return reinterpret_cast<int64_t *>(data); }
  int64_t address() const { return int64_t(reinterpret_cast<uintptr_t>(data)); }

  Tensor tensor;
  uint8_t *data;
  size_t bytes;
};

/// x[i] = i - 5 as float32.
Buffer pointerInput(size_t skew = 0) {
  Buffer x(2 * 16 * 4, skew);
  for (int i = 0; i < 32; ++i)
    x.floats()[i] = float(i - 5);
  return x;
}

TEST_F(SessionViewTest, EntryPointReadsAndWritesTheCallersBuffers) {
  std::unique_ptr<Session> session = create(build(pointerModel(1)));
  ASSERT_TRUE(session);
  Buffer x = pointerInput(), y(2 * 16 * 4), p(2 * 2 * 8);
  for (int run = 0; run < 2; ++run) {
    Status status = session->run(
        {TensorView(DType::Float32, {2, 16}, x.data, x.bytes)},
        {MutableTensorView(DType::Float32, {2, 16}, y.data, y.bytes),
         MutableTensorView(DType::Int64, {2, 2}, p.data, p.bytes)});
    ASSERT_TRUE(status.ok()) << status.toString();
    // No copy: the code got the caller's pointers themselves.
    EXPECT_EQ(p.ints()[0], x.address());
    EXPECT_EQ(p.ints()[1], y.address());
    for (int i = 0; i < 32; ++i)
      EXPECT_EQ(y.floats()[i], float(i - 5) * 2.0f) << i;
  }
}

TEST_F(SessionViewTest, MisalignedBuffersGoThroughAlignedCopies) {
  std::unique_ptr<Session> session = create(build(pointerModel(1)));
  ASSERT_TRUE(session);
  Buffer x = pointerInput(4), y(2 * 16 * 4, 8), p(2 * 2 * 8, 8);
  Status status =
      session->run({TensorView(DType::Float32, {2, 16}, x.data, x.bytes)},
                   {MutableTensorView(DType::Float32, {2, 16}, y.data, y.bytes),
                    MutableTensorView(DType::Int64, {2, 2}, p.data, p.bytes)});
  ASSERT_TRUE(status.ok()) << status.toString();
  EXPECT_NE(p.ints()[0], x.address());
  EXPECT_NE(p.ints()[1], y.address());
  EXPECT_EQ(p.ints()[0] % 64, 0);
  EXPECT_EQ(p.ints()[1] % 64, 0);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(y.floats()[i], float(i - 5) * 2.0f) << i;
}

TEST_F(SessionViewTest, AlignedMicrobatchesArePointerOffsets) {
  std::unique_ptr<Session> session = create(build(pointerModel(2)));
  ASSERT_TRUE(session);
  Buffer x = pointerInput(), y(2 * 16 * 4), p(2 * 2 * 8);
  Status status =
      session->run({TensorView(DType::Float32, {2, 16}, x.data, x.bytes)},
                   {MutableTensorView(DType::Float32, {2, 16}, y.data, y.bytes),
                    MutableTensorView(DType::Int64, {2, 2}, p.data, p.bytes)});
  ASSERT_TRUE(status.ok()) << status.toString();
  // A row of x or y is 64 bytes: microbatch m starts 64 * m bytes in. The
  // rows of p (16 bytes) are staged, but reach the caller's buffer.
  for (int m = 0; m < 2; ++m) {
    EXPECT_EQ(p.ints()[2 * m], x.address() + 64 * m) << m;
    EXPECT_EQ(p.ints()[2 * m + 1], y.address() + 64 * m) << m;
  }
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(y.floats()[i], float(i - 5) * 2.0f) << i;
}

TEST_F(SessionViewTest, TensorsPassAsViews) {
  std::unique_ptr<Session> session = create(build(testing::addModel()));
  ASSERT_TRUE(session);
  const float values[] = {1, 2, 3, 4, 5, 6};
  Tensor x = std::move(Tensor::fromBytes(DType::Float32, {2, 3}, values,
                                         sizeof(values)))
                 .value();
  Tensor y = std::move(Tensor::create(DType::Float32, {2, 3})).value();
  Status status = session->run({x}, {y});
  ASSERT_TRUE(status.ok()) << status.toString();
  const float expected[] = {1.5f, 3.5f, 5.5f, 7.5f, 9.5f, 11.5f};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y.dataAs<float>()[i], expected[i]) << i;
}

TEST_F(SessionViewTest, ChecksTheCallersBuffers) {
  std::unique_ptr<Session> session = create(build(testing::addModel()));
  ASSERT_TRUE(session);
  Buffer x(24), y(24);
  auto expectError = [&](const std::vector<TensorView> &inputs,
                         const std::vector<MutableTensorView> &outputs,
                         const std::string &message) {
    Status status = session->run(inputs, outputs);
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument) << message;
    EXPECT_EQ(status.message(), message);
  };
  TensorView in(DType::Float32, {2, 3}, x.data, 24);
  MutableTensorView out(DType::Float32, {2, 3}, y.data, 24);
  expectError({TensorView(DType::Float32, {2, 3}, x.data, 20)}, {out},
              "input 'x': buffer of 20 bytes, needs 24");
  expectError({TensorView(DType::Float32, {2, 3}, nullptr, 24)}, {out},
              "input 'x' has no data");
  expectError({TensorView(DType::Int32, {2, 3}, x.data, 24)}, {out},
              "input 'x': expected dtype float32, got int32");
  expectError({in}, {}, "expected 1 output (y), got 0");
  expectError({in}, {out, out}, "expected 1 output (y), got 2");
  expectError({in}, {MutableTensorView(DType::Float64, {2, 3}, y.data, 24)},
              "output 'y': expected dtype float32, got float64");
  expectError({in}, {MutableTensorView(DType::Float32, {6}, y.data, 24)},
              "output 'y': expected shape [2, 3], got [6]");
  expectError({in}, {MutableTensorView(DType::Float32, {2, 3}, y.data, 23)},
              "output 'y': buffer of 23 bytes, needs 24");
  expectError({in}, {MutableTensorView(DType::Float32, {2, 3}, nullptr, 24)},
              "output 'y' has no data");
  // Larger buffers are fine: only the tensor's bytes are touched.
  EXPECT_TRUE(session
                  ->run({TensorView(DType::Float32, {2, 3}, x.data, 24)},
                        {MutableTensorView(DType::Float32, {2, 3}, y.data, 24)})
                  .ok());
}

TEST_F(SessionViewTest, EarlierStagesTakeNoOutputs) {
  std::shared_ptr<const Artifact> artifact = build(testing::chainModel(2, 1));
  ASSERT_TRUE(artifact);
  auto transports = testing::createLocalTransports(2);
  StatusOr<std::unique_ptr<Session>> first =
      Session::create(artifact, SessionOptions{1, transports[0]});
  ASSERT_TRUE(first.ok()) << first.status().toString();
  Buffer x(8 * 3 * 4), y(8 * 3 * 4);
  Status status = (*first)->run(
      {TensorView(DType::Float32, {8, 3}, x.data, x.bytes)},
      {MutableTensorView(DType::Float32, {8, 3}, y.data, y.bytes)});
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_EQ(status.message(), "stage 0 returns no outputs (only the last "
                              "stage's rank gets them), got 1");
}

TEST_F(SessionViewTest, TensorParallelPipelineOverViews) {
  std::shared_ptr<const Artifact> artifact =
      build(testing::tensorParallelPipelineModel(2));
  ASSERT_TRUE(artifact);
  auto transports = testing::createLocalTransports(4);
  Buffer x(8 * 3 * 4);
  for (int i = 0; i < 24; ++i)
    x.floats()[i] = (i - 7) / 4.0f;
  std::vector<Buffer> y;
  for (int r = 0; r < 4; ++r)
    y.emplace_back(8 * 3 * 4);
  std::vector<Status> statuses(4);
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r)
    threads.emplace_back([&, r] {
      StatusOr<std::unique_ptr<Session>> session =
          Session::create(artifact, SessionOptions{1, transports[r]});
      statuses[r] = session.status();
      if (!session.ok())
        return;
      // Only ranks that take inputs pass them; only rank 2 returns outputs,
      // and rank 3, of the same stage, passes none.
      std::vector<TensorView> inputs;
      if ((*session)->takesInputs())
        inputs.emplace_back(DType::Float32, Shape{8, 3}, x.data, x.bytes);
      std::vector<MutableTensorView> outputs;
      if ((*session)->returnsOutputs())
        outputs.emplace_back(DType::Float32, Shape{8, 3}, y[r].data,
                             y[r].bytes);
      for (int run = 0; run < 2 && statuses[r].ok(); ++run)
        statuses[r] = (*session)->run(inputs, outputs);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (int r = 0; r < 4; ++r)
    ASSERT_TRUE(statuses[r].ok())
        << "rank " << r << ": " << statuses[r].toString();
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(y[2].floats()[i], x.floats()[i] * 9.0f + 1.0f) << i;
    EXPECT_EQ(y[3].floats()[i], 0.0f) << i; // untouched
  }
}

} // namespace
} // namespace cleave
