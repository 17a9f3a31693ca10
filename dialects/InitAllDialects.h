// One place that registers every dialect Cleave's tools use.
#ifndef CLEAVE_DIALECTS_INITALLDIALECTS_H
#define CLEAVE_DIALECTS_INITALLDIALECTS_H

#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"
#include "dialects/Pipe/IR/PipeOps.h"

#include "mlir/IR/DialectRegistry.h"

namespace cleave {

/// Registers Cleave's own dialects and the upstream ones its pipelines produce.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace cleave

#endif // CLEAVE_DIALECTS_INITALLDIALECTS_H
