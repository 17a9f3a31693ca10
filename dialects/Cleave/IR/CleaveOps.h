// The cleave dialect: dialect, attribute and op classes, and the element type contract.
#ifndef CLEAVE_DIALECTS_CLEAVE_IR_CLEAVEOPS_H
#define CLEAVE_DIALECTS_CLEAVE_IR_CLEAVEOPS_H

#include "cleave/abi.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

#include "dialects/Cleave/IR/CleaveDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Cleave/IR/CleaveAttrs.h.inc"

#define GET_OP_CLASSES
#include "dialects/Cleave/IR/CleaveOps.h.inc"

namespace cleave {
namespace plan {

/// The functions lowered collectives call (cleave-lower-collectives); cleave-cpu-entry-points
/// defines each as a call through its slot of the runtime table at ctx.
inline constexpr const char *kAllReduceRuntimeFn = "cleave_rt_all_reduce";
inline constexpr const char *kAllGatherRuntimeFn = "cleave_rt_all_gather";
/// The functions around each op group of code compiled with `--profile-ops`
/// (cleave-cpu-profile-ops): (ctx, i32 id), defined like the collectives' functions.
inline constexpr const char *kProfBeginRuntimeFn = "cleave_rt_prof_begin";
inline constexpr const char *kProfEndRuntimeFn = "cleave_rt_prof_end";

/// The contract's code (cleave/abi.h) of element type `type`, or nothing for a type the
/// runtime cannot hold. Integers map by width and signedness (signless counts as signed:
/// after lowering, signedness is gone); i1 is bool.
std::optional<cleave_dtype> dtypeOf(mlir::Type type);

/// numpy's name of `type`, as the manifest writes it ("float32", "uint8", "bool"), or "".
std::string dtypeNameOf(mlir::Type type);

/// Whether all-reduce (a sum) supports `type`: f32, f64, i32 and i64.
bool isReducibleType(mlir::Type type);

/// The stage id of `func` (its `cleave.stage`), or nothing.
std::optional<int64_t> stageOf(mlir::Operation *func);

/// The transfer on argument `index` (`cleave.recv`) or result `index` (`cleave.send`) of a
/// function, or null.
TransferAttr recvOf(mlir::Operation *func, unsigned index);
TransferAttr sendOf(mlir::Operation *func, unsigned index);

} // namespace plan
} // namespace cleave

#endif // CLEAVE_DIALECTS_CLEAVE_IR_CLEAVEOPS_H
