// The pipe dialect: dialect and op classes.
#ifndef CLEAVE_DIALECTS_PIPE_IR_PIPEOPS_H
#define CLEAVE_DIALECTS_PIPE_IR_PIPEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Pipe/IR/PipeDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/Pipe/IR/PipeOps.h.inc"

#endif // CLEAVE_DIALECTS_PIPE_IR_PIPEOPS_H
