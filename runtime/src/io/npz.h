//===- npz.h - numpy .npz archives (uncompressed) -------------------------===//
//
// numpy.savez writes a zip archive of .npy members stored without
// compression; that is what is read and written here. Compressed members
// (numpy.savez_compressed) are refused with a message saying so: the runtime
// carries no inflate.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_IO_NPZ_H
#define CLEAVE_RUNTIME_IO_NPZ_H

#include "cleave/runtime.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cleave {
namespace io {

/// One array of an archive: its name without ".npy", and its data.
using NamedTensor = std::pair<std::string, Tensor>;

/// Reads every member of the .npz file at `path`, in archive order, refusing
/// members of more than `maxDataBytes` of data; errors start with
/// "'<path>': ".
StatusOr<std::vector<NamedTensor>> readNpz(const std::string &path,
                                           uint64_t maxDataBytes);

/// Encodes `arrays` as an uncompressed .npz image (member NAME.npy each), as
/// numpy.savez writes it; numpy.load reads it back.
std::vector<uint8_t> encodeNpz(const std::vector<NamedTensor> &arrays);

} // namespace io
} // namespace cleave

#endif // CLEAVE_RUNTIME_IO_NPZ_H
