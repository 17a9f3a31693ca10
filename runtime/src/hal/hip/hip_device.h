//===- hip_device.h - AMD GPUs through HIP's module API -------------------===//

#ifndef CLEAVE_RUNTIME_HAL_HIP_HIP_DEVICE_H
#define CLEAVE_RUNTIME_HAL_HIP_HIP_DEVICE_H

#include "hal/hal.h"

namespace cleave {
namespace hal {

/// The AMD GPU `rocm:index`. libamdhip64.so is loaded with dlopen on first
/// use, so the runtime has no link-time dependency on it; without HIP (or a
/// device of that index) this fails with FailedPrecondition, naming the device
/// and what is missing.
StatusOr<std::unique_ptr<Device>> createHipDevice(int index);

/// As createHipDevice, loading HIP from `library` (tests).
StatusOr<std::unique_ptr<Device>> createHipDevice(int index,
                                                  const char *library);

} // namespace hal
} // namespace cleave

#endif // CLEAVE_RUNTIME_HAL_HIP_HIP_DEVICE_H
