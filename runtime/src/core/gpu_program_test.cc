//===- gpu_program_test.cc - Tests for replaying a gpu_program ------------===//
//
// No GPU here: the runner is driven through a host-memory test device whose
// "kernels" are C++ functions. This checks what the runner itself does (buffer
// sizes, one-time copies of parameters and constants, per-run copies, launch
// order, argument packing); it says nothing about CUDA or HIP, which were not
// run.
//
//===----------------------------------------------------------------------===//

#include "core/gpu_program.h"

#include "core/test_artifact_writer.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include <gtest/gtest.h>

namespace cleave {
namespace {

using Kernel = void (*)(void **params, const uint32_t grid[3],
                        const uint32_t block[3]);

/// out[i] = a[i] + b[i] for the 6 elements of one microbatch.
void addKernel(void **params, const uint32_t *, const uint32_t *) {
  auto *a = *static_cast<float **>(params[0]);
  auto *b = *static_cast<float **>(params[1]);
  auto *out = *static_cast<float **>(params[2]);
  for (int i = 0; i < 6; ++i)
    out[i] = a[i] + b[i];
}

/// out[i] = in[i] * c[0] * s for i < n, one element per thread.
void scaleKernel(void **params, const uint32_t grid[3], const uint32_t block[3]) {
  auto *in = *static_cast<float **>(params[0]);
  auto *c = *static_cast<float **>(params[1]);
  float s = *static_cast<float *>(params[2]);
  int64_t n = *static_cast<int64_t *>(params[3]);
  auto *out = *static_cast<float **>(params[4]);
  for (uint32_t i = 0; i < grid[0] * block[0] && i < n; ++i)
    out[i] = in[i] * c[0] * s;
}

struct Log {
  std::vector<std::string> events;
  std::map<void *, size_t> live; ///< allocation -> bytes
};

class TestExecutable final : public hal::Executable {
public:
  explicit TestExecutable(Log &log) : log_(log) {}
  StatusOr<void *> lookup(const std::string &symbol) override {
    if (symbol == "add")
      return reinterpret_cast<void *>(&addKernel);
    if (symbol == "scale")
      return reinterpret_cast<void *>(&scaleKernel);
    return notFoundError("kernel '" + symbol + "' is not in the module");
  }
  Status invoke(void *, void *, void **) override {
    return internalError("not a host entry point");
  }
  Status launch(void *kernel, const uint32_t grid[3], const uint32_t block[3],
                void **params) override {
    log_.events.push_back(kernel == reinterpret_cast<void *>(&addKernel)
                              ? "launch add"
                              : "launch scale");
    if (failLaunches)
      return internalError("test: launch failed");
    reinterpret_cast<Kernel>(kernel)(params, grid, block);
    return Status();
  }
  Status synchronize() override {
    log_.events.push_back("wait");
    if (failKernels)
      return internalError("test: a kernel faulted");
    return Status();
  }
  bool failLaunches = false;
  bool failKernels = false; ///< launches succeed, the wait reports a fault

private:
  Log &log_;
};

/// Device memory is host memory; every allocation and copy is logged.
class TestDevice final : public hal::Device {
public:
  explicit TestDevice(Log &log) : log_(log) {}
  std::string name() const override { return "test:0"; }
  StatusOr<void *> allocate(size_t bytes) override {
    if (bytes > limit)
      return resourceExhaustedError("test: out of memory");
    void *ptr = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    log_.live[ptr] = bytes;
    return ptr;
  }
  void free(void *ptr) override {
    log_.live.erase(ptr);
    std::free(ptr);
  }
  Status copyToDevice(void *device, const void *host, size_t bytes) override {
    log_.events.push_back("to device " + std::to_string(bytes));
    std::memcpy(device, host, bytes);
    return Status();
  }
  Status copyToHost(void *host, const void *device, size_t bytes) override {
    log_.events.push_back("to host " + std::to_string(bytes));
    std::memcpy(host, device, bytes);
    return Status();
  }
  StatusOr<std::unique_ptr<hal::Executable>>
  loadExecutable(const uint8_t *, size_t, std::string_view) override {
    return unimplementedError("test device");
  }
  size_t limit = size_t(1) << 30;

private:
  Log &log_;
};

class GpuProgramTest : public ::testing::Test {
protected:
  /// The gpuSpec() artifact, with `from` replaced by `to` in its manifest.
  std::shared_ptr<const Artifact> open(int microbatches, bool allReduce = false,
                                       const std::string &from = "",
                                       const std::string &to = "") {
    static int counter = 0;
    static std::string dir = testing::makeTempDir();
    testing::AssembledArtifact built =
        testing::buildArtifact(testing::gpuSpec(microbatches, allReduce));
    if (!from.empty())
      testing::patchManifest(&built, from, to);
    std::string path = dir + "/g" + std::to_string(counter++) + ".cleave";
    testing::writeBytes(path, built.bytes);
    StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
    EXPECT_TRUE(artifact.ok()) << artifact.status().toString();
    return artifact.ok() ? std::move(artifact).value() : nullptr;
  }
  Log log;
  TestDevice device{log};
  TestExecutable executable{log};
};

TEST_F(GpuProgramTest, CopiesOnceThenRunsTheLaunchesInOrder) {
  std::shared_ptr<const Artifact> artifact = open(1);
  ASSERT_TRUE(artifact);
  const StageDesc &stage = artifact->stages()[0];
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner =
      GpuProgramRunner::create(*artifact, stage, 1, device, executable);
  ASSERT_TRUE(runner.ok()) << runner.status().toString();
  // Five buffers: x, w, y (24 bytes each), the temporary and the constant;
  // w and the constant went to the device at creation.
  EXPECT_EQ(log.live.size(), 5u);
  EXPECT_EQ(log.events, (std::vector<std::string>{"to device 24", "to device 4"}));
  log.events.clear();

  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  void *args[3] = {x, const_cast<void *>(artifact->parameterData(
                          *artifact->findParameter("w"))),
                   y};
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE((*runner)->run(args).ok());
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(y[i], (x[i] + 0.5f + i) * 3.0f * 2.0f) << i;
  }
  EXPECT_EQ(log.events,
            (std::vector<std::string>{"to device 24", "launch add",
                                      "launch scale", "wait", "to host 24",
                                      "to device 24", "launch add",
                                      "launch scale", "wait", "to host 24"}));
  runner->reset();
  EXPECT_TRUE(log.live.empty()) << "device buffers leaked";
}

TEST_F(GpuProgramTest, BuffersHoldOneMicrobatch) {
  std::shared_ptr<const Artifact> artifact = open(4);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 4, device, executable);
  ASSERT_TRUE(runner.ok()) << runner.status().toString();
  std::vector<size_t> sizes;
  for (const auto &[ptr, bytes] : log.live)
    sizes.push_back(bytes);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 24, 24, 24, 24}));
}

TEST_F(GpuProgramTest, MissingKernelNamesTheStage) {
  std::shared_ptr<const Artifact> artifact = open(1);
  ASSERT_TRUE(artifact);
  StageDesc stage = artifact->stages()[0];
  auto program = std::make_shared<GpuProgram>(*stage.gpuProgram);
  program->kernels.push_back("absent");
  stage.gpuProgram = program;
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner =
      GpuProgramRunner::create(*artifact, stage, 1, device, executable);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().message(),
            "stage 0: kernel 'absent' is not in the module");
  EXPECT_TRUE(log.live.empty());
}

TEST_F(GpuProgramTest, AllocationFailureNamesTheBuffer) {
  std::shared_ptr<const Artifact> artifact = open(1);
  ASSERT_TRUE(artifact);
  device.limit = 8;
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 1, device, executable);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().message(),
            "stage 0: buffer 0 (input 'x'): test: out of memory");
  EXPECT_TRUE(log.live.empty());
}

TEST_F(GpuProgramTest, LaunchFailureNamesTheKernel) {
  std::shared_ptr<const Artifact> artifact = open(1);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 1, device, executable);
  ASSERT_TRUE(runner.ok());
  executable.failLaunches = true;
  float x[6] = {}, y[6] = {};
  void *args[3] = {x, nullptr, y};
  Status status = (*runner)->run(args);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "kernel 'add': test: launch failed");
}

TEST_F(GpuProgramTest, KernelFaultSaysHowToFindTheKernel) {
  std::shared_ptr<const Artifact> artifact = open(1);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 1, device, executable);
  ASSERT_TRUE(runner.ok());
  executable.failKernels = true;
  float x[6] = {}, y[6] = {};
  void *args[3] = {x, nullptr, y};
  log.events.clear();
  Status status = (*runner)->run(args);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "test: a kernel faulted (to find the kernel, run with "
                              "CUDA_LAUNCH_BLOCKING=1 or AMD_SERIALIZE_KERNEL=3)");
  // Both kernels were queued before the one wait; nothing was copied back.
  EXPECT_EQ(log.events, (std::vector<std::string>{"to device 24", "launch add",
                                                  "launch scale", "wait"}));
}

/// A runtime table whose all-reduce stands for two ranks holding the same
/// data (it doubles), logging each call.
Log *collectiveLog = nullptr;
void doublingAllReduce(void *, const void *in, void *out, int64_t count,
                       int32_t dtype, int32_t op, int32_t group) {
  collectiveLog->events.push_back("all-reduce " + std::to_string(count) +
                                  " dtype " + std::to_string(dtype) + " op " +
                                  std::to_string(op) + " group " +
                                  std::to_string(group));
  for (int64_t i = 0; i < count; ++i)
    static_cast<float *>(out)[i] = 2 * static_cast<const float *>(in)[i];
}
void unusedAllGather(void *, const void *, void *, int64_t, int32_t, int32_t) {
  collectiveLog->events.push_back("all-gather");
}

TEST_F(GpuProgramTest, CollectiveRunsOnTheHostBetweenKernels) {
  std::shared_ptr<const Artifact> artifact = open(1, /*allReduce=*/true);
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 1, device, executable);
  ASSERT_TRUE(runner.ok()) << runner.status().toString();
  collectiveLog = &log;
  cleave_runtime_table table{&doublingAllReduce, &unusedAllGather, nullptr,
                             nullptr};
  cleave_stage_context context{&table, nullptr};
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  void *args[3] = {x, nullptr, y};
  log.events.clear();
  Status status = (*runner)->run(args, &context);
  ASSERT_TRUE(status.ok()) << status.toString();
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], (x[i] + 0.5f + i) * 2.0f * 3.0f * 2.0f) << i;
  // The kernel before the collective is waited for, its result moved to the
  // host and the reduction back to the device; the next kernel is waited for
  // before the output is copied.
  EXPECT_EQ(log.events,
            (std::vector<std::string>{"to device 24", "launch add", "wait",
                                      "to host 24", "all-reduce 6 dtype 0 op 0 group 0",
                                      "to device 24", "launch scale", "wait",
                                      "to host 24"}));
  // Without a context there is nothing to run the collective with.
  EXPECT_FALSE((*runner)->run(args).ok());
}

TEST_F(GpuProgramTest, CollectiveOfTheWrongSizeIsRefused) {
  // 7 elements (28 bytes) do not fit the 24-byte buffers.
  std::shared_ptr<const Artifact> artifact =
      open(1, /*allReduce=*/true, R"("count": 6)", R"("count": 7)");
  ASSERT_TRUE(artifact);
  StatusOr<std::unique_ptr<GpuProgramRunner>> runner = GpuProgramRunner::create(
      *artifact, artifact->stages()[0], 1, device, executable);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().message(),
            "stage 0: launch 1: a collective of 28 bytes from buffer 3 (24 bytes) "
            "cannot fill buffer 5 (24 bytes; 28 expected)");
  EXPECT_TRUE(log.live.empty()) << "device buffers leaked";
}

} // namespace
} // namespace cleave
