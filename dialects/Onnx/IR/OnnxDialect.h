// The onnx-level dialect: the dialect class.
#ifndef CLEAVE_DIALECTS_ONNX_IR_ONNXDIALECT_H
#define CLEAVE_DIALECTS_ONNX_IR_ONNXDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/Onnx/IR/OnnxDialect.h.inc"

#endif // CLEAVE_DIALECTS_ONNX_IR_ONNXDIALECT_H
