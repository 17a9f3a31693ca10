// Plan search (`--plan=auto`): the compile driver's choice of pp, tp and microbatches.
#ifndef CLEAVE_COMPILER_DRIVER_PLANSEARCH_H
#define CLEAVE_COMPILER_DRIVER_PLANSEARCH_H

#include "compiler/driver/Driver.h"

namespace cleave {

/// Plans every split of the devices into pp x tp and every microbatch count (a power of two
/// dividing the batch), ranks the feasible plans by predicted batch time and compiles the
/// best one that compiles. `CompileResult::candidates` lists them all; with `explain`, the
/// explanation starts with the table of candidates and why the winner won.
CompileResult compileWithPlanSearch(const CompileOptions &options);

} // namespace cleave

#endif // CLEAVE_COMPILER_DRIVER_PLANSEARCH_H
