/*===- cleave.h - The Cleave runtime's C API ------------------------------===*
 *
 * Loads a `.cleave` artifact and runs it from C (C99) or any language with a
 * C foreign-function interface. Shaped like onnxruntime's C API, but small:
 * opaque handles (cleave_session, cleave_session_options, cleave_status),
 * functions that return a cleave_status pointer (NULL on success), and runs
 * over caller-owned buffers that the runtime reads and writes in place.
 *
 * Errors. A function that can fail returns NULL on success and otherwise a
 * cleave_status the caller owns and frees with cleave_status_release(). It
 * holds a code (cleave_status_code, mirroring the C++ API's StatusCode) and
 * a one-line message naming the thing at fault, e.g.
 *   input 'x': expected shape [2, 3], got [3, 2]
 * There is no global error state: statuses of two sessions used on two
 * threads never meet. If even the status cannot be allocated, a shared,
 * immutable CLEAVE_RESOURCE_EXHAUSTED status is returned; releasing it is
 * harmless. No C++ exception crosses these functions.
 *
 * Threads. A session runs one inference at a time: use each session from
 * one thread at a time. Separate sessions may run on separate threads.
 *
 * Linking. libcleave_runtime.so (CMake target Cleave::runtime_shared) holds
 * the runtime and the C++ standard library's dependency, so a C program
 * links it alone: `cc app.c -lcleave_runtime`. The static libcleave_runtime.a
 * (Cleave::runtime) also works from C when linked with the C++ driver or with
 * -lstdc++, plus -ldl, -lpthread and MPI when the runtime was built with it
 * (docs/install.md).
 *
 * Plain C99; includes only stdint.h, stddef.h and cleave/abi.h, whose
 * cleave_dtype codes the tensors here use.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_CLEAVE_H
#define CLEAVE_CLEAVE_H

#include <stddef.h>
#include <stdint.h>

#include "cleave/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a function that does not return, where the compiler can say so. */
#if defined(__GNUC__) || defined(__clang__)
#define CLEAVE_NORETURN __attribute__((noreturn))
#else
#define CLEAVE_NORETURN
#endif

/*===----------------------------------------------------------------------===*
 * Status
 *===----------------------------------------------------------------------===*/

/** The kind of failure; the same values, in the same order, as the C++
 *  API's cleave::StatusCode. */
typedef enum cleave_status_code {
  CLEAVE_OK = 0,                  /**< success (a NULL status) */
  CLEAVE_INVALID_ARGUMENT = 1,    /**< the caller passed something wrong */
  CLEAVE_NOT_FOUND = 2,           /**< a file, symbol or name does not exist */
  CLEAVE_DATA_LOSS = 3,           /**< a file is damaged */
  CLEAVE_FAILED_PRECONDITION = 4, /**< well-formed but unusable here */
  CLEAVE_UNIMPLEMENTED = 5,       /**< a feature this runtime lacks */
  CLEAVE_RESOURCE_EXHAUSTED = 6,  /**< out of memory */
  CLEAVE_INTERNAL = 7             /**< a bug or unexpected system failure */
} cleave_status_code;

/** An error: a code and a one-line message. NULL means success. */
typedef struct cleave_status cleave_status;

/** The code of `status`; CLEAVE_OK for NULL. */
cleave_status_code cleave_status_get_code(const cleave_status *status);

/** The one-line message of `status` (lowercase, no trailing period, no
 *  newline); "" for NULL. Valid until the status is released. */
const char *cleave_status_get_message(const cleave_status *status);

/** The name of `code`, e.g. "INVALID_ARGUMENT"; "UNKNOWN" for other values. */
const char *cleave_status_code_name(cleave_status_code code);

/** Frees `status`; NULL is ignored. */
void cleave_status_release(cleave_status *status);

/* Element types: cleave/abi.h's cleave_dtype codes, with cleave_dtype_name()
 * (numpy's name, NULL for an unknown code) and cleave_dtype_size() (bytes per
 * element, 0 for an unknown code). */

/*===----------------------------------------------------------------------===*
 * Session options
 *===----------------------------------------------------------------------===*/

/** How a session runs; see the setters for the defaults. */
typedef struct cleave_session_options cleave_session_options;

/** Creates options holding the defaults into `*options`. */
cleave_status *cleave_session_options_create(cleave_session_options **options);

/** Frees `options`; NULL is ignored. Sessions created with them keep no
 *  reference to them. */
void cleave_session_options_release(cleave_session_options *options);

/** CPU threads of the session (per rank); 0, the default, means all the
 *  cores available to the process. Negative values are refused. */
cleave_status *
cleave_session_options_set_threads(cleave_session_options *options,
                                   int threads);

/** Whether a plan on several ranks may run over MPI (default: 1). When on
 *  and the process was started by mpirun with more than one rank,
 *  cleave_session_create() initialises MPI (unless the program already did)
 *  and the session runs this rank's stage; see cleave_session_create(). When
 *  off, such a plan is refused and MPI is never touched. */
cleave_status *cleave_session_options_set_mpi(cleave_session_options *options,
                                              int use_mpi);

/*===----------------------------------------------------------------------===*
 * Tensors
 *===----------------------------------------------------------------------===*/

/** A model input or output as the artifact declares it. The pointers are
 *  owned by the session and valid until it is released. */
typedef struct cleave_tensor_info {
  const char *name;    /**< NUL-terminated */
  cleave_dtype dtype;  /**< element type */
  size_t rank;         /**< number of dimensions (0 for a scalar) */
  const int64_t *dims; /**< `rank` dimensions, row-major */
  size_t byte_size;    /**< bytes of the dense tensor */
} cleave_tensor_info;

/** A caller-owned, read-only dense row-major tensor: an input that
 *  cleave_session_run() reads in place during the call. A buffer starting
 *  64-byte aligned reaches the model's code without a copy. */
typedef struct cleave_tensor_view {
  cleave_dtype dtype;  /**< must be the input's */
  size_t rank;         /**< must be the input's */
  const int64_t *dims; /**< `rank` dimensions (may be NULL when rank is 0) */
  const void *data;    /**< the first element */
  size_t byte_size;    /**< bytes readable at `data`, at least the tensor's */
} cleave_tensor_view;

/** A caller-owned, writable dense row-major tensor: an output buffer that
 *  cleave_session_run() fills in place. It must not overlap an input or
 *  another output. */
typedef struct cleave_mutable_tensor_view {
  cleave_dtype dtype;  /**< must be the output's */
  size_t rank;         /**< must be the output's */
  const int64_t *dims; /**< `rank` dimensions (may be NULL when rank is 0) */
  void *data;          /**< where the first element goes */
  size_t byte_size;    /**< bytes writable at `data`, at least the tensor's */
} cleave_mutable_tensor_view;

/*===----------------------------------------------------------------------===*
 * Session
 *===----------------------------------------------------------------------===*/

/** A loaded artifact, ready to run any number of inferences. */
typedef struct cleave_session cleave_session;

/**
 * Opens and validates the artifact at `path` (checksums, versions, schema),
 * loads its code and binds its parameters; `options` may be NULL for the
 * defaults. On success `*session` is a new session to release with
 * cleave_session_release(); on failure it is set to NULL.
 *
 * Under mpirun with several ranks (and MPI allowed by the options), every
 * rank calls this with the same artifact, collectively: the session runs
 * this rank's stage over a communicator of its own, and every rank gets the
 * same result, a failure on any rank being reported on all of them as
 * "rank R: <message>" for the lowest failing rank R. If the runtime
 * initialised MPI, it finalises it when the process exits; a program that
 * wants to own MPI's lifetime calls MPI_Init before the first session and
 * MPI_Finalize after releasing the last. Elsewhere a plan on several ranks
 * fails with CLEAVE_FAILED_PRECONDITION saying how to run it.
 */
cleave_status *cleave_session_create(const char *path,
                                     const cleave_session_options *options,
                                     cleave_session **session);

/** Frees `session` (its code, mapping and buffers); NULL is ignored. Under
 *  MPI, release every session before the process exits: MPI is finalised
 *  at exit only once no session uses it. */
void cleave_session_release(cleave_session *session);

/** The number of model inputs (the artifact's, also on ranks that take
 *  none); 0 for NULL. */
size_t cleave_session_input_count(const cleave_session *session);

/** The number of model outputs; 0 for NULL. */
size_t cleave_session_output_count(const cleave_session *session);

/** Describes input `index` (0 to cleave_session_input_count() - 1). */
cleave_status *cleave_session_input_info(const cleave_session *session,
                                         size_t index,
                                         cleave_tensor_info *info);

/** Describes output `index` (0 to cleave_session_output_count() - 1). */
cleave_status *cleave_session_output_info(const cleave_session *session,
                                          size_t index,
                                          cleave_tensor_info *info);

/** 1 when this rank passes the inputs to cleave_session_run() (it runs the
 *  first stage; always for a plan on one rank), 0 otherwise or for NULL. */
int cleave_session_takes_inputs(const cleave_session *session);

/** 1 when this rank gets the outputs from cleave_session_run() (it runs the
 *  last stage, first in its tensor-parallel group; always for a plan on one
 *  rank), 0 otherwise or for NULL. */
int cleave_session_returns_outputs(const cleave_session *session);

/** The MPI rank whose stage the session runs (0 for a plan on one rank);
 *  -1 for NULL. */
int cleave_session_rank(const cleave_session *session);

/**
 * Runs one inference. `inputs` are `input_count` views in the order of
 * cleave_session_input_info(), each matching its input's dtype and dims,
 * on the rank that takes inputs, and none (0, NULL allowed) elsewhere.
 * `outputs` are `output_count` buffers in the order of
 * cleave_session_output_info(), each matching its output's dtype and dims
 * with at least its byte_size bytes, on the rank that returns outputs, and
 * none elsewhere. A mismatch fails with CLEAVE_INVALID_ARGUMENT naming the
 * input or output, e.g. "output 'y': buffer of 20 bytes, needs 24"; the
 * output buffers' contents are then unspecified.
 *
 * Under MPI every rank calls this for each inference. A failure on one rank
 * leaves its peers waiting for it: end the job (cleave_session_abort())
 * rather than run again.
 */
cleave_status *cleave_session_run(cleave_session *session,
                                  const cleave_tensor_view *inputs,
                                  size_t input_count,
                                  const cleave_mutable_tensor_view *outputs,
                                  size_t output_count);

/** Ends the job with `exit_code` and does not return: every process of an
 *  MPI job (MPI_Abort) for a session running over MPI, otherwise this
 *  process (_Exit). For a failure once a distributed run started. */
CLEAVE_NORETURN void cleave_session_abort(cleave_session *session,
                                          int exit_code);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_CLEAVE_H */
