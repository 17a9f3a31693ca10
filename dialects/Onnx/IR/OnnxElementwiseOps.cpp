// The onnx-level dialect: verifiers and folders of the elementwise ops.
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;
