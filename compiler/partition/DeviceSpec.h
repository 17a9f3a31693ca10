// Devices a plan runs on: the --devices list and the capabilities the cost model assumes.
#ifndef CLEAVE_COMPILER_PARTITION_DEVICESPEC_H
#define CLEAVE_COMPILER_PARTITION_DEVICESPEC_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cleave {

/// One device of a plan (one MPI rank) and what the cost model assumes of it.
struct DeviceSpec {
  std::string kind; ///< cpu, cuda or rocm
  int64_t index = 0;
  double gflops = 0;       ///< sustained compute throughput, GFLOP/s (matmul-like ops)
  double bandwidthGBs = 0; ///< memory bandwidth, GB/s (1e9 bytes per second)
  int64_t memoryBytes = 0; ///< memory available for parameters and activations
  /// Bandwidth of copies between the device and host memory, GB/s: a GPU stage's
  /// transfers to and from other stages go through the host. 0 for host devices (no copy).
  double hostBandwidthGBs = 0;
  /// The fraction of `gflops` generated code reaches on matmul-like ops with fewer than
  /// kWideColumns output columns (CostModel.h).
  double narrowMatmulEfficiency = 1;
  /// The fraction of `gflops` reached on pooling windows (one op per window element).
  double windowEfficiency = 1;

  /// `kind:index`, as written in --devices.
  std::string name() const;
};

/// The link between consecutive stages (one for the whole plan).
struct LinkSpec {
  double bandwidthGBs = 8; ///< GB/s
  double latencyUs = 20;   ///< microseconds per message
};

/// The devices of a plan, in rank order, and the link between them.
struct Cluster {
  std::vector<DeviceSpec> devices;
  LinkSpec link;
};

/// The capabilities assumed for a device of `kind` when no device file says otherwise.
DeviceSpec defaultDeviceSpec(llvm::StringRef kind, int64_t index);

/// Parses a --devices list (comma-separated KIND:INDEX or KIND:A-B) into devices with the
/// default capabilities. On failure returns false with a one-line `error`.
bool parseDeviceList(llvm::StringRef list, std::vector<DeviceSpec> &devices, std::string &error);

/// Applies a device file (JSON, format in docs/partitioning.md) to `cluster`: entries name
/// devices of the list (`"device": "cpu:1"`) and override some of their capabilities; `link`
/// overrides the link. On failure returns false with a one-line `error`.
bool applyDeviceFile(llvm::StringRef path, Cluster &cluster, std::string &error);

/// Builds a cluster from a --devices list and an optional device file (empty: none).
bool makeCluster(llvm::StringRef list, llvm::StringRef deviceFile, Cluster &cluster,
                 std::string &error);

} // namespace cleave

#endif // CLEAVE_COMPILER_PARTITION_DEVICESPEC_H
