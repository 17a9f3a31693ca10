// The onnx-level dialect: verifiers and costs of the normalisation, softmax and reduction ops.
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;
