// Devices a plan runs on: parsing --devices and the device file, default capabilities.
#include "compiler/partition/DeviceSpec.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace cleave;

std::string DeviceSpec::name() const { return kind + ":" + std::to_string(index); }

DeviceSpec cleave::defaultDeviceSpec(llvm::StringRef kind, int64_t index) {
  DeviceSpec d;
  d.kind = kind.str();
  d.index = index;
  if (kind == "cpu") {
    // One core of the project's Zen 4 machines running Cleave's generated code, measured
    // per op kind with `cleave-run --profile` on resnet18's layers, in a pipeline stage
    // (docs/partitioning.md): convolutions with 128 or more output channels run at about
    // 78 GFLOP/s (the tiled matmul alone reaches ~95 when its weights stay in cache; the
    // peak is 116), those with 64 (the stem and layer1) at 0.86 of that, and max pooling,
    // which is not vectorised, at about 1.7 GFLOP/s. A single core streams about 40 GB/s.
    d.gflops = 78;
    d.narrowMatmulEfficiency = 0.86;
    d.windowEfficiency = 0.042;
    d.bandwidthGBs = 40;
    d.memoryBytes = int64_t(8) << 30;
  } else {
    // An assumption, not a measurement (no GPU was available to calibrate it): a
    // data-centre GPU (H100/MI300 class) running Cleave's generated kernels, which are
    // plain SIMT loops (one thread per output element, reductions sequential in it, no
    // tensor cores, no shared-memory tiling), hence far below the chips' fp32 peak
    // (~60 TFLOP/s) and memory bandwidth (3+ TB/s). Copies to and from the host go over
    // PCIe at about 25 GB/s (Gen4 x16, sustained). See docs/partitioning.md.
    d.gflops = 2000;
    d.bandwidthGBs = 1000;
    d.memoryBytes = int64_t(64) << 30;
    d.hostBandwidthGBs = 25;
  }
  return d;
}

bool cleave::parseDeviceList(llvm::StringRef list, std::vector<DeviceSpec> &devices,
                             std::string &error) {
  devices.clear();
  if (list.empty()) {
    error = "--devices is required, e.g. --devices=cpu:0";
    return false;
  }
  llvm::SmallVector<llvm::StringRef> items;
  list.split(items, ',');
  for (llvm::StringRef item : items) {
    auto [kind, range] = item.trim().split(':');
    if (kind != "cpu" && kind != "cuda" && kind != "rocm") {
      error =
          ("unknown device kind '" + kind + "' in --devices (expected cpu, cuda or rocm)").str();
      return false;
    }
    auto [first, last] = range.split('-');
    int64_t a = 0, b = 0;
    if (first.getAsInteger(10, a) || a < 0) {
      error = ("bad device index in '" + item + "' (expected KIND:INDEX or KIND:A-B)").str();
      return false;
    }
    b = a;
    if (!last.empty() && (last.getAsInteger(10, b) || b < a)) {
      error = ("bad device range in '" + item + "' (expected KIND:A-B with A <= B)").str();
      return false;
    }
    for (int64_t i = a; i <= b; ++i) {
      // Several ranks may share one GPU (each process has its own context on it); a CPU
      // listed twice is a mistake.
      for (const DeviceSpec &d : devices)
        if (kind == "cpu" && d.kind == kind && d.index == i) {
          error = "device '" + d.name() + "' is listed twice in --devices";
          return false;
        }
      devices.push_back(defaultDeviceSpec(kind, i));
    }
  }
  return true;
}

namespace {

/// Reads an optional positive number `key` of `object` into `out`.
bool readPositive(const llvm::json::Object &object, llvm::StringRef key, llvm::StringRef where,
                  double &out, std::string &error) {
  const llvm::json::Value *v = object.get(key);
  if (!v)
    return true;
  std::optional<double> n = v->getAsNumber();
  if (!n || *n <= 0) {
    error = ("device file: " + where + ": '" + key + "' must be a positive number").str();
    return false;
  }
  out = *n;
  return true;
}

} // namespace

bool cleave::applyDeviceFile(llvm::StringRef path, Cluster &cluster, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = ("cannot read device file '" + path + "': " + buffer.getError().message()).str();
    return false;
  }
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed) {
    error = ("device file '" + path + "' is not valid JSON: " + llvm::toString(parsed.takeError()))
                .str();
    return false;
  }
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root) {
    error = ("device file '" + path + "' must hold a JSON object").str();
    return false;
  }
  for (const auto &[key, value] : *root)
    if (key != "devices" && key != "link") {
      error = ("device file: unknown key '" + llvm::StringRef(key) + "' (expected devices, link)")
                  .str();
      return false;
    }
  if (const llvm::json::Value *link = root->get("link")) {
    const llvm::json::Object *o = link->getAsObject();
    if (!o) {
      error = "device file: 'link' must be an object";
      return false;
    }
    for (const auto &[key, value] : *o)
      if (key != "bandwidth_gbs" && key != "latency_us") {
        error = ("device file: link: unknown key '" + llvm::StringRef(key) +
                 "' (expected bandwidth_gbs, latency_us)")
                    .str();
        return false;
      }
    if (!readPositive(*o, "bandwidth_gbs", "link", cluster.link.bandwidthGBs, error) ||
        !readPositive(*o, "latency_us", "link", cluster.link.latencyUs, error))
      return false;
  }
  const llvm::json::Value *devices = root->get("devices");
  if (!devices)
    return true;
  const llvm::json::Array *array = devices->getAsArray();
  if (!array) {
    error = "device file: 'devices' must be an array";
    return false;
  }
  for (const llvm::json::Value &entry : *array) {
    const llvm::json::Object *o = entry.getAsObject();
    std::optional<llvm::StringRef> name = o ? o->getString("device") : std::nullopt;
    if (!name) {
      error = "device file: each device entry needs \"device\": \"KIND:INDEX\"";
      return false;
    }
    // A GPU listed several times (ranks sharing it) takes the entry at each place.
    std::vector<DeviceSpec *> targets;
    for (DeviceSpec &d : cluster.devices)
      if (d.name() == *name)
        targets.push_back(&d);
    if (targets.empty()) {
      error = ("device file names device '" + *name + "', which is not in --devices").str();
      return false;
    }
    std::string where = ("device '" + *name + "'").str();
    for (const auto &[key, value] : *o)
      if (key != "device" && key != "gflops" && key != "bandwidth_gbs" &&
          key != "memory_bytes" && key != "host_bandwidth_gbs" &&
          key != "narrow_matmul_efficiency" && key != "window_efficiency") {
        error = ("device file: " + where + ": unknown key '" + llvm::StringRef(key) +
                 "' (expected gflops, bandwidth_gbs, memory_bytes, host_bandwidth_gbs, "
                 "narrow_matmul_efficiency, window_efficiency)")
                    .str();
        return false;
      }
    if (o->get("host_bandwidth_gbs") && targets.front()->kind == "cpu") {
      error = "device file: " + where +
              ": 'host_bandwidth_gbs' applies to GPUs only (a cpu stage's data is in host "
              "memory)";
      return false;
    }
    for (DeviceSpec *target : targets) {
      double memory = static_cast<double>(target->memoryBytes);
      if (!readPositive(*o, "gflops", where, target->gflops, error) ||
          !readPositive(*o, "bandwidth_gbs", where, target->bandwidthGBs, error) ||
          !readPositive(*o, "memory_bytes", where, memory, error) ||
          !readPositive(*o, "host_bandwidth_gbs", where, target->hostBandwidthGBs, error) ||
          !readPositive(*o, "narrow_matmul_efficiency", where, target->narrowMatmulEfficiency,
                        error) ||
          !readPositive(*o, "window_efficiency", where, target->windowEfficiency, error))
        return false;
      // An efficiency is a fraction of `gflops`: above 1 the op class would be faster than
      // the device's rate, which the calibration never measures.
      if (target->narrowMatmulEfficiency > 1 || target->windowEfficiency > 1) {
        error = "device file: " + where +
                ": 'narrow_matmul_efficiency' and 'window_efficiency' must be at most 1";
        return false;
      }
      target->memoryBytes = static_cast<int64_t>(memory);
    }
  }
  return true;
}

bool cleave::makeCluster(llvm::StringRef list, llvm::StringRef deviceFile, Cluster &cluster,
                         std::string &error) {
  cluster = Cluster();
  if (!parseDeviceList(list, cluster.devices, error))
    return false;
  return deviceFile.empty() || applyDeviceFile(deviceFile, cluster, error);
}
