//===- manifest.h - The artifact manifest's schema ------------------------===//
//
// The manifest is the JSON part of a `.cleave` file (docs/artifact-format.md).
// This reads it into typed descriptions and checks everything that does not
// need the file itself: types, ranges, unique names and cross-references.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_MANIFEST_H
#define CLEAVE_RUNTIME_CORE_MANIFEST_H

#include "cleave/runtime.h"

#include <optional>
#include <string_view>
#include <vector>

namespace cleave {

/// A device buffer of a GPU stage (manifest "stages[].gpu_program.buffers").
struct GpuBufferDesc {
  /// Arg: the stage's args[index], copied to the device before the launches
  /// (inputs, parameters, received tensors) or back after them (outputs,
  /// sent tensors). Temp: `size` bytes, contents undefined. Constant: `size`
  /// bytes at `offset` of section `section`, copied to the device once.
  enum class Kind { Arg, Temp, Constant };
  Kind kind = Kind::Temp;
  int index = 0; ///< Arg only
  std::string section; ///< Constant only
  uint64_t offset = 0; ///< Constant only
  uint64_t size = 0;   ///< Temp and Constant
};

/// One kernel parameter of a launch: a buffer's device address or a scalar.
struct GpuKernelArg {
  enum class Type { Ptr, I64, I32, I16, I8, I1, F32, F64 };
  Type type = Type::Ptr;
  int buffer = 0; ///< Ptr: index into GpuProgram::buffers
  /// Scalars: the value's bytes (two's complement for integers, the IEEE bit
  /// pattern for floats), in the low bytes of the type's size.
  uint64_t bits = 0;
};

/// One step of a GPU stage (manifest "stages[].gpu_program.launches"): a
/// kernel launch, or a collective of a tensor-parallel stage over its group.
struct GpuLaunch {
  /// Kernel: `kernel` on `grid` x `block` with `args`. AllReduceSum and
  /// AllGather: `count` elements of `dtype` at buffer `in` go to the host, the
  /// collective runs over the stage's group, and the result (count elements,
  /// or group size x count for a gather) goes to buffer `out`.
  enum class Kind { Kernel, AllReduceSum, AllGather };
  Kind kind = Kind::Kernel;
  std::string kernel;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  std::vector<GpuKernelArg> args;
  int in = 0, out = 0; ///< collectives: indices into GpuProgram::buffers
  uint64_t count = 0;  ///< collectives
  DType dtype = DType::Float32; ///< collectives
};

/// How a GPU stage runs its kernels (manifest "stages[].gpu_program"): the
/// launches, in order, over the buffers.
struct GpuProgram {
  std::vector<std::string> kernels;
  std::vector<GpuBufferDesc> buffers;
  std::vector<GpuLaunch> launches;
};

/// The typed content of a manifest.
struct Manifest {
  Provenance provenance;
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  std::vector<DeviceDesc> devices;
  std::vector<ParameterDesc> parameters;
  std::vector<StageDesc> stages;
  std::vector<SectionDesc> sections;
  /// options.microbatches, 1 when absent.
  int microbatches = 1;
  /// options.dp (data-parallel replicas of the plan), 1 when absent.
  int dp = 1;
  /// options.profile_ops, false when absent.
  bool profileOps = false;
  /// Plans for other batch sizes, each checked as the main plan is.
  std::vector<PlanVariant> variants;
  /// "generation", when the artifact was compiled with --generate.
  std::optional<GenerationDesc> generation;
  /// "tuning", when cleave-tune chose the plan.
  std::optional<TuningReport> tuning;
};

/// Parses and checks manifest JSON, including the pipeline rules of
/// distributed plans (send/recv pairs between adjacent stages, inputs on the
/// first stage, outputs on the last, batch dims divisible by microbatches).
/// Errors name the field at fault, e.g. "inputs[0].shape[1]: expected a
/// non-negative integer, got \"a\"".
StatusOr<Manifest> parseManifest(std::string_view text);

} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_MANIFEST_H
