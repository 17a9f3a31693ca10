//===- gpu_program.h - Replaying a GPU stage's gpu_program ----------------===//
//
// A GPU stage has no host code: the manifest's gpu_program lists its device
// buffers and kernel launches (docs/artifact-format.md, "GPU stages"). The
// runner sets the buffers up once and, per microbatch, moves the stage's
// arguments between host and device around the launches.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_GPU_PROGRAM_H
#define CLEAVE_RUNTIME_CORE_GPU_PROGRAM_H

#include "cleave/runtime.h"
#include "core/manifest.h"
#include "hal/hal.h"

#include <memory>
#include <vector>

namespace cleave {

/// Runs one stage's gpu_program on a device through the HAL.
class GpuProgramRunner {
public:
  /// Allocates every buffer on `device` (sized for one microbatch of
  /// `microbatches`), copies the parameters and constants to it once, looks up
  /// every kernel in `executable` and packs each launch's arguments. Both
  /// `device` and `executable` must outlive the runner; errors name the
  /// kernel, buffer or parameter at fault.
  static StatusOr<std::unique_ptr<GpuProgramRunner>>
  create(const Artifact &artifact, const StageDesc &stage, int microbatches,
         hal::Device &device, hal::Executable &executable);
  ~GpuProgramRunner();
  GpuProgramRunner(const GpuProgramRunner &) = delete;
  GpuProgramRunner &operator=(const GpuProgramRunner &) = delete;

  /// One microbatch: `args` are the stage's host buffers in manifest args
  /// order (as a CPU entry point gets them). Inputs and received tensors are
  /// copied to the device, the launches are queued in order and waited for
  /// once, then outputs and sent tensors are copied back into their host
  /// buffers. Parameters are not copied again. A collective step waits for
  /// the kernels before it, moves its input to the host, calls the runtime
  /// table of `ctx` (a cleave_stage_context, as generated CPU code does; its
  /// failures are recorded there) and moves the result to the device.
  Status run(void *const *args, void *ctx = nullptr);

private:
  GpuProgramRunner(hal::Device &device, hal::Executable &executable)
      : device_(device), executable_(executable) {}

  /// A stage arg's device buffer and which way it moves around a run.
  struct ArgCopy {
    size_t arg = 0;
    void *device = nullptr;
    size_t bytes = 0;
  };
  struct PackedLaunch {
    const GpuLaunch *launch = nullptr;
    void *kernel = nullptr;
    /// Collectives: host copies of the input and the result.
    std::vector<uint8_t> hostIn, hostOut;
    /// One 8-byte slot per kernel argument (a device address or a scalar's
    /// bits in its low bytes: the HAL targets are little-endian), and the
    /// pointers to them that the launch takes.
    std::vector<uint64_t> slots;
    std::vector<void *> params;
  };

  /// Waits for the queued kernels.
  Status waitForKernels();
  /// Runs collective step `packed` through `ctx`'s runtime table.
  Status runCollective(PackedLaunch &packed, void *ctx);

  hal::Device &device_;
  hal::Executable &executable_;
  std::vector<void *> buffers_; ///< device memory, one per gpu_program buffer
  std::vector<size_t> bufferBytes_;
  std::vector<ArgCopy> toDevice_;
  std::vector<ArgCopy> toHost_;
  std::vector<PackedLaunch> launches_;
};

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_GPU_PROGRAM_H
