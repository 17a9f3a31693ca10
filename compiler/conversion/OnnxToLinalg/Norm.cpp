// onnx -> linalg lowering: normalisation, softmax and reductions.
#include "compiler/conversion/OnnxToLinalg/Patterns.h"

#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave;

void cleave::populateNormToLinalgPatterns(const OnnxTypeConverter &converter,
                                          RewritePatternSet &patterns) {}
