//===- batch_runner.h - cleave-batch: offline inference over a dataset ----===//
//
// Every .npy/.npz sample of a directory (or every row of one .npy) runs
// through an artifact in batches, one output file per sample. A journal in the
// output directory records each sample written or failed, after its output
// was renamed into place, so that running the same command again resumes
// without redoing or duplicating finished work. Replicas are processes of
// their own, each on a share of the batches; one that dies is started again
// on what it had left (docs/batch.md).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_BATCH_BATCH_RUNNER_H
#define CLEAVE_RUNTIME_BATCH_BATCH_RUNNER_H

#include <cstdint>
#include <string>

namespace cleave::batch {

/// What cleave-batch's command line sets.
struct BatchOptions {
  std::string artifact;
  /// A directory of .npy/.npz samples, or one .npy whose rows are samples.
  std::string input;
  std::string outputDir;
  /// Samples loaded and run together (in pieces of the compiled batch sizes).
  int64_t batch = 16;
  /// Tries after the first before a sample is recorded as failed.
  int retries = 3;
  /// Worker processes, each with its own session.
  int replicas = 1;
  /// CPU threads per replica; 0: the available cores shared among them.
  int threads = 0;
  /// Progress on stderr (samples/s, ETA); the caller sets it for a terminal.
  bool progress = false;
  /// Under mpirun: the longest a rank waits on a peer.
  double rankTimeoutSeconds = 300;
};

/// Runs the job; returns the process's exit status (0: every sample written,
/// 1: a failure, printed as one line "cleave-batch: error: <message>", or
/// samples recorded as failed). Prints a summary line on stdout.
int runBatch(const BatchOptions &options);

} // namespace cleave::batch

#endif // CLEAVE_RUNTIME_BATCH_BATCH_RUNNER_H
