//===- cleave-batch.cpp - Offline inference over a dataset ----------------===//
//
//   cleave-batch MODEL.cleave --input DIR_OR_NPY --output-dir OUT
//                [--batch N] [--retries N] [--replicas R] [--threads T]
//                [--timeout-s S]
//   mpirun -np N cleave-batch MODEL.cleave ...  (plans on N ranks, or R
//                                               replicas of a --dp=R plan)
// The runner itself is runtime/src/batch (docs/batch.md); this parses the
// command line. A bad option prints one line and exits 2.
//
//===----------------------------------------------------------------------===//

#include "batch/batch_runner.h"
#include "common/tool_args.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

using cleave::tools::parseInt;
using cleave::tools::parseNumber;

const char kUsage[] =
    R"(usage: cleave-batch MODEL.cleave --input DIR_OR_NPY --output-dir OUT
                    [--batch N] [--retries N] [--replicas R] [--threads T]
                    [--timeout-s S]
       mpirun -np N cleave-batch MODEL.cleave ...
       cleave-batch --help

Runs a model compiled by cleave-compile over a dataset, in batches, and
writes one output file per sample to OUT:
  --input DIR    every .npy and .npz file of DIR is a sample: a .npy holds
                 the one input's row (its shape without the batch dim, or
                 with a batch dim of 1), a .npz one array per input (named
                 after the input, or arr_0, arr_1, ... in input order).
                 Sample NAME.npy or NAME.npz writes OUT/NAME.npy (a model
                 with one output) or OUT/NAME.npz (one array per output).
  --input F.npy  every row of F.npy (dim 0) is a sample of the one input;
                 row i writes OUT/row_<i>.npy (or .npz), i zero-padded.

options (each accepts "--opt VALUE" and "--opt=VALUE"):
  --output-dir OUT  where outputs and the journal (OUT/cleave-batch.journal)
                    go; created if missing
  --batch N         samples loaded and run together (default 16); they run
                    in pieces of the batch sizes the artifact was compiled
                    for (cleave-compile --batch-sizes), the last one padded
  --retries N       tries after the first before a sample that fails (an
                    unreadable file, a wrong shape or dtype) is recorded as
                    failed, with its reason, in the journal (default 3); the
                    other samples go on
  --replicas R      worker processes, each with its own session and a share
                    of the batches (default 1; plans on one rank). A replica
                    that dies is started again on its unfinished samples.
  --threads T       CPU threads per replica (default: the available cores
                    shared among the replicas)
  --timeout-s S     under mpirun, the longest a rank waits on another
                    (default 300)

Each output is written to a temporary file and renamed into place, then
journaled; running the same command again after a crash or Ctrl-C goes on
where it stopped, without redoing or duplicating finished samples (and
tries the failed ones again). On a terminal, progress (samples/s, ETA) is
shown on stderr; a summary line goes to stdout. Exit status: 0 when every
sample was written, 1 on an error or when samples failed, 2 on a bad option.

Under mpirun, a plan on N ranks runs with rank 0 reading and writing; a plan
compiled with cleave-compile --dp=R runs as R replicas on R x N ranks, each
replica's rank 0 taking every R-th batch (docs/batch.md).
)";

int usageError(const std::string &message) {
  std::fprintf(stderr, "cleave-batch: error: %s (see cleave-batch --help)\n",
               message.c_str());
  return 2;
}


} // namespace

int main(int argc, char **argv) {
  cleave::batch::BatchOptions options;
  bool haveInput = false, haveOutput = false;
  auto option = [&](const std::string &name,
                    const std::string &value) -> std::string {
    long long integer = 0;
    if (name == "--input") {
      if (value.empty())
        return std::string("--input needs a directory or a .npy file");
      options.input = value;
      haveInput = true;
    } else if (name == "--output-dir") {
      if (value.empty())
        return std::string("--output-dir needs a directory");
      options.outputDir = value;
      haveOutput = true;
    } else if (name == "--batch") {
      if (!parseInt(value, 1, 1 << 20, &integer))
        return std::string("--batch must be a positive integer, got '" + value +
                            "'");
      options.batch = integer;
    } else if (name == "--retries") {
      if (!parseInt(value, 0, 100, &integer))
        return std::string("--retries must be 0 to 100, got '" + value + "'");
      options.retries = int(integer);
    } else if (name == "--replicas") {
      if (!parseInt(value, 1, 256, &integer))
        return std::string("--replicas must be 1 to 256, got '" + value + "'");
      options.replicas = int(integer);
    } else if (name == "--threads") {
      if (!parseInt(value, 0, 4096, &integer))
        return std::string("--threads must be 0 (all cores) or positive, got '" +
                            value + "'");
      options.threads = int(integer);
    } else if (name == "--timeout-s") {
      double seconds = 0;
      if (!parseNumber(value, 0.1, &seconds))
        return std::string("--timeout-s must be at least 0.1, got '" + value +
                            "'");
      options.rankTimeoutSeconds = seconds;
    }
    return std::string();
  };
  if (std::optional<int> exit = cleave::tools::readToolArgs(
          argc, argv,
          {"--input", "--output-dir", "--batch", "--retries", "--replicas",
           "--threads", "--timeout-s"},
          kUsage, &options.artifact, option, usageError))
    return *exit;
  if (options.artifact.empty())
    return usageError("no artifact given");
  if (!haveInput)
    return usageError("--input is required");
  if (!haveOutput)
    return usageError("--output-dir is required");
  options.progress = ::isatty(2) != 0;
  return cleave::batch::runBatch(options);
}
