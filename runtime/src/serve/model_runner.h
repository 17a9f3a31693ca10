//===- model_runner.h - Runs batches of a plan for the server -------------===//
//
// The server's rank 0 runs whole batches through a session; under mpirun the
// other ranks of a distributed plan follow: rank 0 tells them, over a
// communicator of their own, to run a batch, to answer a heartbeat or to stop.
// Inputs go from rank 0 to the ranks of the first stage and the outputs come
// back to rank 0 from the last stage's, as the Python package does. While rank
// 0 is idle it sends heartbeats, so that the bounded waits (setWaitTimeout)
// of every rank notice a peer that stopped or died, and name it.
//
// A plan with data-parallel replicas (cleave-compile --dp) is served the same
// way one level up: rank 0 of every other replica follows rank 0 of replica 0
// over a communicator of the replicas' first ranks, takes whole batches from
// it (startOn / finishOn), runs them on its own replica (driving its own
// followers as above) and sends the outputs back; heartbeats and the stop
// travel down the same path.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_MODEL_RUNNER_H
#define CLEAVE_RUNTIME_SERVE_MODEL_RUNNER_H

#include "cleave/runtime.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cleave {
class Transport;
} // namespace cleave

namespace cleave::serve {

/// Where one rank's time went, summed over the batches it ran (the
/// StageProfile of its sessions, every batch size's plan together).
struct RankProfile {
  /// The rank in the job, and its stage (-1 before the rank reported).
  int rank = 0;
  int stage = -1;
  int64_t runs = 0;
  int64_t microbatches = 0;
  double computeSeconds = 0;
  double recvWaitSeconds = 0;
  double sendWaitSeconds = 0;
  double runSeconds = 0;
};

/// One session of an artifact, and on a distributed plan the job around it.
class ModelRunner {
public:
  /// Opens `path` as openProcessSession does (collective under mpirun).
  /// `program` starts the line printed when a failure ends the job. With
  /// `replicasFollow`, on a plan with replicas the other replicas' first
  /// ranks follow rank 0 of replica 0 (startOn, finishOn); without it each
  /// replica's rank 0 runs on its own (cleave-batch). Every rank passes the
  /// same value.
  static StatusOr<std::unique_ptr<ModelRunner>>
  open(const std::string &path, int threads,
       const std::string &program = "cleave-serve",
       bool replicasFollow = false);
  /// A further in-process session of the same artifact (plans on one rank
  /// only), for --instances.
  StatusOr<std::unique_ptr<ModelRunner>> another(int threads) const;
  ~ModelRunner();

  /// The batch sizes there are plans for, ascending (one per variant of an
  /// artifact compiled with --batch-sizes); {0} for a model without a batch
  /// dim.
  const std::vector<int64_t> &batches() const { return batches_; }
  /// The artifact of plan `plan` (an index into batches()).
  const Artifact &planArtifact(size_t plan) const {
    return sessions_[plan]->artifact();
  }
  /// This process's rank in its replica's ranks (0 outside mpirun).
  int rank() const { return rank_; }
  /// A plan with data-parallel replicas under mpirun (Artifact::dp()): this
  /// process's replica and their number (0 and 1 otherwise), and a transport
  /// over the whole job (null otherwise), on which replica r's rank 0 is job
  /// rank r x Artifact::ranks().
  int replica() const { return replica_; }
  int replicas() const { return replicas_; }
  const std::shared_ptr<Transport> &job() const { return job_; }
  /// True for a rank of a plan on several ranks.
  bool distributed() const { return control_ != nullptr; }
  /// The plan of the largest batch.
  const Artifact &artifact() const;

  /// Rank 0: runs one batch through plan `plan` (an index into batches()),
  /// with inputs of that plan's shapes, and returns the outputs. On a
  /// distributed plan a failure ends the job, as peers may be waiting.
  Status run(size_t plan, const std::vector<Tensor> &inputs,
             std::vector<Tensor> *outputs);
  /// Rank 0 of replica 0 of a plan with replicas: starts running one batch
  /// through plan `plan` on replica `replica` (1 to replicas() - 1) and
  /// returns without waiting; `inputs` must stay untouched and `outputs`
  /// unread until finishOn(replica). One batch per replica at a time.
  Status startOn(int replica, size_t plan, const std::vector<Tensor> &inputs,
                 std::vector<Tensor> *outputs);
  /// Waits for the outputs of the batch startOn() gave `replica`.
  Status finishOn(int replica);
  /// Rank 0 (of replica 0) of a distributed plan: checks that every
  /// follower, and every other replica with its followers, answers.
  Status heartbeat();
  /// Rank 0 (of replica 0) of a distributed plan: lets the followers and the
  /// other replicas return from follow(). While tracing (core/trace.h) every
  /// other rank sends its trace events as it stops, and with `trace` they are
  /// appended there (trace::toJson text, every rank's own pid).
  Status stop(std::string *trace = nullptr);
  /// This process's trace events so far as trace::toJson text, named by its
  /// rank in the job, stage and replica.
  std::string traceText() const;
  /// The other ranks: runs what rank 0 asks until it says stop. On rank 0 of
  /// a replica other than 0, that is what rank 0 of replica 0 asks, run on
  /// this replica.
  Status follow();
  /// True for the process that serves: rank 0 of replica 0.
  bool leads() const { return rank_ == 0 && replica_ == 0; }
  /// Rank 0 of replica 0: every rank's profile as of the last batch it ran
  /// (one per rank of the job, stage -1 for a rank not heard from yet; the
  /// other ranks report theirs after each batch, beside the batch's own
  /// messages). Safe to call from any thread.
  std::vector<RankProfile> profiles() const;
  /// Seconds the current heartbeat has waited for the followers (0 when
  /// none is in flight): a follower that does not answer shows here before
  /// the bounded wait ends the job.
  double heartbeatWaitSeconds() const;

private:
  ModelRunner() = default;
  Status send(int op, int plan = 0);
  /// This process's sessions' profiles, summed, as the doubles a follower
  /// sends (kProfileFields of them).
  std::vector<double> ownProfile() const;
  /// Stores `fields` (kProfileFields doubles per rank) for ranks `first`...
  void storeProfiles(int first, const double *fields, size_t ranks);
  /// The follower's part: sends its profile to rank 0 after a batch.
  Status sendProfile();
  /// Sends `text` to rank 0 of `to` (a follower's trace as it stops).
  static Status sendText(Transport &to, const std::string &text);
  /// Receives what sendText sent from `peer` of `from`, appended to `text`.
  static Status receiveText(Transport &from, int peer, std::string *text);
  /// Rank 0 of a replica other than 0: serves rank 0 of replica 0.
  Status followReplicas();
  /// Creates the sessions of the other batch sizes' plans.
  Status openVariants(int threads);

  std::string path_;
  std::string program_ = "cleave-serve";
  std::shared_ptr<Transport> transport_;
  /// One session per entry of batches_; sessions_[main_] is the one
  /// openProcessSession made.
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<int64_t> batches_;
  std::shared_ptr<Transport> control_;
  int rank_ = 0;
  int ranks_ = 1;
  int replica_ = 0;
  int replicas_ = 1;
  std::shared_ptr<Transport> job_;
  /// A plan with replicas: rank 0 of each replica, rank = replica (null on
  /// the other ranks).
  std::shared_ptr<Transport> leaders_;
  /// Rank 0 of replica 0: the outputs' receives of each replica's batch in
  /// flight (TransportRequest handles, which are int64_t).
  std::vector<std::vector<int64_t>> inFlight_;
  int outputRank_ = 0;
  /// Ranks other than 0 that take the inputs (the first stage's group).
  std::vector<int> inputRanks_;
  std::atomic<int64_t> heartbeatSince_{0};
  /// Every rank's profile (of the job on rank 0 of replica 0, of the replica
  /// on the other replicas' first ranks), in kProfileFields doubles each.
  mutable std::mutex profilesMutex_;
  std::vector<double> profiles_;
  /// Rank 0: the followers' profiles in flight during run(); rank 0 of
  /// replica 0: each replica's, beside its batch (startOn).
  std::vector<double> incoming_;
  std::vector<std::vector<double>> replicaIncoming_;
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_MODEL_RUNNER_H
