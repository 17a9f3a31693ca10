/*===- abi.h - The contract between Cleave's compiler and its runtime -----===*
 *
 * Every value both sides of the artifact boundary must agree on is defined
 * here, once: the file format and entry-point ABI versions, the element type
 * codes, the runtime function table that generated code calls through, the
 * artifact's section kinds and layout, and the manifest's key names and
 * enumerated values. The runtime owns this schema; the compiler includes this
 * header and restates none of it. Plain C99, no other includes than stdint.h:
 * generated code, the C API and the C++ runtime all read it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_ABI_H
#define CLEAVE_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===----------------------------------------------------------------------===*
 * Versions
 *===----------------------------------------------------------------------===*/

/** The `.cleave` file format (header, manifest schema, section layout). */
#define CLEAVE_FORMAT_VERSION 1
/** The entry-point ABI that CPU code reports through `cleave_abi_version()`. */
#define CLEAVE_ABI_VERSION 1

/*===----------------------------------------------------------------------===*
 * Element types
 *===----------------------------------------------------------------------===*/

/**
 * Every element type the runtime holds, as X(NAME, code, numpy name, bytes).
 * The code is what the runtime's DType and the C API's cleave_dtype hold and
 * what collectives receive as their `dtype` argument; the numpy name is what
 * the manifest and .npy files use. bfloat16 has no numpy type: .npy files hold
 * it as uint16 bit patterns. Codes are never reused or renumbered.
 */
#define CLEAVE_DTYPES(X)                                                       \
  X(FLOAT32, 0, "float32", 4)                                                  \
  X(FLOAT16, 1, "float16", 2)                                                  \
  X(FLOAT64, 2, "float64", 8)                                                  \
  X(INT64, 3, "int64", 8)                                                      \
  X(INT32, 4, "int32", 4)                                                      \
  X(INT8, 5, "int8", 1)                                                        \
  X(UINT8, 6, "uint8", 1)                                                      \
  X(BOOL, 7, "bool", 1)                                                        \
  X(INT16, 8, "int16", 2)                                                      \
  X(UINT16, 9, "uint16", 2)                                                    \
  X(UINT32, 10, "uint32", 4)                                                   \
  X(UINT64, 11, "uint64", 8)                                                   \
  X(BFLOAT16, 12, "bfloat16", 2)

/** Element type codes: CLEAVE_DTYPE_FLOAT32, ... */
typedef enum cleave_dtype {
#define CLEAVE_DTYPE_ENUMERATOR(name, code, numpy, bytes) CLEAVE_DTYPE_##name = code,
  CLEAVE_DTYPES(CLEAVE_DTYPE_ENUMERATOR)
#undef CLEAVE_DTYPE_ENUMERATOR
  /** One past the largest code. */
  CLEAVE_DTYPE_COUNT = 13
} cleave_dtype;

/** numpy's name of element type `code` ("float32", ...), or NULL. */
static inline const char *cleave_dtype_name(int32_t code) {
  switch (code) {
#define CLEAVE_DTYPE_NAME_CASE(name, value, numpy, bytes)                      \
  case value:                                                                  \
    return numpy;
    CLEAVE_DTYPES(CLEAVE_DTYPE_NAME_CASE)
#undef CLEAVE_DTYPE_NAME_CASE
  default:
    return 0;
  }
}

/** Bytes per element of element type `code` (bool: 1), or 0. */
static inline int32_t cleave_dtype_size(int32_t code) {
  switch (code) {
#define CLEAVE_DTYPE_SIZE_CASE(name, value, numpy, bytes)                      \
  case value:                                                                  \
    return bytes;
    CLEAVE_DTYPES(CLEAVE_DTYPE_SIZE_CASE)
#undef CLEAVE_DTYPE_SIZE_CASE
  default:
    return 0;
  }
}

/*===----------------------------------------------------------------------===*
 * Entry points of generated CPU code
 *===----------------------------------------------------------------------===*/

/** `int cleave_abi_version(void)`: returns CLEAVE_ABI_VERSION. */
#define CLEAVE_SYMBOL_ABI_VERSION "cleave_abi_version"
/** `void cleave_set_num_threads(int)`: exported by code with parallel loops. */
#define CLEAVE_SYMBOL_SET_NUM_THREADS "cleave_set_num_threads"
/** Entry points are `void <prefix><rank>(void *ctx, void **args)`. */
#define CLEAVE_ENTRY_PREFIX "cleave_stage_"
/** The `entry` of a GPU stage, which the runtime replays from its program. */
#define CLEAVE_ENTRY_GPU_PROGRAM "gpu_program"

/*===----------------------------------------------------------------------===*
 * The runtime function table
 *
 * An entry point's `ctx` points to a cleave_stage_context whose first member
 * points to a cleave_runtime_table; generated code calls the runtime only
 * through it, by slot. The table only grows at the end.
 *===----------------------------------------------------------------------===*/

/** Reductions of an all-reduce (its `op` argument). */
enum { CLEAVE_REDUCE_SUM = 0 };
/** The group of a collective: the calling stage's tensor-parallel group. */
enum { CLEAVE_GROUP_STAGE = 0 };

/**
 * All-reduce over the ranks of `group`: `out` receives the reduction `op` of
 * every rank's `count` elements of type `dtype` (a cleave_dtype code) at `in`.
 * Failures are recorded in the context and reported by the runtime after the
 * entry point returns; `out` is then unspecified.
 */
typedef void (*cleave_all_reduce_fn)(void *ctx, const void *in, void *out,
                                     int64_t count, int32_t dtype, int32_t op,
                                     int32_t group);

/**
 * All-gather over the ranks of `group`: `out` receives the `count` elements at
 * `in` of every rank of the group, concatenated in group order (group size x
 * `count` elements); `in` and `out` do not overlap. Any dtype.
 */
typedef void (*cleave_all_gather_fn)(void *ctx, const void *in, void *out,
                                     int64_t count, int32_t dtype,
                                     int32_t group);

/**
 * The start or the end of op group `id` (manifest `stages[].op_groups[id]`),
 * called by code compiled with `--profile-ops` around each group, on the
 * thread that called the entry point. Groups do not nest.
 */
typedef void (*cleave_prof_fn)(void *ctx, int32_t id);

/** Slots of the runtime table, in ABI order. */
enum {
  CLEAVE_RT_SLOT_ALL_REDUCE = 0,
  CLEAVE_RT_SLOT_ALL_GATHER = 1,
  CLEAVE_RT_SLOT_PROF_BEGIN = 2,
  CLEAVE_RT_SLOT_PROF_END = 3,
  CLEAVE_RT_SLOT_COUNT = 4
};

/** The runtime functions generated code may call, slot by slot. */
typedef struct cleave_runtime_table {
  cleave_all_reduce_fn all_reduce; /**< CLEAVE_RT_SLOT_ALL_REDUCE */
  cleave_all_gather_fn all_gather; /**< CLEAVE_RT_SLOT_ALL_GATHER */
  cleave_prof_fn prof_begin;       /**< CLEAVE_RT_SLOT_PROF_BEGIN */
  cleave_prof_fn prof_end;         /**< CLEAVE_RT_SLOT_PROF_END */
} cleave_runtime_table;

/** What `ctx` points to; generated code reads only `table` (offset 0). */
typedef struct cleave_stage_context {
  const cleave_runtime_table *table;
  void *session; /**< runtime-private state */
} cleave_stage_context;

/*===----------------------------------------------------------------------===*
 * File layout
 *===----------------------------------------------------------------------===*/

/** The header's first 8 bytes. */
#define CLEAVE_MAGIC "CLEAVE\0\1"
#define CLEAVE_MAGIC_SIZE 8
/** The header: magic, then little-endian fields at these offsets. */
#define CLEAVE_HEADER_SIZE 64
#define CLEAVE_HEADER_VERSION_OFFSET 8          /**< u32 format version */
#define CLEAVE_HEADER_MANIFEST_OFFSET_OFFSET 16 /**< u64 manifest offset */
#define CLEAVE_HEADER_MANIFEST_SIZE_OFFSET 24   /**< u64 manifest size */
#define CLEAVE_HEADER_MANIFEST_CRC_OFFSET 32    /**< u32 CRC-32 of the manifest */
#define CLEAVE_HEADER_CRC_OFFSET 36 /**< u32 CRC-32 of the header's first 36 bytes */
/** Sections start at multiples of this (page size, for mmap). */
#define CLEAVE_SECTION_ALIGNMENT 4096
/** Parameters start at multiples of this inside their section. */
#define CLEAVE_PARAMETER_ALIGNMENT 64

/** Section kinds (manifest `sections[].kind`). */
#define CLEAVE_SECTION_CPU_ELF_SO "cpu-elf-so"
#define CLEAVE_SECTION_CUDA_FATBIN "cuda-fatbin"
#define CLEAVE_SECTION_ROCM_HSACO "rocm-hsaco"
#define CLEAVE_SECTION_PARAMS "params"
#define CLEAVE_SECTION_CONSTANTS "constants"

/** Section names: a prefix and the rank (`code.rank0`, `params.rank1`, ...). */
#define CLEAVE_SECTION_NAME_CODE "code.rank"
#define CLEAVE_SECTION_NAME_PARAMS "params.rank"
#define CLEAVE_SECTION_NAME_CONSTANTS "consts.rank"

/** Device kinds (manifest `devices[].kind`). */
#define CLEAVE_DEVICE_CPU "cpu"
#define CLEAVE_DEVICE_CUDA "cuda"
#define CLEAVE_DEVICE_ROCM "rocm"

/*===----------------------------------------------------------------------===*
 * Manifest keys (docs/artifact-format.md)
 *===----------------------------------------------------------------------===*/

/* Top level. */
#define CLEAVE_KEY_FORMAT_VERSION "format_version"
#define CLEAVE_KEY_COMPILER_VERSION "compiler_version"
#define CLEAVE_KEY_SOURCE "source"
#define CLEAVE_KEY_OPTIONS "options"
#define CLEAVE_KEY_INPUTS "inputs"
#define CLEAVE_KEY_OUTPUTS "outputs"
#define CLEAVE_KEY_DEVICES "devices"
#define CLEAVE_KEY_PARAMETERS "parameters"
#define CLEAVE_KEY_STAGES "stages"
#define CLEAVE_KEY_SECTIONS "sections"
#define CLEAVE_KEY_VARIANTS "variants"
#define CLEAVE_KEY_BATCH "batch"

/* generation (artifacts compiled with --generate; docs/generation.md) */
#define CLEAVE_KEY_GENERATION "generation"
/* The auto-tuner's report (cleave-tune; optional, informative). */
#define CLEAVE_KEY_TUNING "tuning"
#define CLEAVE_KEY_VERSION "version"
#define CLEAVE_KEY_RANKS "ranks"
#define CLEAVE_KEY_CHOSEN "chosen"
#define CLEAVE_KEY_CANDIDATES "candidates"
#define CLEAVE_KEY_PREDICTED_MS "predicted_ms"
#define CLEAVE_KEY_MEASURED_MS "measured_ms"
#define CLEAVE_KEY_STATUS "status"
#define CLEAVE_TUNING_VERSION 1
#define CLEAVE_KEY_MAX_SEQ_LEN "max_seq_len"
#define CLEAVE_KEY_INPUT_IDS "input_ids"
#define CLEAVE_KEY_ATTENTION_MASK "attention_mask"
#define CLEAVE_KEY_POSITION_IDS "position_ids"
#define CLEAVE_KEY_LOGITS "logits"
#define CLEAVE_KEY_CACHE "cache"
#define CLEAVE_KEY_PAST "past"
#define CLEAVE_KEY_PRESENT "present"
#define CLEAVE_KEY_TRANSPOSED "transposed"

/* source */
#define CLEAVE_KEY_PATH "path"
#define CLEAVE_KEY_SHA256 "sha256"
#define CLEAVE_KEY_OPSET "opset"
#define CLEAVE_KEY_PRODUCER "producer"

/* options */
#define CLEAVE_KEY_PP "pp"
#define CLEAVE_KEY_TP "tp"
#define CLEAVE_KEY_MICROBATCHES "microbatches"
/* Data-parallel replicas of the plan (written when above 1; 1 when absent). */
#define CLEAVE_KEY_DP "dp"
#define CLEAVE_KEY_CPU "cpu"
#define CLEAVE_KEY_CUDA_ARCH "cuda_arch"
#define CLEAVE_KEY_ROCM_ARCH "rocm_arch"
#define CLEAVE_KEY_INPUT_SHAPES "input_shapes"
#define CLEAVE_KEY_BATCH_SIZES "batch_sizes"
/* true when the code times its op groups (written only then) */
#define CLEAVE_KEY_PROFILE_OPS "profile_ops"

/* Tensors, devices, parameters, sections. */
#define CLEAVE_KEY_NAME "name"
#define CLEAVE_KEY_DTYPE "dtype"
#define CLEAVE_KEY_SHAPE "shape"
#define CLEAVE_KEY_RANK "rank"
#define CLEAVE_KEY_KIND "kind"
#define CLEAVE_KEY_INDEX "index"
#define CLEAVE_KEY_SECTION "section"
#define CLEAVE_KEY_OFFSET "offset"
#define CLEAVE_KEY_SIZE "size"
#define CLEAVE_KEY_CRC32 "crc32"

/* stages[] */
#define CLEAVE_KEY_ID "id"
#define CLEAVE_KEY_DEVICE "device"
#define CLEAVE_KEY_CODE "code"
#define CLEAVE_KEY_ENTRY "entry"
#define CLEAVE_KEY_ARGS "args"
#define CLEAVE_KEY_ESTIMATE "estimate"
#define CLEAVE_KEY_FLOPS "flops"
#define CLEAVE_KEY_BYTES "bytes"
#define CLEAVE_KEY_SECONDS "seconds"
#define CLEAVE_KEY_COMPUTE_SECONDS "compute_seconds"
#define CLEAVE_KEY_SEND_SECONDS "send_seconds"
#define CLEAVE_KEY_GROUP "group"
#define CLEAVE_KEY_SHARDINGS "shardings"
#define CLEAVE_KEY_COLLECTIVES "collectives"
#define CLEAVE_KEY_GPU_PROGRAM "gpu_program"
#define CLEAVE_KEY_FROM "from"
#define CLEAVE_KEY_TO "to"
#define CLEAVE_KEY_NODE "node"
#define CLEAVE_KEY_SPLIT "split"
#define CLEAVE_KEY_WEIGHT "weight"
#define CLEAVE_KEY_AFTER "after"
#define CLEAVE_KEY_ELEMENTS "elements"
/* stages[].op_groups (--profile-ops): id, name, nodes, ops */
#define CLEAVE_KEY_OP_GROUPS "op_groups"
#define CLEAVE_KEY_NODES "nodes"
#define CLEAVE_KEY_OPS "ops"

/* stages[].args[].kind */
#define CLEAVE_ARG_INPUT "input"
#define CLEAVE_ARG_PARAM "param"
#define CLEAVE_ARG_OUTPUT "output"
#define CLEAVE_ARG_RECV "recv"
#define CLEAVE_ARG_SEND "send"

/* stages[].gpu_program */
#define CLEAVE_KEY_KERNELS "kernels"
#define CLEAVE_KEY_BUFFERS "buffers"
#define CLEAVE_KEY_LAUNCHES "launches"
#define CLEAVE_KEY_KERNEL "kernel"
#define CLEAVE_KEY_GRID "grid"
#define CLEAVE_KEY_BLOCK "block"
#define CLEAVE_KEY_COLLECTIVE "collective"
#define CLEAVE_KEY_IN "in"
#define CLEAVE_KEY_OUT "out"
#define CLEAVE_KEY_COUNT "count"
#define CLEAVE_KEY_TYPE "type"
#define CLEAVE_KEY_BUFFER "buffer"
#define CLEAVE_KEY_VALUE "value"
#define CLEAVE_KEY_BITS "bits"

/* gpu_program.buffers[].kind */
#define CLEAVE_BUFFER_ARG "arg"
#define CLEAVE_BUFFER_TEMP "temp"
#define CLEAVE_BUFFER_CONSTANT "constant"

/* Collectives: gpu_program.launches[].collective, stages[].collectives[].kind */
#define CLEAVE_COLLECTIVE_ALL_REDUCE_SUM "all_reduce_sum"
#define CLEAVE_COLLECTIVE_ALL_GATHER "all_gather"

/* gpu_program.launches[].args[].type */
#define CLEAVE_KERNEL_ARG_PTR "ptr"
#define CLEAVE_KERNEL_ARG_I64 "i64"
#define CLEAVE_KERNEL_ARG_I32 "i32"
#define CLEAVE_KERNEL_ARG_I16 "i16"
#define CLEAVE_KERNEL_ARG_I8 "i8"
#define CLEAVE_KERNEL_ARG_I1 "i1"
#define CLEAVE_KERNEL_ARG_F32 "f32"
#define CLEAVE_KERNEL_ARG_F64 "f64"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_ABI_H */
