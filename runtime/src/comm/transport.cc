//===- transport.cc - Transport base and the build-without-MPI fallback ---===//

#include "comm/transport.h"

namespace cleave {

Transport::~Transport() = default;

bool allReduceSupports(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 ||
         dtype == DType::Int32 || dtype == DType::Int64;
}

#ifndef CLEAVE_HAVE_MPI
bool haveMpi() { return false; }

StatusOr<std::shared_ptr<Transport>> createMpiTransport(int *, char ***) {
  return unimplementedError(
      "this runtime was built without MPI: distributed plans cannot run "
      "(rebuild with OpenMPI installed)");
}
#endif

} // namespace cleave
