// cleave-tune's two jobs: measuring devices into a device file, and choosing a plan by
// measuring the plan search's best candidates.
#ifndef CLEAVE_TOOLS_CLEAVE_TUNE_TUNE_H
#define CLEAVE_TOOLS_CLEAVE_TUNE_TUNE_H

#include "compiler/driver/Driver.h"

#include <string>
#include <vector>

namespace cleave::tune {

/// `cleave-tune --calibrate`.
struct CalibrateOptions {
  std::string devices;       ///< --devices: the devices measured, in rank order
  std::string output;        ///< -o: the device file to write
  double budgetSeconds = 30; ///< --budget-s: the whole calibration's bound
  int threads = 1;           ///< --threads: CPU threads per rank while probing
  std::string cpu = "host";  ///< --cpu: the code generation target of the probes
};

/// Measures the devices (under mpirun, each rank its own device, and the link between
/// ranks 0 and 1) and writes the device file; prints what it measured on stdout (rank 0).
/// Returns false with a one-line `error` (empty on the ranks other than 0 of an MPI job,
/// which leave the report to rank 0).
bool calibrate(const CalibrateOptions &options, std::string &error);

/// `cleave-tune MODEL`.
struct TuneOptions {
  CompileOptions compile;          ///< the model, devices, device file, shapes, targets
  std::string output;              ///< -o: the chosen artifact
  int ranks = 0;                   ///< --ranks: 0 means one per device
  double budgetSeconds = 300;      ///< --budget-s: compiling and running all candidates
  int top = 4;                     ///< --top: candidates measured
  int repeat = 5;                  ///< --repeat: timed runs per candidate
  int threads = 1;                 ///< --threads: CPU threads per rank
  double runTimeoutSeconds = 120;  ///< --run-timeout-s: one candidate's run
  std::vector<std::string> inputs; ///< --input NAME=FILE, passed to cleave-run
  std::string cleaveRun;           ///< --cleave-run: default, beside cleave-tune
  std::string mpirun = "mpirun";   ///< --mpirun
  bool progress = false;           ///< --progress: report each step on stderr
};

/// Compiles the plan search's top candidates, runs each, writes the fastest measured with
/// the report in its manifest, prints the table on stdout. False with a one-line `error`.
bool autoTune(const TuneOptions &options, std::string &error);

} // namespace cleave::tune

#endif // CLEAVE_TOOLS_CLEAVE_TUNE_TUNE_H
