//===- mpi_transport.cc - The Transport over MPI (OpenMPI) ----------------===//
//
// Compiled only when CMake finds MPI. The transport works on a duplicate of
// MPI_COMM_WORLD, so that its tags cannot meet messages of anything else in
// the process, with MPI_ERRORS_RETURN so that failures become Status values.
// split() gives a transport over a communicator of its own (MPI_Comm_split);
// MPI is finalised when the last transport of the process goes away. Every
// blocking call runs in a WaitScope (comm/wait_watch.h), which ends the job
// when a peer makes it wait past the process's bound.
//
//===----------------------------------------------------------------------===//

#include "comm/transport.h"
#include "comm/wait_watch.h"

#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace cleave {

namespace {
std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(length));
}

/// Finalises MPI, if this runtime initialised it, once every transport that
/// uses it is gone.
struct MpiLifetime {
  explicit MpiLifetime(bool finalize) : finalize(finalize) {}
  ~MpiLifetime() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalize && !finalized)
      MPI_Finalize();
  }
  bool finalize;
};

/// The MPI datatype of a reduction over `dtype`, or MPI_DATATYPE_NULL.
MPI_Datatype reductionType(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return MPI_FLOAT;
  case DType::Float64:
    return MPI_DOUBLE;
  case DType::Int32:
    return MPI_INT32_T;
  case DType::Int64:
    return MPI_INT64_T;
  default:
    return MPI_DATATYPE_NULL;
  }
}

class MpiTransport final : public Transport {
public:
  MpiTransport(MPI_Comm comm, std::shared_ptr<MpiLifetime> lifetime)
      : comm_(comm), lifetime_(std::move(lifetime)) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    void *value = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &value, &found);
    maxTag_ = found ? *static_cast<int *>(value) : 32767;
    int world = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    MPI_Group mine, all;
    if (size_ != world && MPI_Comm_group(comm_, &mine) == MPI_SUCCESS) {
      if (MPI_Comm_group(MPI_COMM_WORLD, &all) == MPI_SUCCESS) {
        std::vector<int> ranks(static_cast<size_t>(size_));
        for (int r = 0; r < size_; ++r)
          ranks[static_cast<size_t>(r)] = r;
        jobRanks_.assign(ranks.size(), MPI_UNDEFINED);
        MPI_Group_translate_ranks(mine, size_, ranks.data(), all,
                                  jobRanks_.data());
        MPI_Group_free(&all);
      }
      MPI_Group_free(&mine);
    }
  }

  ~MpiTransport() override {
    // A program that initialised MPI itself may finalise it before the last
    // transport goes; the communicator and requests are gone with it then.
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
      return;
    for (Slot &slot : slots_)
      if (slot.request != MPI_REQUEST_NULL)
        MPI_Request_free(&slot.request);
    MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int maxTag() const override { return maxTag_; }

  StatusOr<TransportRequest> send(const void *data, size_t bytes, int peer,
                                  int tag) override {
    Status valid = check(bytes, peer, tag, "send");
    if (!valid.ok())
      return valid;
    TransportRequest id = allocate(bytes, peer, "send");
    int code = MPI_Isend(data, static_cast<int>(bytes), MPI_BYTE, peer, tag,
                         comm_, &slots_[id].request);
    if (code != MPI_SUCCESS) {
      release(id);
      return internalError("send of " + std::to_string(bytes) +
                           " bytes to rank " + std::to_string(peer) +
                           " failed: " + mpiError(code));
    }
    return id;
  }

  StatusOr<TransportRequest> recv(void *data, size_t bytes, int peer,
                                  int tag) override {
    Status valid = check(bytes, peer, tag, "recv");
    if (!valid.ok())
      return valid;
    TransportRequest id = allocate(bytes, peer, "recv");
    int code = MPI_Irecv(data, static_cast<int>(bytes), MPI_BYTE, peer, tag,
                         comm_, &slots_[id].request);
    if (code != MPI_SUCCESS) {
      release(id);
      return internalError("recv of " + std::to_string(bytes) +
                           " bytes from rank " + std::to_string(peer) +
                           " failed: " + mpiError(code));
    }
    return id;
  }

  Status wait(TransportRequest request) override {
    if (request < 0 || static_cast<size_t>(request) >= slots_.size() ||
        slots_[request].request == MPI_REQUEST_NULL)
      return internalError("wait on an unknown transport request");
    Slot &slot = slots_[request];
    bool isRecv = slot.what[0] == 'r';
    std::string what = std::string(slot.what) + " of " +
                       std::to_string(slot.bytes) + " bytes " +
                       (isRecv ? "from" : "to") + " rank " +
                       std::to_string(slot.peer) + jobRankOf(slot.peer);
    MPI_Status status;
    int code;
    {
      WaitScope scope(worldRank(), "the " + what + peerGroup());
      code = MPI_Wait(&slot.request, &status);
    }
    size_t expected = slot.bytes;
    release(request);
    if (code != MPI_SUCCESS)
      return internalError(what + " failed: " + mpiError(code));
    if (isRecv) {
      int count = 0;
      MPI_Get_count(&status, MPI_BYTE, &count);
      if (static_cast<size_t>(count) != expected)
        return internalError(what + " got " + std::to_string(count) + " bytes");
    }
    return Status();
  }

  Status barrier() override {
    WaitScope scope(worldRank(), "a barrier" + peerGroup());
    int code = MPI_Barrier(comm_);
    return code == MPI_SUCCESS
               ? Status()
               : internalError("MPI barrier failed: " + mpiError(code));
  }

  Status allReduceSum(const void *in, void *out, size_t count,
                      DType dtype) override {
    MPI_Datatype type = reductionType(dtype);
    if (type == MPI_DATATYPE_NULL)
      return unimplementedError(std::string("all-reduce of ") +
                                dtypeName(dtype) + " is not supported");
    if (count > static_cast<size_t>(std::numeric_limits<int>::max()))
      return unimplementedError("all-reduce of " + std::to_string(count) +
                                " elements: more than MPI's int count");
    WaitScope scope(worldRank(), "an all-reduce of " + std::to_string(count) +
                                     " elements" + peerGroup());
    int code = MPI_Allreduce(in == out ? MPI_IN_PLACE : in, out,
                             static_cast<int>(count), type, MPI_SUM, comm_);
    return code == MPI_SUCCESS
               ? Status()
               : internalError("MPI allreduce failed: " + mpiError(code));
  }

  Status allGather(const void *in, void *out, size_t bytes) override {
    if (bytes > static_cast<size_t>(std::numeric_limits<int>::max()))
      return unimplementedError("all-gather of " + std::to_string(bytes) +
                                " bytes per rank: more than MPI's int count");
    WaitScope scope(worldRank(), "an all-gather of " + std::to_string(bytes) +
                                     " bytes per rank" + peerGroup());
    int code = MPI_Allgather(in, static_cast<int>(bytes), MPI_BYTE, out,
                             static_cast<int>(bytes), MPI_BYTE, comm_);
    return code == MPI_SUCCESS
               ? Status()
               : internalError("MPI allgather failed: " + mpiError(code));
  }

  StatusOr<std::shared_ptr<Transport>> split(int color, int key) override {
    if (color < 0)
      return invalidArgumentError("split with a negative color " +
                                  std::to_string(color));
    MPI_Comm group;
    WaitScope scope(worldRank(), "the ranks forming groups" + peerGroup());
    int code = MPI_Comm_split(comm_, color, key, &group);
    if (code != MPI_SUCCESS)
      return internalError("cannot create the MPI communicator of group " +
                           std::to_string(color) + ": " + mpiError(code));
    MPI_Comm_set_errhandler(group, MPI_ERRORS_RETURN);
    return std::shared_ptr<Transport>(new MpiTransport(group, lifetime_));
  }

  Status agree(const Status &local) override {
    WaitScope scope(worldRank(), "the ranks agreeing" + peerGroup());
    int mine = local.ok() ? size_ : rank_;
    int lowest = size_;
    int code = MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm_);
    if (code != MPI_SUCCESS)
      return internalError("MPI allreduce failed: " + mpiError(code));
    if (lowest == size_)
      return Status();
    // The lowest failing rank tells everyone what went wrong.
    std::string message = rank_ == lowest ? local.message() : std::string();
    int header[2] = {static_cast<int>(local.code()),
                     static_cast<int>(message.size())};
    code = MPI_Bcast(header, 2, MPI_INT, lowest, comm_);
    if (code == MPI_SUCCESS) {
      message.resize(static_cast<size_t>(header[1]));
      code = MPI_Bcast(message.data(), header[1], MPI_CHAR, lowest, comm_);
    }
    if (code != MPI_SUCCESS)
      return internalError(
          "rank " + std::to_string(lowest) +
          " failed, and MPI could not say why: " + mpiError(code));
    return Status(static_cast<StatusCode>(header[0]),
                  "rank " + std::to_string(lowest) + ": " + message);
  }

  [[noreturn]] void abort(int exitCode) override {
    MPI_Abort(comm_, exitCode);
    std::_Exit(exitCode); // MPI_Abort does not return; this is for safety
  }

private:
  /// This process's rank in the whole job, which messages name.
  static int worldRank() {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
  }

  /// " (job rank W)" for a peer of a transport over part of the job, whose
  /// rank in the group says little on its own; "" otherwise.
  std::string jobRankOf(int peer) const {
    if (jobRanks_.empty() || peer < 0 || size_t(peer) >= jobRanks_.size() ||
        jobRanks_[size_t(peer)] == MPI_UNDEFINED)
      return "";
    return " (job rank " + std::to_string(jobRanks_[size_t(peer)]) + ")";
  }

  /// " (group of N ranks)" for a transport over part of the job.
  std::string peerGroup() const {
    int world = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    return size_ == world ? ""
                          : " (in a group of " + std::to_string(size_) + " ranks)";
  }

  struct Slot {
    MPI_Request request = MPI_REQUEST_NULL;
    size_t bytes = 0;
    int peer = 0;
    const char *what = "";
  };

  Status check(size_t bytes, int peer, int tag, const char *what) const {
    if (peer < 0 || peer >= size_ || peer == rank_)
      return invalidArgumentError(std::string(what) + " with rank " +
                                  std::to_string(peer) + " (job has " +
                                  std::to_string(size_) + " ranks)");
    if (tag < 0 || tag > maxTag_)
      return invalidArgumentError(
          std::string(what) + " tag " + std::to_string(tag) +
          " exceeds MPI's limit " + std::to_string(maxTag_));
    if (bytes > static_cast<size_t>(std::numeric_limits<int>::max()))
      return unimplementedError(std::string(what) + " of " +
                                std::to_string(bytes) +
                                " bytes: messages of 2 GiB or more are not "
                                "supported yet");
    return Status();
  }

  TransportRequest allocate(size_t bytes, int peer, const char *what) {
    TransportRequest id;
    if (free_.empty()) {
      id = static_cast<TransportRequest>(slots_.size());
      slots_.emplace_back();
    } else {
      id = free_.back();
      free_.pop_back();
    }
    slots_[id].bytes = bytes;
    slots_[id].peer = peer;
    slots_[id].what = what;
    return id;
  }

  void release(TransportRequest id) {
    slots_[id].request = MPI_REQUEST_NULL;
    free_.push_back(id);
  }

  MPI_Comm comm_;
  /// The job (MPI_COMM_WORLD) rank of each rank of a group; empty for a
  /// transport over the whole job.
  std::vector<int> jobRanks_;
  std::shared_ptr<MpiLifetime> lifetime_;
  int rank_ = 0;
  int size_ = 1;
  int maxTag_ = 32767;
  std::vector<Slot> slots_;
  std::vector<TransportRequest> free_;
};
} // namespace

bool haveMpi() { return true; }

StatusOr<std::shared_ptr<Transport>> createMpiTransport(int *argc,
                                                        char ***argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  bool ownsMpi = false;
  // MPI_Init and MPI_Comm_dup wait for every rank of the job: a rank stopped
  // before it gets there must not hold the others forever. Before MPI is up
  // the watchdog ends the process (mpirun then ends the job); after, it
  // aborts the job.
  int launchRank = detectMpiLaunch().rank;
  if (!initialized) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (finalized)
      return failedPreconditionError("MPI was already finalised in this "
                                     "process");
    WaitScope scope(launchRank, "the other ranks to start (MPI_Init)");
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
      return internalError("MPI_Init failed");
    ownsMpi = true;
  }
  // A wait past the bound ends every rank of the job.
  setWaitTimeoutAction([] { MPI_Abort(MPI_COMM_WORLD, 1); });
  MPI_Comm comm;
  int code;
  {
    WaitScope scope(launchRank, "the other ranks to join the job");
    code = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  }
  if (code != MPI_SUCCESS)
    return internalError("cannot create an MPI communicator: " +
                         mpiError(code));
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  return std::shared_ptr<Transport>(
      new MpiTransport(comm, std::make_shared<MpiLifetime>(ownsMpi)));
}

} // namespace cleave
