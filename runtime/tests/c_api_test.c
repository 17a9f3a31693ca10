/*===- c_api_test.c - The runtime's C API, used from a C99 program --------===*
 *
 * usage: c_api_test local ADD.cleave CHAIN2.cleave DIR
 *          ADD: cleave-make-test-artifact add (y = x + w over float32[2, 3]);
 *          CHAIN2: chain:2:1 (a plan on two ranks); DIR: scratch directory
 *        mpirun -np 2 c_api_test mpi CHAIN_2_4.cleave CHAIN_4_1.cleave
 *          a two-stage pipeline in 4 microbatches, and a plan on 4 ranks
 * Prints one FAIL line per failed check and a summary; exits 1 on failure.
 * Compiled with -std=c99 -Wall -Wextra -pedantic -Werror.
 *
 *===----------------------------------------------------------------------===*/

#include "cleave/cleave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0;
static int failures = 0;
static const char *prefix = "";

/* Records one check; prints where it failed. */
static int check(int ok, const char *what, int line) {
  ++checks;
  if (!ok) {
    ++failures;
    fprintf(stderr, "%sc_api_test.c:%d: FAIL: %s\n", prefix, line, what);
  }
  return ok;
}
#define CHECK(cond) check((cond) != 0, #cond, __LINE__)

/* Checks that `status` succeeded (printing its message if not), frees it. */
static int expect_ok(cleave_status *status, int line) {
  int ok = check(status == NULL, cleave_status_get_message(status), line);
  cleave_status_release(status);
  return ok;
}
#define EXPECT_OK(call) expect_ok((call), __LINE__)

/* Checks that `status` failed with `code` and a one-line message that
 * contains `want`; frees it. */
static void expect_error(cleave_status *status, cleave_status_code code,
                         const char *want, int line) {
  const char *message = cleave_status_get_message(status);
  if (!check(status != NULL, "expected a failure, got success", line))
    return;
  if (!check(cleave_status_get_code(status) == code, message, line))
    fprintf(stderr, "%s  code %s, expected %s\n", prefix,
            cleave_status_code_name(cleave_status_get_code(status)),
            cleave_status_code_name(code));
  if (!check(strstr(message, want) != NULL, message, line))
    fprintf(stderr, "%s  expected the message to hold '%s'\n", prefix, want);
  check(message[0] != '\0' && strchr(message, '\n') == NULL,
        "the message is one non-empty line", line);
  cleave_status_release(status);
}
#define EXPECT_ERROR(call, code, want)                                         \
  expect_error((call), (code), (want), __LINE__)

/* A buffer of `bytes` bytes starting `skew` bytes past a 64-byte boundary. */
typedef struct buffer {
  unsigned char *block;
  unsigned char *data;
} buffer;

static buffer make_buffer(size_t bytes, size_t skew) {
  buffer b;
  uintptr_t address;
  b.block = (unsigned char *)calloc(bytes + 128, 1);
  if (!b.block) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  address = (uintptr_t)b.block;
  b.data = b.block + (64 - address % 64) % 64 + skew;
  return b;
}

/* Writes a copy of `from` with one byte of its first section flipped. */
static int write_damaged(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  FILE *out;
  unsigned char *bytes;
  long size;
  if (!in)
    return 0;
  fseek(in, 0, SEEK_END);
  size = ftell(in);
  fseek(in, 0, SEEK_SET);
  bytes = (unsigned char *)malloc((size_t)size);
  if (!bytes || fread(bytes, 1, (size_t)size, in) != (size_t)size) {
    fclose(in);
    free(bytes);
    return 0;
  }
  fclose(in);
  bytes[CLEAVE_SECTION_ALIGNMENT + 100] ^= 0x40;
  out = fopen(to, "wb");
  if (!out || fwrite(bytes, 1, (size_t)size, out) != (size_t)size) {
    if (out)
      fclose(out);
    free(bytes);
    return 0;
  }
  free(bytes);
  return fclose(out) == 0;
}

static void test_helpers(void) {
  CHECK(cleave_status_get_code(NULL) == CLEAVE_OK);
  CHECK(strcmp(cleave_status_get_message(NULL), "") == 0);
  cleave_status_release(NULL);
  CHECK(strcmp(cleave_status_code_name(CLEAVE_DATA_LOSS), "DATA_LOSS") == 0);
  CHECK(strcmp(cleave_status_code_name((cleave_status_code)42), "UNKNOWN") ==
        0);
  CHECK(cleave_dtype_size(CLEAVE_DTYPE_FLOAT16) == 2);
  CHECK(cleave_dtype_size(CLEAVE_DTYPE_INT64) == 8);
  CHECK(cleave_dtype_size((cleave_dtype)99) == 0);
  CHECK(strcmp(cleave_dtype_name(CLEAVE_DTYPE_BFLOAT16), "bfloat16") == 0);
  CHECK(cleave_dtype_name((cleave_dtype)99) == NULL);
}

static void test_local(const char *add, const char *chain2, const char *dir) {
  static const int64_t dims[2] = {2, 3};
  static const int64_t wrong_dims[2] = {3, 2};
  static const float w[6] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
  cleave_session_options *options = NULL;
  cleave_session *session = NULL;
  cleave_session *second = NULL;
  cleave_tensor_info info;
  cleave_tensor_view in;
  cleave_mutable_tensor_view out;
  buffer x = make_buffer(24, 0), x_skewed = make_buffer(24, 4);
  buffer y = make_buffer(24, 0), z = make_buffer(24, 0);
  char path[4096];
  int i, run;

  EXPECT_OK(cleave_session_options_create(&options));
  EXPECT_OK(cleave_session_options_set_threads(options, 1));
  EXPECT_ERROR(cleave_session_options_set_threads(options, -1),
               CLEAVE_INVALID_ARGUMENT,
               "threads must be 0 (all cores) or positive, got -1");
  if (!EXPECT_OK(cleave_session_create(add, options, &session)))
    return;
  CHECK(session != NULL);

  CHECK(cleave_session_input_count(session) == 1);
  CHECK(cleave_session_output_count(session) == 1);
  CHECK(cleave_session_takes_inputs(session) == 1);
  CHECK(cleave_session_returns_outputs(session) == 1);
  CHECK(cleave_session_rank(session) == 0);
  if (EXPECT_OK(cleave_session_input_info(session, 0, &info))) {
    CHECK(strcmp(info.name, "x") == 0);
    CHECK(info.dtype == CLEAVE_DTYPE_FLOAT32);
    CHECK(info.rank == 2 && info.dims[0] == 2 && info.dims[1] == 3);
    CHECK(info.byte_size == 24);
  }
  if (EXPECT_OK(cleave_session_output_info(session, 0, &info))) {
    CHECK(strcmp(info.name, "y") == 0);
    CHECK(info.dtype == CLEAVE_DTYPE_FLOAT32 && info.rank == 2);
  }
  EXPECT_ERROR(cleave_session_input_info(session, 1, &info),
               CLEAVE_INVALID_ARGUMENT,
               "input index 1 out of range (the model has 1 input)");
  EXPECT_ERROR(cleave_session_output_info(session, 0, NULL),
               CLEAVE_INVALID_ARGUMENT, "info is NULL");

  /* Runs, from an aligned and a misaligned input. */
  for (i = 0; i < 6; ++i) {
    ((float *)x.data)[i] = (float)(i + 1);
    memcpy(x_skewed.data + 4 * i, &((float *)x.data)[i], 4);
  }
  in.dtype = CLEAVE_DTYPE_FLOAT32;
  in.rank = 2;
  in.dims = dims;
  in.byte_size = 24;
  out.dtype = CLEAVE_DTYPE_FLOAT32;
  out.rank = 2;
  out.dims = dims;
  out.data = y.data;
  out.byte_size = 24;
  for (run = 0; run < 2; ++run) {
    in.data = run == 0 ? x.data : x_skewed.data;
    memset(y.data, 0, 24);
    if (EXPECT_OK(cleave_session_run(session, &in, 1, &out, 1)))
      for (i = 0; i < 6; ++i)
        CHECK(((float *)y.data)[i] == (float)(i + 1) + w[i]);
  }

  /* Wrong inputs and outputs: one-line InvalidArgument errors. */
  in.data = x.data;
  in.dims = wrong_dims;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT,
               "input 'x': expected shape [2, 3], got [3, 2]");
  in.dims = dims;
  in.dtype = CLEAVE_DTYPE_INT32;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT,
               "input 'x': expected dtype float32, got int32");
  in.dtype = (cleave_dtype)99;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT, "input 'x': unknown dtype code 99");
  in.dtype = CLEAVE_DTYPE_FLOAT32;
  in.byte_size = 20;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT,
               "input 'x': buffer of 20 bytes, needs 24");
  in.byte_size = 24;
  out.byte_size = 20;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT,
               "output 'y': buffer of 20 bytes, needs 24");
  out.byte_size = 24;
  out.dtype = CLEAVE_DTYPE_FLOAT64;
  EXPECT_ERROR(cleave_session_run(session, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT,
               "output 'y': expected dtype float32, got float64");
  out.dtype = CLEAVE_DTYPE_FLOAT32;
  EXPECT_ERROR(cleave_session_run(session, NULL, 0, &out, 1),
               CLEAVE_INVALID_ARGUMENT, "expected 1 input (x), got 0");
  EXPECT_ERROR(cleave_session_run(session, &in, 1, NULL, 0),
               CLEAVE_INVALID_ARGUMENT, "expected 1 output (y), got 0");
  EXPECT_ERROR(cleave_session_run(session, NULL, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT, "inputs is NULL with input_count 1");
  EXPECT_ERROR(cleave_session_run(NULL, &in, 1, &out, 1),
               CLEAVE_INVALID_ARGUMENT, "session is NULL");

  /* A second session of the same artifact runs beside the first. */
  if (EXPECT_OK(cleave_session_create(add, NULL, &second))) {
    out.data = z.data;
    if (EXPECT_OK(cleave_session_run(second, &in, 1, &out, 1)))
      CHECK(memcmp(y.data, z.data, 24) == 0);
    cleave_session_release(second);
  }
  cleave_session_release(session);

  /* Artifacts that cannot be opened or run here. */
  session = (cleave_session *)&session; /* must be reset to NULL */
  sprintf(path, "%.4000s/missing.cleave", dir);
  EXPECT_ERROR(cleave_session_create(path, NULL, &session), CLEAVE_NOT_FOUND,
               "missing.cleave': cannot open");
  CHECK(session == NULL);
  sprintf(path, "%.4000s/damaged.cleave", dir);
  if (CHECK(write_damaged(add, path)))
    EXPECT_ERROR(cleave_session_create(path, NULL, &session), CLEAVE_DATA_LOSS,
                 "checksum mismatch (file damaged?)");
  CHECK(session == NULL);
  EXPECT_ERROR(cleave_session_create(chain2, NULL, &session),
               CLEAVE_FAILED_PRECONDITION,
               "the plan needs 2 ranks: run the program as mpirun -np 2");
  EXPECT_OK(cleave_session_options_set_mpi(options, 0));
  EXPECT_ERROR(cleave_session_create(chain2, options, &session),
               CLEAVE_FAILED_PRECONDITION,
               "the plan needs 2 ranks and MPI is off in the session options");
  EXPECT_ERROR(cleave_session_create(NULL, NULL, &session),
               CLEAVE_INVALID_ARGUMENT, "no artifact path");
  cleave_session_options_release(options);
  free(x.block);
  free(x_skewed.block);
  free(y.block);
  free(z.block);
}

/* Runs under mpirun -np 2: rank 0 passes x, rank 1 gets y. */
static void test_mpi(const char *chain, const char *chain4) {
  static const int64_t dims[2] = {8, 3};
  cleave_session *session = NULL;
  cleave_tensor_view in;
  cleave_mutable_tensor_view out;
  buffer x = make_buffer(96, 0), y = make_buffer(96, 0);
  int i, run, rank;
  static char rank_prefix[32];

  if (!EXPECT_OK(cleave_session_create(chain, NULL, &session)))
    return;
  rank = cleave_session_rank(session);
  sprintf(rank_prefix, "rank %d: ", rank);
  prefix = rank_prefix;
  CHECK(rank == 0 || rank == 1);
  CHECK(cleave_session_takes_inputs(session) == (rank == 0));
  CHECK(cleave_session_returns_outputs(session) == (rank == 1));
  CHECK(cleave_session_input_count(session) == 1);

  for (i = 0; i < 24; ++i)
    ((float *)x.data)[i] = (float)(i - 7) / 4.0f;
  in.dtype = CLEAVE_DTYPE_FLOAT32;
  in.rank = 2;
  in.dims = dims;
  in.data = x.data;
  in.byte_size = 96;
  out.dtype = CLEAVE_DTYPE_FLOAT32;
  out.rank = 2;
  out.dims = dims;
  out.data = y.data;
  out.byte_size = 96;
  for (run = 0; run < 2; ++run) {
    cleave_status *status = cleave_session_run(
        session, &in, cleave_session_takes_inputs(session) ? 1 : 0, &out,
        cleave_session_returns_outputs(session) ? 1 : 0);
    if (status) {
      /* The peer may be blocked: end the job. */
      fprintf(stderr, "%sc_api_test: run failed: %s\n", prefix,
              cleave_status_get_message(status));
      cleave_session_abort(session, 1);
    }
    if (rank == 1)
      for (i = 0; i < 24; ++i) /* stage k: v * 2 + k */
        CHECK(((float *)y.data)[i] ==
              (((float *)x.data)[i] * 2.0f + 0.0f) * 2.0f + 1.0f);
  }
  cleave_session_release(session);

  /* Every rank gets the same one-line failure. */
  session = (cleave_session *)&session;
  EXPECT_ERROR(cleave_session_create(chain4, NULL, &session),
               CLEAVE_FAILED_PRECONDITION,
               "the plan needs 4 ranks, mpirun started 2");
  CHECK(session == NULL);
  free(x.block);
  free(y.block);
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "local") == 0) {
    test_helpers();
    test_local(argv[2], argv[3], argv[4]);
  } else if (argc == 4 && strcmp(argv[1], "mpi") == 0) {
    test_mpi(argv[2], argv[3]);
  } else {
    fprintf(stderr,
            "usage: %s local ADD.cleave CHAIN2.cleave DIR | mpi "
            "CHAIN_2_4.cleave CHAIN_4_1.cleave\n",
            argv[0]);
    return 2;
  }
  printf("%sc_api_test: %d checks, %d failures\n", prefix, checks, failures);
  return failures == 0 ? 0 : 1;
}
