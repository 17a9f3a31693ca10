// Buffer helpers shared by the CPU and GPU schedules.
#ifndef CLEAVE_COMPILER_CODEGEN_BUFFERUTILS_H
#define CLEAVE_COMPILER_CODEGEN_BUFFERUTILS_H

#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Value.h"

namespace cleave {

/// The buffer a chain of memref views (subview, expand/collapse_shape, cast, ...) stands for:
/// the allocation or function argument at its root; any other value is its own root. The
/// schedules take views of different roots not to alias, since bufferization gives each op
/// result its own buffer and the runtime passes distinct buffers.
inline mlir::Value rootBuffer(mlir::Value value) {
  if (auto memref = llvm::dyn_cast<mlir::TypedValue<mlir::BaseMemRefType>>(value))
    return mlir::memref::skipViewLikeOps(memref);
  return value;
}

} // namespace cleave

#endif // CLEAVE_COMPILER_CODEGEN_BUFFERUTILS_H
