// cleave-tune --calibrate: times one-op models compiled by Cleave itself (through the
// runtime's session, as a plan's stages run) and MPI transfers, and writes the device file
// the compiler reads (docs/partitioning.md, "Device file").
#include "Tune.h"

#include "cleave/runtime.h"
#include "compiler/partition/DeviceSpec.h"

#include "onnx/onnx_pb.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

using namespace cleave;
using namespace cleave::tune;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The op classes of the cost model (CostModel.h, `opClass`) a probe measures.
enum class OpClass { Matmul, NarrowMatmul, Window, Elementwise };

const char *className(OpClass c) {
  switch (c) {
  case OpClass::Matmul:
    return "matmul (>= 128 columns)";
  case OpClass::NarrowMatmul:
    return "matmul (< 128 columns)";
  case OpClass::Window:
    return "window (pooling)";
  case OpClass::Elementwise:
    return "elementwise";
  }
  return "";
}

/// A one-op model: a float32 input `x`, a weight when `weightShape` is not empty, output `y`.
struct ProbeModel {
  const char *name;
  OpClass opClass;
  std::vector<int64_t> inputShape, weightShape, outputShape;
  std::string op;
  std::function<void(onnx::NodeProto &)> attributes;
};

void addInts(onnx::NodeProto &node, const char *name, std::vector<int64_t> values) {
  onnx::AttributeProto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a->add_ints(v);
}

void setType(onnx::ValueInfoProto *value, const char *name, const std::vector<int64_t> &shape) {
  value->set_name(name);
  onnx::TypeProto_Tensor *t = value->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape)
    t->mutable_shape()->add_dim()->set_dim_value(d);
}

/// The model's bytes.
std::string buildModel(const ProbeModel &probe) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("cleave-tune");
  model.add_opset_import()->set_version(17);
  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name(probe.name);
  setType(graph->add_input(), "x", probe.inputShape);
  onnx::NodeProto *node = graph->add_node();
  node->set_op_type(probe.op);
  node->set_name(probe.name);
  node->add_input("x");
  if (probe.op == "Add") {
    node->add_input("x");
  } else if (!probe.weightShape.empty()) {
    node->add_input("w");
    onnx::TensorProto *w = graph->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (int64_t d : probe.weightShape) {
      w->add_dims(d);
      count *= d;
    }
    // Small deterministic values: the data does not change the time, only denormals would.
    std::vector<float> data(static_cast<size_t>(count));
    uint32_t state = 12345;
    for (float &v : data) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>((state >> 9) & 0xffff) / 65536.0f - 0.5f;
    }
    w->set_raw_data(data.data(), data.size() * sizeof(float));
  }
  node->add_output("y");
  if (probe.attributes)
    probe.attributes(*node);
  setType(graph->add_output(), "y", probe.outputShape);
  return model.SerializeAsString();
}

/// The probes, sized so that each call takes about a millisecond on one core and its
/// weights are of the sizes a pipeline stage streams.
std::vector<ProbeModel> probes() {
  auto conv = [](onnx::NodeProto &n) {
    addInts(n, "kernel_shape", {3, 3});
    addInts(n, "pads", {1, 1, 1, 1});
  };
  return {
      {"matmul_128x1024x1024", OpClass::Matmul, {128, 1024}, {1024, 1024}, {128, 1024}, "MatMul", nullptr},
      {"conv3x3_128ch_28x28", OpClass::Matmul, {1, 128, 28, 28}, {128, 128, 3, 3},
       {1, 128, 28, 28}, "Conv", conv},
      {"conv3x3_64ch_56x56", OpClass::NarrowMatmul, {1, 64, 56, 56}, {64, 64, 3, 3},
       {1, 64, 56, 56}, "Conv",
       conv},
      {"maxpool3x3s2_64ch_112x112", OpClass::Window, {1, 64, 112, 112}, {},
       {1, 64, 56, 56}, "MaxPool",
       [](onnx::NodeProto &n) {
         addInts(n, "kernel_shape", {3, 3});
         addInts(n, "strides", {2, 2});
         addInts(n, "pads", {1, 1, 1, 1});
       }},
      {"add_512x1024", OpClass::Elementwise, {512, 1024}, {}, {512, 1024}, "Add",
       nullptr},
  };
}

/// One probe's result: the cost model's counts of the op and its measured time per call.
struct ProbeResult {
  int64_t flops = 0, bytes = 0;
  double seconds = 0;
};

/// Compiles the probe for cpu:0, runs it through a session for about `slice` seconds after a
/// warm-up and keeps the median call.
bool runProbe(const ProbeModel &probe, const CalibrateOptions &options, double slice,
              const std::string &dir, ProbeResult &result, std::string &error) {
  CompileOptions compile;
  compile.modelPath = std::string(probe.name) + ".onnx";
  compile.modelBytes = buildModel(probe);
  compile.devices = "cpu:0";
  compile.cpu = options.cpu;
  CompileResult compiled = cleave::compile(compile);
  if (!compiled.ok()) {
    error = std::string("probe ") + probe.name + " does not compile: " + compiled.error;
    return false;
  }
  result.flops = compiled.plan.stages.at(0).flops;
  // Bytes as the cost model counts them (operands and results); the plan keeps FLOPs only,
  // so they are counted here the same way: every float32 operand and result.
  auto elements = [](const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  };
  std::string path = dir + "/" + probe.name + ".cleave";
  {
    std::ofstream file(path, std::ios::binary);
    file << compiled.artifact;
    if (!file) {
      error = "cannot write '" + path + "'";
      return false;
    }
  }
  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(path);
  if (!opened.ok()) {
    error = std::string("probe ") + probe.name + ": " + opened.status().message();
    return false;
  }
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  int64_t outputElements = elements(artifact->outputs().at(0).shape);
  result.bytes = 4 * (elements(probe.inputShape) * (probe.op == "Add" ? 2 : 1) +
                      (probe.weightShape.empty() ? 0 : elements(probe.weightShape)) +
                      outputElements);
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(artifact, SessionOptions(options.threads));
  if (!session.ok()) {
    error = std::string("probe ") + probe.name + ": " + session.status().message();
    return false;
  }
  std::vector<Tensor> inputs, outputs;
  StatusOr<Tensor> x = Tensor::create(DType::Float32, probe.inputShape);
  if (!x.ok()) {
    error = x.status().message();
    return false;
  }
  inputs.push_back(std::move(x).value());
  std::vector<double> times;
  Clock::time_point start = Clock::now();
  for (int i = 0; i < 1 + 200 && (i < 4 || since(start) < slice); ++i) {
    Clock::time_point t = Clock::now();
    Status status = (*session)->run(inputs, &outputs);
    if (!status.ok()) {
      error = std::string("probe ") + probe.name + ": " + status.message();
      return false;
    }
    if (i > 0) // the first call is the warm-up
      times.push_back(since(t));
  }
  std::sort(times.begin(), times.end());
  result.seconds = times[times.size() / 2];
  return true;
}

/// The figures one device contributes to the device file.
struct DeviceFigures {
  double gflops = 0, narrow = 0, window = 0, bandwidthGBs = 0, memoryBytes = 0;
};

/// Link figures between ranks 0 and 1, and one all-reduce over every rank.
struct LinkFigures {
  double latencyUs = 0, bandwidthGBs = 0, allReduceMs = 0, allReduceBytes = 0;
};

/// Ping-pong between ranks 0 and 1 (others wait), then an all-reduce over all ranks.
LinkFigures measureLink(int rank, int size) {
  LinkFigures f;
  auto pingPong = [&](std::vector<char> &buffer, int iterations) {
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    int n = static_cast<int>(buffer.size());
    for (int i = 0; i < iterations; ++i) {
      if (rank == 0) {
        MPI_Send(buffer.data(), n, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buffer.data(), n, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else if (rank == 1) {
        MPI_Recv(buffer.data(), n, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buffer.data(), n, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      }
    }
    return (MPI_Wtime() - start) / (2.0 * iterations); // one way
  };
  std::vector<char> small(8), large(size_t(4) << 20);
  pingPong(small, 20); // warm-up
  f.latencyUs = pingPong(small, 200) * 1e6;
  pingPong(large, 2);
  double oneWay = pingPong(large, 10);
  f.bandwidthGBs = large.size() / oneWay / 1e9;
  std::vector<float> in(size_t(1) << 20, 1.0f), out(in.size());
  MPI_Allreduce(in.data(), out.data(), static_cast<int>(in.size()), MPI_FLOAT, MPI_SUM,
                MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  double start = MPI_Wtime();
  for (int i = 0; i < 5; ++i)
    MPI_Allreduce(in.data(), out.data(), static_cast<int>(in.size()), MPI_FLOAT, MPI_SUM,
                  MPI_COMM_WORLD);
  f.allReduceMs = (MPI_Wtime() - start) / 5 * 1e3;
  f.allReduceBytes = in.size() * sizeof(float);
  return f;
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

} // namespace

bool cleave::tune::calibrate(const CalibrateOptions &options, std::string &error) {
  Cluster cluster;
  if (!makeCluster(options.devices, "", cluster, error))
    return false;
  for (const DeviceSpec &d : cluster.devices)
    if (d.kind != "cpu") {
      error = "--calibrate measures cpu devices only; give the figures of '" + d.name() +
              "' in a device file by hand (docs/partitioning.md)";
      return false;
    }
  int devices = static_cast<int>(cluster.devices.size());

  // Under mpirun each rank measures its own device while the others measure theirs, as the
  // stages of a plan share the machine; alone, one process measures and its figures stand
  // for every device listed.
  bool mpi = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE");
  int rank = 0, size = 1;
  if (mpi) {
    MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 1 && size != devices) {
      error = "--devices lists " + std::to_string(devices) + " device(s) but mpirun started " +
              std::to_string(size) + " rank(s): run one rank per device, or one process";
      MPI_Finalize();
      if (rank != 0)
        error.clear();
      return false;
    }
  }
  // Every rank meets the same errors; rank 0 alone reports them (`error` left empty
  // elsewhere), so that a job prints one line.
  auto finish = [&](bool ok) {
    if (mpi)
      MPI_Finalize();
    if (!ok && rank != 0)
      error.clear();
    return ok;
  };

  char dirTemplate[] = "/tmp/cleave-tune.XXXXXX";
  if (!mkdtemp(dirTemplate)) {
    error = "cannot create a temporary directory in /tmp";
    return finish(false);
  }
  std::string dir = dirTemplate;
  std::error_code ignored;

  Clock::time_point start = Clock::now();
  std::vector<ProbeModel> models = probes();
  // Each probe's timed slice: a tenth of the budget, at most half a second.
  double slice = std::min(0.5, options.budgetSeconds / 10);
  std::vector<ProbeResult> results(models.size());
  std::string probeError;
  int failed = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    // Rank 0 decides whether the budget allows another probe, so that all ranks agree.
    int go = since(start) < options.budgetSeconds ? 1 : 0;
    if (mpi)
      MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go) {
      error = "calibration budget of " + number(options.budgetSeconds) +
              " s exhausted after " + std::to_string(i) + " of " +
              std::to_string(models.size()) + " probes (raise --budget-s)";
      std::filesystem::remove_all(dir, ignored);
      return finish(false);
    }
    if (!failed && !runProbe(models[i], options, slice, dir, results[i], probeError))
      failed = 1;
    int anyFailed = failed;
    if (mpi)
      MPI_Allreduce(&failed, &anyFailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (anyFailed) {
      error = failed ? probeError : "a probe failed on another rank";
      std::filesystem::remove_all(dir, ignored);
      return finish(false);
    }
  }
  std::filesystem::remove_all(dir, ignored);

  // The device's figures, in the cost model's terms: `gflops` from the wide matmul-like ops,
  // efficiencies as fractions of it, bandwidth from the elementwise op (bytes as counted).
  DeviceFigures mine;
  {
    double flops = 0, seconds = 0;
    for (size_t i = 0; i < models.size(); ++i)
      if (models[i].opClass == OpClass::Matmul) {
        flops += results[i].flops;
        seconds += results[i].seconds;
      }
    mine.gflops = flops / seconds / 1e9;
    for (size_t i = 0; i < models.size(); ++i) {
      double rate = results[i].flops / results[i].seconds / 1e9;
      if (models[i].opClass == OpClass::NarrowMatmul)
        mine.narrow = std::min(1.0, rate / mine.gflops);
      else if (models[i].opClass == OpClass::Window)
        mine.window = std::min(1.0, rate / mine.gflops);
      else if (models[i].opClass == OpClass::Elementwise)
        mine.bandwidthGBs = results[i].bytes / results[i].seconds / 1e9;
    }
    // The machine's memory, shared by the ranks on it.
    int local = 1;
    if (const char *n = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE"))
      local = std::max(1, std::atoi(n));
    else if (!mpi)
      local = devices;
    mine.memoryBytes =
        double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)) / double(local);
  }
  std::vector<double> all(5 * size);
  double row[5] = {mine.gflops, mine.narrow, mine.window, mine.bandwidthGBs, mine.memoryBytes};
  if (mpi)
    MPI_Gather(row, 5, MPI_DOUBLE, all.data(), 5, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  else
    std::copy(row, row + 5, all.begin());
  LinkFigures link;
  bool haveLink = mpi && size >= 2;
  if (haveLink)
    link = measureLink(rank, size);
  if (rank != 0)
    return finish(true);

  std::printf("cleave-tune: calibrating %d device(s), %s, %d thread(s) per rank\n", devices,
              haveLink ? ("one rank each (" + std::to_string(size) + " ranks)").c_str()
                       : "one process for all",
              options.threads);
  std::printf("rank 0 probes (the compiler's own generated code, median of calls):\n");
  std::printf("  %-26s %-24s %9s %9s %9s %9s\n", "probe", "op class", "MFLOP", "MB", "ms",
              "GFLOP/s");
  for (size_t i = 0; i < models.size(); ++i)
    std::printf("  %-26s %-24s %9.1f %9.1f %9.3f %9.2f\n", models[i].name,
                className(models[i].opClass), results[i].flops / 1e6, results[i].bytes / 1e6,
                results[i].seconds * 1e3, results[i].flops / results[i].seconds / 1e9);
  std::printf("device figures (written to %s):\n", options.output.c_str());
  std::printf("  %-8s %9s %13s %11s %14s %14s\n", "device", "gflops", "narrow_eff",
              "window_eff", "bandwidth_gbs", "memory_GiB");
  std::string json = "{\n  \"devices\": [\n";
  for (int d = 0; d < devices; ++d) {
    const double *f = &all[5 * (size == devices ? d : 0)];
    std::string name = cluster.devices[d].name();
    std::printf("  %-8s %9.2f %13.3f %11.4f %14.2f %14.2f\n", name.c_str(), f[0], f[1], f[2],
                f[3], f[4] / double(1 << 30));
    json += "    { \"device\": \"" + name + "\", \"gflops\": " + number(f[0]) +
            ", \"narrow_matmul_efficiency\": " + number(f[1]) +
            ", \"window_efficiency\": " + number(f[2]) +
            ", \"bandwidth_gbs\": " + number(f[3]) +
            ", \"memory_bytes\": " + std::to_string(int64_t(f[4])) + " }" +
            (d + 1 < devices ? "," : "") + "\n";
  }
  json += "  ]";
  if (haveLink) {
    std::printf("link (ranks 0 and 1): latency %.2f us, bandwidth %.2f GB/s (4 MiB messages); "
                "all-reduce of %.0f MiB over %d ranks: %.3f ms (%.2f GB/s)\n",
                link.latencyUs, link.bandwidthGBs, link.allReduceBytes / 1048576.0, size,
                link.allReduceMs, link.allReduceBytes / (link.allReduceMs * 1e-3) / 1e9);
    json += ",\n  \"link\": { \"bandwidth_gbs\": " + number(link.bandwidthGBs) +
            ", \"latency_us\": " + number(link.latencyUs) + " }";
  } else {
    std::printf("link: not measured (run under mpirun -np %d to measure it); the compiler "
                "keeps its default\n",
                std::max(devices, 2));
  }
  json += "\n}\n";
  std::ofstream file(options.output);
  file << json;
  file.close();
  if (!file) {
    error = "cannot write '" + options.output + "'";
    return finish(false);
  }
  return finish(true);
}
