//===- stage_context.h - The ctx argument of generated entry points -------===//
//
// Generated code receives `void *ctx` as the first argument of its entry
// point (`void cleave_stage_N(void *ctx, void **args)`) and reaches the
// runtime only through it: ctx points to a CleaveStageContext, whose first
// member is a table of runtime functions. The layout is part of the
// artifact ABI (docs/artifact-format.md); it only grows at the end.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CORE_STAGE_CONTEXT_H
#define CLEAVE_RUNTIME_CORE_STAGE_CONTEXT_H

#include <cstdint>

extern "C" {

/// All-reduce over the ranks of `group` (0: the ranks of the calling stage's
/// tensor-parallel group): `out` receives the reduction of every rank's
/// `count` elements at `in`. `dtype` is the runtime's DType number (0:
/// float32), `op` 0 is sum. Failures are recorded in the context and
/// reported by the session after the entry point returns; `out` is then
/// unspecified.
typedef void (*CleaveAllReduceFn)(void *ctx, const void *in, void *out,
                                  int64_t count, int32_t dtype, int32_t op,
                                  int32_t group);

/// All-gather over the ranks of `group` (0: the calling stage's
/// tensor-parallel group): `out` receives the `count` elements at `in` of
/// every rank of the group, concatenated in group-rank order (the order of
/// the stage's manifest `group`), so it holds group size x `count` elements;
/// `out` and `in` do not overlap. `dtype` is the runtime's DType number (any
/// dtype). Failures are recorded as for CleaveAllReduceFn.
typedef void (*CleaveAllGatherFn)(void *ctx, const void *in, void *out,
                                  int64_t count, int32_t dtype, int32_t group);

/// The runtime functions generated code may call, in ABI order (table slot
/// 0, 1, ...).
struct CleaveRuntimeTable {
  CleaveAllReduceFn allReduce; ///< slot 0
  CleaveAllGatherFn allGather; ///< slot 1
};

/// What ctx points to. Generated code reads only `table` (at offset 0).
struct CleaveStageContext {
  const CleaveRuntimeTable *table;
  void *session; ///< runtime-private state
};

} // extern "C"

#endif // CLEAVE_RUNTIME_CORE_STAGE_CONTEXT_H
