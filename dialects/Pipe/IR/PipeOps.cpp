// The pipe dialect: registration and verifiers.
#include "dialects/Pipe/IR/PipeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace cleave::pipe;

#include "dialects/Pipe/IR/PipeDialect.cpp.inc"

void PipeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Pipe/IR/PipeOps.cpp.inc"
      >();
}

/// Checks the names (one per value, non-empty, unique) and the peer stage against the
/// enclosing function's `cleave.stage`, if it has one.
static LogicalResult verifyTransfer(Operation *op, ArrayAttr names, size_t count, int64_t peer,
                                    int64_t offset, StringRef peerName) {
  if (names.size() != count)
    return op->emitOpError("expects one name per tensor, got ")
           << names.size() << " names for " << count << " tensors";
  if (count == 0)
    return op->emitOpError("expects at least one tensor");
  llvm::StringSet<> seen;
  for (Attribute name : names) {
    StringRef s = cast<StringAttr>(name).getValue();
    if (s.empty())
      return op->emitOpError("expects non-empty tensor names");
    if (!seen.insert(s).second)
      return op->emitOpError("names tensor '") << s << "' twice";
  }
  if (peer < 0)
    return op->emitOpError("expects a non-negative stage, got ") << peer;
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return success();
  auto stage = func->getAttrOfType<IntegerAttr>("cleave.stage");
  if (stage && stage.getInt() + offset != peer)
    return op->emitOpError("in stage ")
           << stage.getInt() << " expects '" << peerName << "' to be stage "
           << stage.getInt() + offset << ", got " << peer;
  return success();
}

LogicalResult SendOp::verify() {
  return verifyTransfer(getOperation(), getNames(), getValues().size(), getTo(), 1, "to");
}

LogicalResult RecvOp::verify() {
  return verifyTransfer(getOperation(), getNames(), getValues().size(), getFrom(), -1, "from");
}

#define GET_OP_CLASSES
#include "dialects/Pipe/IR/PipeOps.cpp.inc"
