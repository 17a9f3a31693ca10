//===- transport.cc - Transport base and the build-without-MPI fallback ---===//

#include "comm/transport.h"
#include "comm/wait_watch.h"

#include <algorithm>
#include <cstdlib>

namespace cleave {

Transport::~Transport() = default;

bool allReduceSupports(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Int32 || dtype == DType::Int64;
}

MpiLaunch detectMpiLaunch() {
  auto number = [](const char *name) -> int {
    const char *value = std::getenv(name);
    return value && *value ? std::atoi(value) : -1;
  };
  MpiLaunch launch;
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) {
    launch.underMpirun = true;
    launch.size = number("OMPI_COMM_WORLD_SIZE");
    launch.rank = std::max(0, number("OMPI_COMM_WORLD_RANK"));
  } else if (std::getenv("PMIX_RANK") || std::getenv("PMI_RANK")) {
    launch.underMpirun = true;
    launch.size = number("PMI_SIZE");
    launch.rank = std::max(
        0, number(std::getenv("PMIX_RANK") ? "PMIX_RANK" : "PMI_RANK"));
  }
  return launch;
}

#ifndef CLEAVE_HAVE_MPI
bool haveMpi() { return false; }

void setWaitTimeout(double, const std::string &) {}

// Without MPI nothing waits on another rank.
WaitGrace::WaitGrace(double) {}
WaitGrace::~WaitGrace() {}

StatusOr<std::shared_ptr<Transport>> createMpiTransport(int *, char ***) {
  return unimplementedError(
      "this runtime was built without MPI: distributed plans cannot run "
      "(rebuild with OpenMPI installed)");
}
#endif

} // namespace cleave
