//===- hal.cc - Choosing a device backend by kind -------------------------===//

#include "hal/hal.h"

#include "hal/cpu/cpu_device.h"
#include "hal/cuda/cuda_device.h"
#include "hal/hip/hip_device.h"

#include <cstring>

namespace cleave {
namespace hal {

Status Executable::launch(void *, const uint32_t[3], const uint32_t[3],
                          void **) {
  return unimplementedError("this code has no GPU kernels to launch");
}

Status Executable::synchronize() { return Status(); }

Status Device::copyToDevice(void *device, const void *host, size_t bytes) {
  if (bytes)
    std::memcpy(device, host, bytes);
  return Status();
}

Status Device::copyToHost(void *host, const void *device, size_t bytes) {
  if (bytes)
    std::memcpy(host, device, bytes);
  return Status();
}

StatusOr<std::unique_ptr<Device>> createDevice(std::string_view kind, int index,
                                               const DeviceOptions &options) {
  if (kind == "cpu")
    return createCpuDevice(index, options);
  if (kind == "cuda")
    return createCudaDevice(index);
  if (kind == "rocm")
    return createHipDevice(index);
  return invalidArgumentError("unknown device kind '" + std::string(kind) +
                              "' (expected cpu, cuda or rocm)");
}

} // namespace hal
} // namespace cleave
