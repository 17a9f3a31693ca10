//===- cuda_device.h - NVIDIA GPUs through the CUDA driver API ------------===//

#ifndef CLEAVE_RUNTIME_HAL_CUDA_CUDA_DEVICE_H
#define CLEAVE_RUNTIME_HAL_CUDA_CUDA_DEVICE_H

#include "hal/hal.h"

namespace cleave {
namespace hal {

/// The NVIDIA GPU `cuda:index`. libcuda.so.1 is loaded with dlopen on first
/// use, so the runtime has no link-time dependency on it; without a driver (or
/// a device of that index) this fails with FailedPrecondition, naming the
/// device and what is missing.
StatusOr<std::unique_ptr<Device>> createCudaDevice(int index);

/// As createCudaDevice, loading the driver library from `library` (tests).
StatusOr<std::unique_ptr<Device>> createCudaDevice(int index,
                                                   const char *library);

} // namespace hal
} // namespace cleave

#endif // CLEAVE_RUNTIME_HAL_CUDA_CUDA_DEVICE_H
