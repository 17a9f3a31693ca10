//===- status.cc - Status codes and helpers -------------------------------===//

#include "cleave/runtime.h"

namespace cleave {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::Ok:
    return "OK";
  case StatusCode::InvalidArgument:
    return "INVALID_ARGUMENT";
  case StatusCode::NotFound:
    return "NOT_FOUND";
  case StatusCode::DataLoss:
    return "DATA_LOSS";
  case StatusCode::FailedPrecondition:
    return "FAILED_PRECONDITION";
  case StatusCode::Unimplemented:
    return "UNIMPLEMENTED";
  case StatusCode::ResourceExhausted:
    return "RESOURCE_EXHAUSTED";
  case StatusCode::Internal:
    return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::toString() const {
  if (ok())
    return "OK";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

Status invalidArgumentError(std::string message) {
  return Status(StatusCode::InvalidArgument, std::move(message));
}
Status notFoundError(std::string message) {
  return Status(StatusCode::NotFound, std::move(message));
}
Status dataLossError(std::string message) {
  return Status(StatusCode::DataLoss, std::move(message));
}
Status failedPreconditionError(std::string message) {
  return Status(StatusCode::FailedPrecondition, std::move(message));
}
Status unimplementedError(std::string message) {
  return Status(StatusCode::Unimplemented, std::move(message));
}
Status resourceExhaustedError(std::string message) {
  return Status(StatusCode::ResourceExhausted, std::move(message));
}
Status internalError(std::string message) {
  return Status(StatusCode::Internal, std::move(message));
}

} // namespace cleave
