// Reads a rank's stage interface, as the cleave dialect records it, into manifest entries.
#include "compiler/artifact/StageInterface.h"

#include "dialects/Cleave/IR/CleaveOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace cleave;

namespace {

/// The manifest's tensor `name` of `type`; fails, with the error emitted at `func`, on an
/// element type the runtime cannot hold.
FailureOr<artifact::Tensor> describe(func::FuncOp func, StringRef name, Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<cleave_dtype> dtype = tensor ? plan::dtypeOf(tensor.getElementType())
                                             : std::nullopt;
  if (!dtype)
    return func.emitError("tensor '") << name << "' has type " << type
                                      << ", which the runtime cannot hold";
  return artifact::Tensor{name.str(), *dtype, std::vector<int64_t>(tensor.getShape())};
}

/// The bytes of a parameter's elements.
std::string_view bytesOf(ElementsAttr value) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return std::string_view(blob->getData().data(), blob->getData().size());
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    return std::string_view(dense.getRawData().data(), dense.getRawData().size());
  }
  return {};
}

} // namespace

FailureOr<StageInterface> cleave::readStageInterface(func::FuncOp main, TypeRange argTypes,
                                                     TypeRange resultTypes,
                                                     const BatchShapes &batchShapes,
                                                     int64_t rank) {
  StageInterface stage;
  // A graph tensor with its full batch.
  auto graphTensor = [&](StringRef name, Type type) -> FailureOr<artifact::Tensor> {
    FailureOr<artifact::Tensor> tensor = describe(main, name, type);
    if (succeeded(tensor))
      if (auto full = batchShapes.find(name.str()); full != batchShapes.end())
        tensor->shape = full->second;
    return tensor;
  };
  // A received or sent tensor: one microbatch, the peer stage.
  auto transfer = [&](artifact::ArgKind kind, plan::TransferAttr t, Type type) {
    FailureOr<artifact::Tensor> tensor = describe(main, t.getName(), type);
    if (succeeded(tensor))
      stage.args.push_back({kind, t.getName().str(), t.getPeer(), std::move(*tensor)});
    return success(succeeded(tensor));
  };
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    if (plan::TransferAttr recv = plan::recvOf(main, i)) {
      if (failed(transfer(artifact::ArgKind::Recv, recv, argTypes[i])))
        return failure();
      continue;
    }
    if (auto name = main.getArgAttrOfType<StringAttr>(i, "onnx.name")) {
      FailureOr<artifact::Tensor> tensor = graphTensor(name, argTypes[i]);
      if (failed(tensor))
        return failure();
      stage.inputs.push_back(std::move(*tensor));
      stage.args.push_back({artifact::ArgKind::Input, name.str()});
      continue;
    }
    auto name = main.getArgAttrOfType<StringAttr>(i, plan::CleaveDialect::kParamAttr);
    auto value = main.getArgAttrOfType<ElementsAttr>(i, plan::CleaveDialect::kParamValueAttr);
    if (!name || !value)
      return main.emitError("internal compiler error: stage argument ")
             << i << " is neither a received tensor, a graph input nor a parameter";
    // The data's type: lowering may have changed the layout, and keeps the unsigned types.
    FailureOr<artifact::Tensor> tensor = describe(main, name, value.getType());
    if (failed(tensor))
      return failure();
    stage.parameters.push_back({std::move(*tensor), rank, bytesOf(value)});
    stage.args.push_back({artifact::ArgKind::Param, name.str()});
    main.removeArgAttr(i, plan::CleaveDialect::kParamValueAttr);
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    if (plan::TransferAttr send = plan::sendOf(main, i)) {
      if (failed(transfer(artifact::ArgKind::Send, send, resultTypes[i])))
        return failure();
      continue;
    }
    auto name = main.getResultAttrOfType<StringAttr>(i, "onnx.name");
    if (!name)
      return main.emitError("internal compiler error: stage result ")
             << i << " is neither a sent tensor nor a graph output";
    FailureOr<artifact::Tensor> tensor = graphTensor(name, resultTypes[i]);
    if (failed(tensor))
      return failure();
    stage.outputs.push_back(std::move(*tensor));
    stage.args.push_back({artifact::ArgKind::Output, name.str()});
  }
  return stage;
}
