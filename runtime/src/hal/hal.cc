//===- hal.cc - Choosing a device backend by kind -------------------------===//

#include "hal/hal.h"

#include "hal/cpu/cpu_device.h"

namespace cleave {
namespace hal {

StatusOr<std::unique_ptr<Device>> createDevice(std::string_view kind, int index,
                                               const DeviceOptions &options) {
  if (kind == "cpu")
    return createCpuDevice(index, options);
  if (kind == "cuda" || kind == "rocm")
    return unimplementedError("device kind '" + std::string(kind) +
                              "' has no backend in this runtime yet (only "
                              "cpu is supported)");
  return invalidArgumentError("unknown device kind '" + std::string(kind) +
                              "' (expected cpu, cuda or rocm)");
}

} // namespace hal
} // namespace cleave
