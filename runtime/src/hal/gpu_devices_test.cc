//===- gpu_devices_test.cc - The CUDA and HIP backends without a GPU ------===//
//
// The build machines have no GPU and no libcuda: the backends must fail with
// one clear error naming the device, and never crash. On a machine with a GPU
// the real-driver cases check only that a failure, if any, names the device.
//
//===----------------------------------------------------------------------===//

#include "hal/cuda/cuda_device.h"
#include "hal/hip/hip_device.h"

#include <gtest/gtest.h>

namespace cleave {
namespace hal {
namespace {

TEST(CudaDeviceTest, MissingDriverFailsCleanly) {
  auto device = createCudaDevice(0, "libcleave-no-such-cuda.so.1");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(device.status().message(),
            "cuda:0: cannot load libcleave-no-such-cuda.so.1 (no NVIDIA "
            "driver on this machine)");
}

// A library that loads but is not the driver (here the C library).
TEST(CudaDeviceTest, LibraryWithoutTheDriverApiFailsCleanly) {
  auto device = createCudaDevice(0, "libc.so.6");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(device.status().message(),
            "cuda:0: libc.so.6 has no cuInit (driver too old?)");
}

TEST(CudaDeviceTest, RealDriverFailureNamesTheDevice) {
  auto device = createDevice("cuda", 3, DeviceOptions{});
  if (device.ok()) {
    EXPECT_EQ((*device)->name(), "cuda:3");
    return;
  }
  EXPECT_EQ(device.status().message().rfind("cuda:3: ", 0), 0u)
      << device.status().message();
}

TEST(HipDeviceTest, MissingLibraryFailsCleanly) {
  auto device = createHipDevice(1, "libcleave-no-such-amdhip64.so");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(device.status().message(),
            "rocm:1: cannot load libcleave-no-such-amdhip64.so (no ROCm HIP "
            "runtime on this machine)");
}

TEST(HipDeviceTest, LibraryWithoutHipFailsCleanly) {
  auto device = createHipDevice(2, "libc.so.6");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::FailedPrecondition);
  EXPECT_EQ(device.status().message(), "rocm:2: libc.so.6 has no hipInit");
}

TEST(HipDeviceTest, RealRuntimeFailureNamesTheDevice) {
  auto device = createDevice("rocm", 0, DeviceOptions{});
  if (device.ok()) {
    EXPECT_EQ((*device)->name(), "rocm:0");
    return;
  }
  EXPECT_EQ(device.status().message().rfind("rocm:0: ", 0), 0u)
      << device.status().message();
}

TEST(HalTest, HostDevicesCopyWithMemcpy) {
  auto device = createDevice("cpu", 0, DeviceOptions{});
  ASSERT_TRUE(device.ok());
  auto buffer = (*device)->allocate(4);
  ASSERT_TRUE(buffer.ok());
  int value = 42, back = 0;
  ASSERT_TRUE((*device)->copyToDevice(*buffer, &value, 4).ok());
  ASSERT_TRUE((*device)->copyToHost(&back, *buffer, 4).ok());
  EXPECT_EQ(back, 42);
  (*device)->free(*buffer);
}

} // namespace
} // namespace hal
} // namespace cleave
