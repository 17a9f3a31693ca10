//===- cpu_device.h - The host CPU device ---------------------------------===//

#ifndef CLEAVE_RUNTIME_HAL_CPU_CPU_DEVICE_H
#define CLEAVE_RUNTIME_HAL_CPU_CPU_DEVICE_H

#include "hal/hal.h"

namespace cleave {
namespace hal {

/// The host CPU as device `cpu:index`. It loads `cpu-elf-so` code sections
/// from memory, checks their ABI version, and hands `options.threads` to the
/// code's optional `void cleave_set_num_threads(int)`.
StatusOr<std::unique_ptr<Device>> createCpuDevice(int index,
                                                  const DeviceOptions &options);

} // namespace hal
} // namespace cleave

#endif // CLEAVE_RUNTIME_HAL_CPU_CPU_DEVICE_H
