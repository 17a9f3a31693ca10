//===- hal.h - Hardware abstraction layer for device backends -------------===//
//
// A Device allocates memory and loads code; an Executable finds and calls
// entry points or kernels. The CPU backend lives in hal/cpu, the CUDA and HIP
// backends in hal/cuda and hal/hip; the GPU drivers are loaded with dlopen, so
// one runtime binary runs with or without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_HAL_HAL_H
#define CLEAVE_RUNTIME_HAL_HAL_H

#include "cleave/runtime.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cleave {
namespace hal {

/// Code loaded onto a device (one code section of an artifact).
class Executable {
public:
  virtual ~Executable() = default;
  /// The exported function or object called `symbol`; NotFound if absent.
  virtual StatusOr<void *> lookup(const std::string &symbol) = 0;
  /// Calls an entry point found by lookup() with the ABI signature
  /// `void entry(void *ctx, void **args)`.
  virtual Status invoke(void *entry, void *ctx, void **args) = 0;
  /// GPU code: queues kernel `kernel` (from lookup()) on a grid of `grid`
  /// blocks of `block` threads, with `params` pointing at each argument's
  /// value (as cuLaunchKernel and hipModuleLaunchKernel take them). Kernels
  /// run in the order they are queued; the call does not wait for them (see
  /// synchronize). Host code has no kernels: Unimplemented.
  virtual Status launch(void *kernel, const uint32_t grid[3],
                        const uint32_t block[3], void **params);
  /// Waits for every queued kernel; an error is that of the first kernel that
  /// failed. Host code: nothing to wait for.
  virtual Status synchronize();
};

/// How a device is set up.
struct DeviceOptions {
  /// CPU threads the generated code may use (at least 1).
  int threads = 1;
};

/// One device of one rank.
class Device {
public:
  virtual ~Device() = default;
  /// "cpu:0", "cuda:1", ...
  virtual std::string name() const = 0;
  /// Device memory of `bytes` bytes, at least 64-byte aligned.
  virtual StatusOr<void *> allocate(size_t bytes) = 0;
  /// Frees memory from allocate(); null is ignored.
  virtual void free(void *ptr) = 0;
  /// Copies `bytes` bytes from host memory to memory from allocate(), and
  /// back. Host devices copy with memcpy; GPUs copy over the bus.
  virtual Status copyToDevice(void *device, const void *host, size_t bytes);
  virtual Status copyToHost(void *host, const void *device, size_t bytes);
  /// Loads a code section of the given section `kind` ("cpu-elf-so", ...).
  /// The bytes are copied; they need not outlive the call.
  virtual StatusOr<std::unique_ptr<Executable>>
  loadExecutable(const uint8_t *bytes, size_t size, std::string_view kind) = 0;
};

/// Creates the device `kind:index` ("cpu", "cuda", "rocm"); a kind this
/// build has no backend for fails with Unimplemented, naming it.
StatusOr<std::unique_ptr<Device>> createDevice(std::string_view kind, int index,
                                               const DeviceOptions &options);

} // namespace hal
} // namespace cleave

#endif // CLEAVE_RUNTIME_HAL_HAL_H
