//===- cleave.cc - The C API (cleave/cleave.h) over the C++ runtime -------===//
//
// Each entry point runs its body inside guarded(), which turns a failed
// Status, and any exception, into a heap-allocated cleave_status, so that no
// exception crosses the C boundary. Runs go through Session::run's view
// path: the C views are translated into TensorView / MutableTensorView
// vectors kept in the session and reused from run to run.
//
// MPI: sessions are opened by openProcessSession() (core/process_session.h),
// which the Python package shares: under mpirun the first distributed
// session initialises MPI and keeps that transport for the rest of the
// process (if this runtime initialised MPI, it is finalised at exit, when
// the transport is destroyed); each session runs over a communicator of its
// own, split from it, so the messages of two sessions never meet.
//
//===----------------------------------------------------------------------===//

#include "cleave/cleave.h"
#include "cleave/runtime.h"

#include "comm/transport.h"
#include "core/process_session.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <vector>

using cleave::Artifact;
using cleave::DType;
using cleave::MutableTensorView;
using cleave::Session;
using cleave::Shape;
using cleave::Status;
using cleave::StatusCode;
using cleave::StatusOr;
using cleave::TensorDesc;
using cleave::TensorView;
using cleave::Transport;

/// An error as the C API hands it out: the code and the one-line message.
struct cleave_status {
  cleave_status_code code;
  std::string message;
};

/// What cleave_session_options_set_* recorded.
struct cleave_session_options {
  int threads = 0;    ///< SessionOptions::threads
  bool useMpi = true; ///< run plans on several ranks over MPI under mpirun
};

/// A session with what it runs over.
struct cleave_session {
  /// Declared before `session`, which uses it, so that it outlives it.
  std::shared_ptr<Transport> transport;
  std::unique_ptr<Session> session;
  /// The current run's views, kept so that repeated runs reuse their memory.
  std::vector<TensorView> inputs;
  std::vector<MutableTensorView> outputs;
};

namespace {

// The C codes mirror the C++ ones, value for value.
static_assert(CLEAVE_OK == int(StatusCode::Ok), "status codes differ");
static_assert(CLEAVE_INVALID_ARGUMENT == int(StatusCode::InvalidArgument),
              "status codes differ");
static_assert(CLEAVE_NOT_FOUND == int(StatusCode::NotFound),
              "status codes differ");
static_assert(CLEAVE_DATA_LOSS == int(StatusCode::DataLoss),
              "status codes differ");
static_assert(CLEAVE_FAILED_PRECONDITION == int(StatusCode::FailedPrecondition),
              "status codes differ");
static_assert(CLEAVE_UNIMPLEMENTED == int(StatusCode::Unimplemented),
              "status codes differ");
static_assert(CLEAVE_RESOURCE_EXHAUSTED == int(StatusCode::ResourceExhausted),
              "status codes differ");
static_assert(CLEAVE_INTERNAL == int(StatusCode::Internal),
              "status codes differ");

/// Returned when not even a status can be allocated; never freed or changed.
cleave_status gOutOfMemory{CLEAVE_RESOURCE_EXHAUSTED, "out of memory"};

/// A heap copy of the failed `status`, its message kept to one line.
cleave_status *makeStatus(const Status &status) noexcept {
  try {
    std::string message = status.message();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::replace(message.begin(), message.end(), '\r', ' ');
    return new cleave_status{static_cast<cleave_status_code>(status.code()),
                             std::move(message)};
  } catch (...) {
    return &gOutOfMemory;
  }
}

/// Runs `body` (returning a Status): NULL on success, a new cleave_status
/// on failure or on any exception.
template <typename Body> cleave_status *guarded(Body &&body) noexcept {
  try {
    Status status = body();
    return status.ok() ? nullptr : makeStatus(status);
  } catch (const std::bad_alloc &) {
    return &gOutOfMemory;
  } catch (const std::exception &error) {
    return makeStatus(cleave::internalError(std::string("unexpected error: ") +
                                            error.what()));
  } catch (...) {
    return makeStatus(cleave::internalError("unexpected error"));
  }
}

/// The largest rank a C view may state; beyond it the dims are not read.
constexpr size_t kMaxRank = 64;

/// Translates a C view's type into `dtype` and `shape`; `what` names it.
/// The dtype field of a caller's view as the integer the caller stored: reading
/// it as a cleave_dtype would be undefined for a code outside the enum, which
/// is exactly what translateType must refuse.
int32_t dtypeCode(const cleave_dtype &field) {
  static_assert(sizeof(cleave_dtype) == sizeof(int32_t), "cleave_dtype is an int");
  int32_t code;
  std::memcpy(&code, &field, sizeof code);
  return code;
}

Status translateType(const std::string &what, int32_t code, size_t rank,
                     const int64_t *dims, DType *dtype, Shape *shape) {
  if (!cleave_dtype_name(code))
    return cleave::invalidArgumentError(what + ": unknown dtype code " +
                                        std::to_string(code));
  if (rank > kMaxRank)
    return cleave::invalidArgumentError(
        what + ": rank " + std::to_string(rank) + " exceeds the limit of " +
        std::to_string(kMaxRank) + " dimensions");
  if (rank > 0 && !dims)
    return cleave::invalidArgumentError(what + ": dims is NULL with rank " +
                                        std::to_string(rank));
  *dtype = static_cast<DType>(code); // DType holds abi.h's codes
  if (rank > 0)
    shape->assign(dims, dims + rank);
  else
    shape->clear();
  return Status();
}

/// "input 'x'" for a declared tensor, "input 3" past the declared ones.
std::string nameOf(const char *kind, const std::vector<TensorDesc> &declared,
                   size_t index) {
  if (index < declared.size())
    return std::string(kind) + " '" + declared[index].name + "'";
  return std::string(kind) + " " + std::to_string(index);
}

/// Fills `info` for input (or output) `index` of `session`.
Status describe(const cleave_session *session, bool input, size_t index,
                cleave_tensor_info *info) {
  const char *function =
      input ? "cleave_session_input_info" : "cleave_session_output_info";
  if (!session || !info)
    return cleave::invalidArgumentError(std::string(function) + ": " +
                                        (session ? "info" : "session") +
                                        " is NULL");
  const Artifact &artifact = session->session->artifact();
  const std::vector<TensorDesc> &list =
      input ? artifact.inputs() : artifact.outputs();
  const char *kind = input ? "input" : "output";
  if (index >= list.size())
    return cleave::invalidArgumentError(
        std::string(kind) + " index " + std::to_string(index) +
        " out of range (the model has " + std::to_string(list.size()) + " " +
        kind + (list.size() == 1 ? "" : "s") + ")");
  const TensorDesc &desc = list[index];
  info->name = desc.name.c_str();
  info->dtype = static_cast<cleave_dtype>(desc.dtype);
  info->rank = desc.shape.size();
  info->dims = desc.shape.empty() ? nullptr : desc.shape.data();
  info->byte_size = desc.byteSize();
  return Status();
}

/// Translates `count` C views of `kind` ("input" or "output") into the C++
/// API's `views`, naming the tensor at fault.
template <typename CView, typename View>
Status translateViews(const char *kind, const std::vector<TensorDesc> &declared,
                      const CView *given, size_t count,
                      std::vector<View> &views) {
  views.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Status status =
        translateType(nameOf(kind, declared, i), dtypeCode(given[i].dtype), given[i].rank,
                      given[i].dims, &views[i].dtype, &views[i].shape);
    if (!status.ok())
      return status;
    views[i].data = given[i].data;
    views[i].byteSize = given[i].byte_size;
  }
  return Status();
}

} // namespace

extern "C" {

cleave_status_code cleave_status_get_code(const cleave_status *status) {
  return status ? status->code : CLEAVE_OK;
}

const char *cleave_status_get_message(const cleave_status *status) {
  return status ? status->message.c_str() : "";
}

const char *cleave_status_code_name(cleave_status_code code) {
  if (code < CLEAVE_OK || code > CLEAVE_INTERNAL)
    return "UNKNOWN";
  return cleave::statusCodeName(static_cast<StatusCode>(code));
}

void cleave_status_release(cleave_status *status) {
  if (status != &gOutOfMemory)
    delete status;
}

cleave_status *cleave_session_options_create(cleave_session_options **options) {
  return guarded([&]() -> Status {
    if (!options)
      return cleave::invalidArgumentError(
          "cleave_session_options_create: options is NULL");
    *options = new cleave_session_options();
    return Status();
  });
}

void cleave_session_options_release(cleave_session_options *options) {
  delete options;
}

cleave_status *
cleave_session_options_set_threads(cleave_session_options *options,
                                   int threads) {
  return guarded([&]() -> Status {
    if (!options)
      return cleave::invalidArgumentError(
          "cleave_session_options_set_threads: options is NULL");
    if (threads < 0)
      return cleave::invalidArgumentError(
          "threads must be 0 (all cores) or positive, got " +
          std::to_string(threads));
    options->threads = threads;
    return Status();
  });
}

cleave_status *cleave_session_options_set_mpi(cleave_session_options *options,
                                              int use_mpi) {
  return guarded([&]() -> Status {
    if (!options)
      return cleave::invalidArgumentError(
          "cleave_session_options_set_mpi: options is NULL");
    options->useMpi = use_mpi != 0;
    return Status();
  });
}

cleave_status *cleave_session_create(const char *path,
                                     const cleave_session_options *options,
                                     cleave_session **session) {
  if (session)
    *session = nullptr;
  return guarded([&]() -> Status {
    if (!session)
      return cleave::invalidArgumentError(
          "cleave_session_create: session is NULL");
    if (!path)
      return cleave::invalidArgumentError(
          "cleave_session_create: no artifact path (path is NULL)");
    cleave_session_options defaults;
    const cleave_session_options &opts = options ? *options : defaults;
    StatusOr<cleave::ProcessSession> opened = cleave::openProcessSession(
        path, cleave::ProcessSessionOptions{opts.threads, opts.useMpi});
    if (!opened.ok())
      return opened.status();
    auto created = std::make_unique<cleave_session>();
    created->transport = std::move(opened->transport);
    created->session = std::move(opened->session);
    *session = created.release();
    return Status();
  });
}

void cleave_session_release(cleave_session *session) { delete session; }

size_t cleave_session_input_count(const cleave_session *session) {
  return session ? session->session->artifact().inputs().size() : 0;
}

size_t cleave_session_output_count(const cleave_session *session) {
  return session ? session->session->artifact().outputs().size() : 0;
}

cleave_status *cleave_session_input_info(const cleave_session *session,
                                         size_t index,
                                         cleave_tensor_info *info) {
  return guarded([&] { return describe(session, true, index, info); });
}

cleave_status *cleave_session_output_info(const cleave_session *session,
                                          size_t index,
                                          cleave_tensor_info *info) {
  return guarded([&] { return describe(session, false, index, info); });
}

int cleave_session_takes_inputs(const cleave_session *session) {
  return session && session->session->takesInputs() ? 1 : 0;
}

int cleave_session_returns_outputs(const cleave_session *session) {
  return session && session->session->returnsOutputs() ? 1 : 0;
}

int cleave_session_rank(const cleave_session *session) {
  return session ? session->session->stage().rank : -1;
}

cleave_status *cleave_session_run(cleave_session *session,
                                  const cleave_tensor_view *inputs,
                                  size_t input_count,
                                  const cleave_mutable_tensor_view *outputs,
                                  size_t output_count) {
  return guarded([&]() -> Status {
    if (!session)
      return cleave::invalidArgumentError(
          "cleave_session_run: session is NULL");
    if (!inputs && input_count > 0)
      return cleave::invalidArgumentError(
          "cleave_session_run: inputs is NULL with input_count " +
          std::to_string(input_count));
    if (!outputs && output_count > 0)
      return cleave::invalidArgumentError(
          "cleave_session_run: outputs is NULL with output_count " +
          std::to_string(output_count));
    const Artifact &artifact = session->session->artifact();
    Status status = translateViews("input", artifact.inputs(), inputs,
                                   input_count, session->inputs);
    if (status.ok())
      status = translateViews("output", artifact.outputs(), outputs,
                              output_count, session->outputs);
    if (!status.ok())
      return status;
    return session->session->run(session->inputs, session->outputs);
  });
}

void cleave_session_abort(cleave_session *session, int exit_code) {
  std::fflush(nullptr);
  if (session && session->transport)
    session->transport->abort(exit_code);
  std::_Exit(exit_code);
}

} // extern "C"
