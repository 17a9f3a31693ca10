//===- cpu_device_test.cc - Tests for the CPU device ----------------------===//

#include "hal/cpu/cpu_device.h"

#include "core/test_artifact_writer.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cleave {
namespace hal {
namespace {

std::unique_ptr<Device> makeCpu(int threads = 1) {
  StatusOr<std::unique_ptr<Device>> device =
      createDevice("cpu", 0, DeviceOptions{threads});
  EXPECT_TRUE(device.ok()) << device.status().toString();
  return device.ok() ? std::move(device).value() : nullptr;
}

std::vector<uint8_t> compile(const std::string &source) {
  StatusOr<std::vector<uint8_t>> so = testing::compileSharedObject(source);
  EXPECT_TRUE(so.ok()) << so.status().toString();
  return so.ok() ? *so : std::vector<uint8_t>();
}

StatusOr<std::unique_ptr<Executable>> load(Device &device,
                                           const std::vector<uint8_t> &so) {
  return device.loadExecutable(so.data(), so.size(), CLEAVE_SECTION_CPU_ELF_SO);
}

/// Code whose stage writes `value` into args[0][0].
std::string constantCode(int value) {
  return testing::abiVersionSource() +
         "void cleave_stage_0(void *ctx, void **args) { (void)ctx;\n"
         "  *(int *)args[0] = " +
         std::to_string(value) + "; }\n";
}

TEST(CpuDeviceTest, NameAndAlignedAllocation) {
  std::unique_ptr<Device> device = makeCpu();
  ASSERT_TRUE(device);
  EXPECT_EQ(device->name(), "cpu:0");
  for (size_t bytes : {0, 1, 100, 4096}) {
    StatusOr<void *> ptr = device->allocate(bytes);
    ASSERT_TRUE(ptr.ok());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(*ptr) % 64, 0u);
    device->free(*ptr);
  }
  device->free(nullptr);
}

// Idle OpenMP workers are told to sleep at once, unless the user chose a block time.
TEST(CpuDeviceTest, SetsOpenMPBlockTimeUnlessSet) {
  ::unsetenv("KMP_BLOCKTIME");
  ASSERT_TRUE(makeCpu());
  ASSERT_NE(::getenv("KMP_BLOCKTIME"), nullptr);
  EXPECT_STREQ(::getenv("KMP_BLOCKTIME"), "0");
  ::setenv("KMP_BLOCKTIME", "5", 1);
  ASSERT_TRUE(makeCpu());
  EXPECT_STREQ(::getenv("KMP_BLOCKTIME"), "5");
  ::unsetenv("KMP_BLOCKTIME");
}

TEST(CpuDeviceTest, LoadsLooksUpAndInvokes) {
  std::unique_ptr<Device> device = makeCpu();
  ASSERT_TRUE(device);
  StatusOr<std::unique_ptr<Executable>> exe =
      load(*device, compile(constantCode(42)));
  ASSERT_TRUE(exe.ok()) << exe.status().toString();
  StatusOr<void *> entry = (*exe)->lookup("cleave_stage_0");
  ASSERT_TRUE(entry.ok());
  int result = 0;
  void *args[] = {&result};
  ASSERT_TRUE((*exe)->invoke(*entry, nullptr, args).ok());
  EXPECT_EQ(result, 42);

  StatusOr<void *> missing = (*exe)->lookup("cleave_stage_7");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
  EXPECT_EQ(missing.status().message(),
            "symbol 'cleave_stage_7' is not exported by the code");
  EXPECT_FALSE((*exe)->invoke(nullptr, nullptr, args).ok());
}

TEST(CpuDeviceTest, PassesThreadCountWhenExported) {
  std::unique_ptr<Device> device = makeCpu(3);
  ASSERT_TRUE(device);
  StatusOr<std::unique_ptr<Executable>> exe =
      load(*device, compile(testing::addModel().cSource));
  ASSERT_TRUE(exe.ok()) << exe.status().toString();
  StatusOr<void *> getter = (*exe)->lookup("cleave_test_num_threads");
  ASSERT_TRUE(getter.ok());
  EXPECT_EQ(reinterpret_cast<int (*)()>(*getter)(), 3);
  EXPECT_FALSE(createDevice("cpu", 0, DeviceOptions{0}).ok());
}

TEST(CpuDeviceTest, LoadedLibrariesStayIndependent) {
  std::unique_ptr<Device> device = makeCpu();
  ASSERT_TRUE(device);
  std::vector<std::unique_ptr<Executable>> exes;
  for (int value : {1, 2, 3}) {
    StatusOr<std::unique_ptr<Executable>> exe =
        load(*device, compile(constantCode(value)));
    ASSERT_TRUE(exe.ok());
    exes.push_back(std::move(exe).value());
  }
  exes[0].reset(); // its descriptor number may now be reused
  StatusOr<std::unique_ptr<Executable>> fourth =
      load(*device, compile(constantCode(4)));
  ASSERT_TRUE(fourth.ok());
  exes[0] = std::move(fourth).value();
  for (int i = 0; i < 3; ++i) {
    int result = 0;
    void *args[] = {&result};
    StatusOr<void *> entry = exes[i]->lookup("cleave_stage_0");
    ASSERT_TRUE(entry.ok());
    ASSERT_TRUE(exes[i]->invoke(*entry, nullptr, args).ok());
    EXPECT_EQ(result, i == 0 ? 4 : i + 1);
  }
}

TEST(CpuDeviceTest, RefusesBadCode) {
  std::unique_ptr<Device> device = makeCpu();
  ASSERT_TRUE(device);
  std::vector<uint8_t> so = compile(constantCode(1));

  StatusOr<std::unique_ptr<Executable>> wrongKind =
      device->loadExecutable(so.data(), so.size(), "cuda-cubin");
  ASSERT_FALSE(wrongKind.ok());
  EXPECT_EQ(wrongKind.status().message(),
            "the cpu device cannot load code of kind 'cuda-cubin' (expected "
            "'cpu-elf-so')");

  std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  StatusOr<std::unique_ptr<Executable>> notElf = load(*device, text);
  ASSERT_FALSE(notElf.ok());
  EXPECT_EQ(notElf.status().message(), "code is not an ELF shared object");

  std::vector<uint8_t> truncated(so.begin(), so.begin() + 200);
  StatusOr<std::unique_ptr<Executable>> broken = load(*device, truncated);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(
      broken.status().message().rfind("cannot load the shared object: ", 0), 0u)
      << broken.status().message();

  StatusOr<std::unique_ptr<Executable>> noAbi =
      load(*device, compile("void cleave_stage_0(void *c, void **a) {}\n"));
  ASSERT_FALSE(noAbi.ok());
  EXPECT_EQ(noAbi.status().message(),
            "code does not export cleave_abi_version (not built by "
            "cleave-compile?)");

  StatusOr<std::unique_ptr<Executable>> newAbi =
      load(*device, compile(testing::abiVersionSource(CLEAVE_ABI_VERSION + 8)));
  ASSERT_FALSE(newAbi.ok());
  EXPECT_EQ(newAbi.status().code(), StatusCode::FailedPrecondition);
}

// cuda and rocm have backends of their own (gpu_devices_test.cc).
TEST(CpuDeviceTest, OtherDeviceKinds) {
  StatusOr<std::unique_ptr<Device>> tpu = createDevice("tpu", 0, {});
  ASSERT_FALSE(tpu.ok());
  EXPECT_EQ(tpu.status().message(),
            "unknown device kind 'tpu' (expected cpu, cuda or rocm)");
}

} // namespace
} // namespace hal
} // namespace cleave
