// Registration of every dialect, pass and translation Cleave's tools use.
#ifndef CLEAVE_COMPILER_INITALL_H
#define CLEAVE_COMPILER_INITALL_H

#include "dialects/InitAllDialects.h"

namespace cleave {

/// Registers Cleave's passes and the upstream passes its pipelines name.
void registerAllPasses();

} // namespace cleave

#endif // CLEAVE_COMPILER_INITALL_H
