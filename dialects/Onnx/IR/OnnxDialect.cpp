// The onnx-level dialect: registration and constant materialisation.
#include "dialects/Onnx/IR/OnnxDialect.h"
#include "dialects/Onnx/IR/OnnxOps.h"

using namespace mlir;
using namespace cleave::onnxir;

#include "dialects/Onnx/IR/OnnxDialect.cpp.inc"

void OnnxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Onnx/IR/OnnxOps.cpp.inc"
      >();
}

Operation *OnnxDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
