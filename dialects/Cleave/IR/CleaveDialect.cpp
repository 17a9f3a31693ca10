// The cleave dialect: registration, its attributes' verifiers and where each may appear.
#include "dialects/Cleave/IR/CleaveOps.h"

#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace cleave::plan;

#include "dialects/Cleave/IR/CleaveDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Cleave/IR/CleaveAttrs.cpp.inc"

void CleaveDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Cleave/IR/CleaveAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/Cleave/IR/CleaveOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

LogicalResult TransferAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   StringAttr name, int64_t peer) {
  if (!name || name.getValue().empty())
    return emitError() << "a transfer needs a non-empty tensor name";
  if (peer < 0)
    return emitError() << "transfer '" << name.getValue()
                       << "' expects a non-negative peer stage, got " << peer;
  return success();
}

LogicalResult EstimateAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   APFloat seconds, APFloat computeSeconds,
                                   APFloat sendSeconds, int64_t flops, int64_t bytes,
                                   int64_t paramBytes, int64_t activationBytes,
                                   int64_t sendBytes) {
  if (!(seconds.convertToDouble() >= 0) || !(computeSeconds.convertToDouble() >= 0) ||
      !(sendSeconds.convertToDouble() >= 0))
    return emitError() << "an estimate's times must be non-negative";
  if (flops < 0 || bytes < 0 || paramBytes < 0 || activationBytes < 0 || sendBytes < 0)
    return emitError() << "an estimate's counts must be non-negative";
  return success();
}

LogicalResult SplitAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringAttr node,
                                StringAttr how, StringAttr weight) {
  if (!how || !llvm::is_contained({"column", "row", "vocab"}, how.getValue()))
    return emitError() << "a split is 'column', 'row' or 'vocab', got " << how;
  if (!weight || weight.getValue().empty())
    return emitError() << "a split names the sliced parameter";
  return success();
}

LogicalResult CollectiveAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     StringAttr kind, StringAttr after, int64_t elements) {
  if (!kind || !llvm::is_contained({StringRef(CLEAVE_COLLECTIVE_ALL_REDUCE_SUM),
                                    StringRef(CLEAVE_COLLECTIVE_ALL_GATHER)},
                                   kind.getValue()))
    return emitError() << "a collective is '" << CLEAVE_COLLECTIVE_ALL_REDUCE_SUM << "' or '"
                       << CLEAVE_COLLECTIVE_ALL_GATHER << "', got " << kind;
  if (elements < 0)
    return emitError() << "a collective's element count must be non-negative";
  return success();
}

LogicalResult OpGroupAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t id,
                                  ArrayAttr nodes) {
  if (id < 0)
    return emitError() << "an op group's id must be non-negative, got " << id;
  if (!nodes || !llvm::all_of(nodes, [](Attribute a) { return isa<StringAttr>(a); }))
    return emitError() << "an op group's nodes are an array of strings";
  return success();
}

//===----------------------------------------------------------------------===//
// Where each attribute may appear
//===----------------------------------------------------------------------===//

namespace {

/// "cpu:0", "cuda:3": a device kind the compiler knows and an index.
bool isDeviceName(StringRef name) {
  auto [kind, index] = name.split(':');
  unsigned value = 0;
  return llvm::is_contained({StringRef(CLEAVE_DEVICE_CPU), StringRef(CLEAVE_DEVICE_CUDA),
                             StringRef(CLEAVE_DEVICE_ROCM)},
                            kind) &&
         !index.empty() && !index.getAsInteger(10, value);
}

/// A non-negative i64.
bool isIndex(Attribute attr) {
  auto integer = dyn_cast<IntegerAttr>(attr);
  return integer && integer.getType().isInteger(64) && integer.getInt() >= 0;
}

/// Every element of `attr`, an array, is a `T`.
template <typename T> bool isArrayOf(Attribute attr) {
  auto array = dyn_cast<ArrayAttr>(attr);
  return array && llvm::all_of(array, [](Attribute a) { return isa<T>(a); });
}

} // namespace

LogicalResult CleaveDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  bool isFunction = isa<FunctionOpInterface>(op);
  if (name == kStageAttr || name == kDeviceAttr || name == kEstimateAttr ||
      name == kCtxArgAttr) {
    if (!isFunction)
      return op->emitOpError("'") << name << "' belongs on a function";
  }
  if (name == kStageAttr) {
    if (!isIndex(value))
      return op->emitOpError("'") << name << "' expects a non-negative i64 stage id, got "
                                  << value;
    return success();
  }
  if (name == kDeviceAttr) {
    auto device = dyn_cast<StringAttr>(value);
    if (!device || !isDeviceName(device.getValue()))
      return op->emitOpError("'") << name << "' expects \"KIND:INDEX\" with KIND cpu, cuda "
                                  << "or rocm, got " << value;
    return success();
  }
  if (name == kEstimateAttr) {
    if (!isa<EstimateAttr>(value))
      return op->emitOpError("'") << name << "' expects a #cleave.estimate, got " << value;
    return success();
  }
  if (name == kCtxArgAttr) {
    auto function = cast<FunctionOpInterface>(op);
    if (!isa<UnitAttr>(value))
      return op->emitOpError("'") << name << "' is a unit attribute";
    if (function.getNumArguments() == 0 ||
        !isa<LLVM::LLVMPointerType>(function.getArgumentTypes().front()))
      return op->emitOpError("'") << name << "' expects a first argument of type !llvm.ptr";
    return success();
  }
  if (name == kScheduleAttr) {
    if (!isIndex(value))
      return op->emitOpError("'") << name << "' expects a non-negative i64 schedule id, got "
                                  << value;
    return success();
  }
  if (name == kTensorParallelAttr || name == kCollectivesAttr) {
    if (!isa<ModuleOp>(op))
      return op->emitOpError("'") << name << "' belongs on a module";
    bool ok = name == kTensorParallelAttr ? isArrayOf<SplitAttr>(value)
                                          : isArrayOf<CollectiveAttr>(value);
    if (!ok)
      return op->emitOpError("'")
             << name << "' expects an array of "
             << (name == kTensorParallelAttr ? "#cleave.split" : "#cleave.collective");
    return success();
  }
  if (name == kOpGroupsAttr) {
    if (!isa<ModuleOp>(op))
      return op->emitOpError("'") << name << "' belongs on a module";
    if (!isArrayOf<OpGroupAttr>(value))
      return op->emitOpError("'") << name << "' expects an array of #cleave.op_group";
    // The runtime indexes its table by id: ids are the positions.
    for (auto [index, group] : llvm::enumerate(cast<ArrayAttr>(value)))
      if (cast<OpGroupAttr>(group).getId() != static_cast<int64_t>(index))
        return op->emitOpError("'") << name << "' expects ids 0, 1, ... in order, got "
                                    << cast<OpGroupAttr>(group).getId() << " at " << index;
    return success();
  }
  if (name == kRecvAttr || name == kParamAttr || name == kParamValueAttr)
    return op->emitOpError("'") << name << "' belongs on a function argument";
  if (name == kSendAttr)
    return op->emitOpError("'") << name << "' belongs on a function result";
  return op->emitOpError("has an unknown cleave attribute '") << name << "'";
}

LogicalResult CleaveDialect::verifyRegionArgAttribute(Operation *op, unsigned region,
                                                      unsigned index, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto function = dyn_cast<FunctionOpInterface>(op);
  if (!function || region != 0)
    return op->emitOpError("'") << name << "' belongs on a function argument";
  // A sent result stays tagged when bufferization turns it into an out-parameter.
  if (name == kRecvAttr || name == kSendAttr) {
    if (!isa<TransferAttr>(value))
      return op->emitOpError("argument ")
             << index << ": '" << name << "' expects a #cleave.transfer, got " << value;
    return success();
  }
  if (name == kParamAttr) {
    auto param = dyn_cast<StringAttr>(value);
    if (!param || param.getValue().empty())
      return op->emitOpError("argument ")
             << index << ": '" << name << "' expects a non-empty parameter name, got " << value;
    return success();
  }
  if (name == kParamValueAttr) {
    auto data = dyn_cast<ElementsAttr>(value);
    if (!data)
      return op->emitOpError("argument ")
             << index << ": '" << name << "' expects the parameter's elements, got " << value;
    // Lowering makes unsigned element types signless: the shape and width must agree.
    auto argType = dyn_cast<ShapedType>(function.getArgumentTypes()[index]);
    ShapedType dataType = data.getShapedType();
    if (argType && argType.hasRank() &&
        (argType.getShape() != dataType.getShape() ||
         argType.getElementTypeBitWidth() != dataType.getElementTypeBitWidth()))
      return op->emitOpError("argument ") << index << ": '" << name << "' of type "
                                          << dataType << " does not fit the argument's type "
                                          << argType;
    return success();
  }
  return op->emitOpError("argument ") << index << " has a cleave attribute '" << name
                                      << "' that does not belong on an argument";
}

LogicalResult CleaveDialect::verifyRegionResultAttribute(Operation *op, unsigned region,
                                                         unsigned index, NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (!isa<FunctionOpInterface>(op) || region != 0)
    return op->emitOpError("'") << name << "' belongs on a function result";
  if (name == kSendAttr) {
    if (!isa<TransferAttr>(attr.getValue()))
      return op->emitOpError("result ") << index << ": '" << name
                                        << "' expects a #cleave.transfer, got "
                                        << attr.getValue();
    return success();
  }
  return op->emitOpError("result ") << index << " has a cleave attribute '" << name
                                    << "' that does not belong on a result";
}

//===----------------------------------------------------------------------===//
// Queries
//===----------------------------------------------------------------------===//

std::optional<int64_t> cleave::plan::stageOf(Operation *func) {
  if (auto id = func->getAttrOfType<IntegerAttr>(CleaveDialect::kStageAttr))
    return id.getInt();
  return std::nullopt;
}

TransferAttr cleave::plan::recvOf(Operation *func, unsigned index) {
  auto function = dyn_cast<FunctionOpInterface>(func);
  return function ? function.getArgAttrOfType<TransferAttr>(index, CleaveDialect::kRecvAttr)
                  : TransferAttr();
}

TransferAttr cleave::plan::sendOf(Operation *func, unsigned index) {
  auto function = dyn_cast<FunctionOpInterface>(func);
  return function
             ? function.getResultAttrOfType<TransferAttr>(index, CleaveDialect::kSendAttr)
             : TransferAttr();
}

std::optional<cleave_dtype> cleave::plan::dtypeOf(Type type) {
  if (type.isF32())
    return CLEAVE_DTYPE_FLOAT32;
  if (type.isF16())
    return CLEAVE_DTYPE_FLOAT16;
  if (type.isBF16())
    return CLEAVE_DTYPE_BFLOAT16;
  if (type.isF64())
    return CLEAVE_DTYPE_FLOAT64;
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return std::nullopt;
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 1:
    return CLEAVE_DTYPE_BOOL;
  case 8:
    return isUnsigned ? CLEAVE_DTYPE_UINT8 : CLEAVE_DTYPE_INT8;
  case 16:
    return isUnsigned ? CLEAVE_DTYPE_UINT16 : CLEAVE_DTYPE_INT16;
  case 32:
    return isUnsigned ? CLEAVE_DTYPE_UINT32 : CLEAVE_DTYPE_INT32;
  case 64:
    return isUnsigned ? CLEAVE_DTYPE_UINT64 : CLEAVE_DTYPE_INT64;
  default:
    return std::nullopt;
  }
}

std::string cleave::plan::dtypeNameOf(Type type) {
  std::optional<cleave_dtype> code = dtypeOf(type);
  return code ? cleave_dtype_name(*code) : "";
}

bool cleave::plan::isReducibleType(Type type) {
  std::optional<cleave_dtype> code = dtypeOf(type);
  return code && (*code == CLEAVE_DTYPE_FLOAT32 || *code == CLEAVE_DTYPE_FLOAT64 ||
                  *code == CLEAVE_DTYPE_INT32 || *code == CLEAVE_DTYPE_INT64);
}
