// ONNX import patterns: normalisation, softmax and reductions.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

void cleave::populateNormImporters(OpImporterRegistry &registry) {}
