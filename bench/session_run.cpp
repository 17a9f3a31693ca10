// session_run.cpp - Session::run per call, timed: the C++ baseline of bench/python_overhead.py.
//
// usage: cleave-bench-session-run ARTIFACT.cleave --input NAME=FILE.npy... [--repeat N]
//                                 [--threads T]
// Loads the inputs into 64-byte aligned tensors and allocates the outputs once, runs once to
// warm up, then times N calls of Session::run(views, output views) one by one and prints
//   us_per_call median=M min=A max=B
// (microseconds). Errors: one line on stderr, exit status 1.
#include "cleave/runtime.h"

#include "named_inputs.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace cleave;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "cleave-bench-session-run: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string path;
  std::vector<std::string> inputSpecs;
  int repeat = 1000, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--input")
      inputSpecs.push_back(value());
    else if (arg == "--repeat")
      repeat = std::atoi(value().c_str());
    else if (arg == "--threads")
      threads = std::atoi(value().c_str());
    else if (path.empty() && arg[0] != '-')
      path = arg;
    else
      return fail("unexpected argument '" + arg + "'");
  }
  if (path.empty() || repeat < 1 || threads < 0)
    return fail("usage: cleave-bench-session-run ARTIFACT --input NAME=FILE... [--repeat N] "
                "[--threads T]");

  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(path);
  if (!opened.ok())
    return fail(opened.status().message());
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  StatusOr<std::unique_ptr<Session>> session = Session::create(artifact, SessionOptions{threads});
  if (!session.ok())
    return fail(session.status().message());

  std::vector<Tensor> inputs;
  Status read = cleave::bench::readNamedInputs(*artifact, inputSpecs, &inputs);
  if (!read.ok())
    return fail(read.message());
  std::vector<TensorView> inputViews(inputs.begin(), inputs.end());
  std::vector<Tensor> outputs;
  for (const TensorDesc &desc : artifact->outputs()) {
    StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
    if (!tensor.ok())
      return fail(tensor.status().message());
    outputs.push_back(std::move(tensor).value());
  }
  std::vector<MutableTensorView> outputViews(outputs.begin(), outputs.end());

  Status warm = (*session)->run(inputViews, outputViews);
  if (!warm.ok())
    return fail(warm.message());
  std::vector<double> micros;
  micros.reserve(repeat);
  for (int r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    Status ran = (*session)->run(inputViews, outputViews);
    auto end = std::chrono::steady_clock::now();
    if (!ran.ok())
      return fail(ran.message());
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(micros.begin(), micros.end());
  size_t n = micros.size();
  double median = n % 2 ? micros[n / 2] : (micros[n / 2 - 1] + micros[n / 2]) / 2;
  std::printf("us_per_call median=%.3f min=%.3f max=%.3f\n", median, micros.front(), micros.back());
  return 0;
}
