//===- model_runner.cc - Runs batches of a plan for the server ------------===//

#include "serve/model_runner.h"

#include "comm/transport.h"
#include "comm/wait_watch.h"
#include "core/process_session.h"
#include "core/trace.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace cleave::serve {

namespace {

/// What rank 0 asks of the followers (the first int of a command).
enum Op : int32_t { kRun = 1, kHeartbeat = 2, kStop = 3 };

// Tags on the control communicator; nothing else travels there.
constexpr int kCommandTag = 1;
constexpr int kAckTag = 2;
constexpr int kInputTag = 100;
constexpr int kOutputTag = 16384;
constexpr int kProfileTag = 3;
constexpr int kTraceSizeTag = 4;
constexpr int kTraceTag = 5;
/// A rank's profile on the wire: stage, runs, microbatches, compute, recv
/// wait, send wait, run seconds.
constexpr size_t kProfileFields = 7;
/// How much longer than the bound a wait on a rank that is itself bounded
/// may last (WaitGrace), so that the rank nearest a fault reports it.
constexpr double kChainedGraceSeconds = 1;

/// Posts a send of `bytes` to `peer`, appending its request.
Status postSend(Transport &to, const void *data, size_t bytes, int peer,
                int tag, std::vector<TransportRequest> *requests) {
  StatusOr<TransportRequest> request = to.send(data, bytes, peer, tag);
  if (!request.ok())
    return request.status();
  requests->push_back(*request);
  return Status();
}

/// Posts a receive of `bytes` from `peer`, appending its request.
Status postRecv(Transport &from, void *data, size_t bytes, int peer, int tag,
                std::vector<TransportRequest> *requests) {
  StatusOr<TransportRequest> request = from.recv(data, bytes, peer, tag);
  if (!request.ok())
    return request.status();
  requests->push_back(*request);
  return Status();
}

/// Waits for every request; the first failure ends the wait.
Status waitAll(Transport &transport,
               const std::vector<TransportRequest> &requests) {
  for (TransportRequest request : requests) {
    Status waited = transport.wait(request);
    if (!waited.ok())
      return waited;
  }
  return Status();
}

/// Sends `bytes` to `peer` and waits until the buffer may be reused.
Status sendNow(Transport &to, const void *data, size_t bytes, int peer,
               int tag) {
  std::vector<TransportRequest> requests;
  Status status = postSend(to, data, bytes, peer, tag, &requests);
  return status.ok() ? waitAll(to, requests) : status;
}

/// Receives `bytes` from `peer`.
Status recvNow(Transport &from, void *data, size_t bytes, int peer, int tag) {
  std::vector<TransportRequest> requests;
  Status status = postRecv(from, data, bytes, peer, tag, &requests);
  return status.ok() ? waitAll(from, requests) : status;
}

/// Posts a send of each tensor to `peer`, tensor i with tag `firstTag + i`.
Status postSends(Transport &to, const std::vector<Tensor> &tensors, int peer,
                 int firstTag, std::vector<TransportRequest> *requests) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    Status status = postSend(to, tensors[i].data(), tensors[i].byteSize(),
                             peer, firstTag + int(i), requests);
    if (!status.ok())
      return status;
  }
  return Status();
}

/// Allocates a tensor per description into `tensors` and posts its receive
/// from `peer`, tensor i with tag `firstTag + i`.
Status postRecvs(Transport &from, const std::vector<TensorDesc> &descs,
                 int peer, int firstTag, std::vector<Tensor> *tensors,
                 std::vector<TransportRequest> *requests) {
  tensors->clear();
  tensors->reserve(descs.size());
  for (size_t i = 0; i < descs.size(); ++i) {
    StatusOr<Tensor> tensor = Tensor::create(descs[i].dtype, descs[i].shape);
    if (!tensor.ok())
      return tensor.status();
    tensors->push_back(std::move(tensor).value());
    Status status = postRecv(from, tensors->back().data(),
                             tensors->back().byteSize(), peer,
                             firstTag + int(i), requests);
    if (!status.ok())
      return status;
  }
  return Status();
}

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

ModelRunner::~ModelRunner() {
  sessions_.clear();
  control_.reset();
}

Status ModelRunner::openVariants(int threads) {
  Session &main = *sessions_.front();
  std::vector<int64_t> sizes = main.artifact().batchSizes();
  batches_ = {sizes.empty() ? 0 : main.artifact().inputs()[0].shape[0]};
  if (main.artifact().variants().empty())
    return Status();
  StatusOr<std::unique_ptr<Artifact>> opened =
      Artifact::open(path_, transport_ ? rank_ : Artifact::kAllRanks);
  Status status = opened.status();
  std::shared_ptr<const Artifact> artifact;
  if (opened.ok())
    artifact = std::move(opened).value();
  std::vector<std::unique_ptr<Session>> sessions;
  for (int64_t size : sizes) {
    if (!status.ok() || size == batches_.front())
      continue;
    StatusOr<std::shared_ptr<const Artifact>> plan =
        Artifact::forBatch(artifact, size);
    status = plan.status();
    if (!plan.ok())
      break;
    StatusOr<std::unique_ptr<Session>> session = Session::create(
        std::move(plan).value(), SessionOptions(threads, transport_));
    status = session.status();
    if (session.ok())
      sessions.push_back(std::move(session).value());
  }
  if (transport_)
    status = control_->agree(status);
  if (!status.ok())
    return status;
  for (auto &session : sessions) {
    batches_.push_back(session->artifact().inputs()[0].shape[0]);
    sessions_.push_back(std::move(session));
  }
  // Ascending batch sizes, sessions alongside.
  std::vector<size_t> order(batches_.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return batches_[a] < batches_[b]; });
  std::vector<std::unique_ptr<Session>> sorted;
  std::vector<int64_t> sortedBatches;
  for (size_t i : order) {
    sorted.push_back(std::move(sessions_[i]));
    sortedBatches.push_back(batches_[i]);
  }
  sessions_ = std::move(sorted);
  batches_ = std::move(sortedBatches);
  return Status();
}

StatusOr<std::unique_ptr<ModelRunner>>
ModelRunner::open(const std::string &path, int threads,
                  const std::string &program, bool replicasFollow) {
  StatusOr<ProcessSession> opened =
      openProcessSession(path, ProcessSessionOptions{threads, true});
  if (!opened.ok())
    return opened.status();
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->path_ = path;
  runner->program_ = program;
  runner->transport_ = std::move(opened->transport);
  runner->replica_ = opened->replica;
  runner->replicas_ = opened->replicas;
  runner->job_ = std::move(opened->job);
  runner->sessions_.push_back(std::move(opened->session));
  if (!runner->transport_) {
    Status variants = runner->openVariants(threads);
    if (!variants.ok())
      return variants;
    return runner;
  }
  StatusOr<std::shared_ptr<Transport>> control =
      runner->transport_->split(0, runner->transport_->rank());
  if (!control.ok())
    return control.status();
  runner->control_ = std::move(control).value();
  runner->rank_ = runner->control_->rank();
  runner->ranks_ = runner->control_->size();
  const Artifact &artifact = runner->sessions_.front()->artifact();
  const StageDesc *last = nullptr;
  for (const StageDesc &stage : artifact.stages())
    if (!last || stage.id > last->id)
      last = &stage;
  runner->outputRank_ = last->group.empty() ? last->rank : last->group.front();
  // Every rank learns which ranks take the inputs.
  int32_t takes = runner->sessions_.front()->takesInputs() ? 1 : 0;
  std::vector<int32_t> all(runner->ranks_);
  Status gathered = runner->control_->allGather(&takes, all.data(), sizeof(takes));
  if (!gathered.ok())
    return gathered;
  for (int r = 1; r < runner->ranks_; ++r)
    if (all[r])
      runner->inputRanks_.push_back(r);
  if (!all[0])
    return failedPreconditionError(
        "artifact '" + path +
        "': rank 0 does not run the first stage, which the server needs");
  if (runner->replicas_ > 1 && replicasFollow) {
    // Collective over the job: the replicas' first ranks form a group, in
    // replica order.
    StatusOr<std::shared_ptr<Transport>> leaders =
        runner->job_->split(runner->rank_ == 0 ? 0 : 1, runner->replica_);
    if (!leaders.ok())
      return leaders.status();
    if (runner->rank_ == 0)
      runner->leaders_ = std::move(leaders).value();
    runner->inFlight_.resize(size_t(runner->replicas_));
  }
  Status variants = runner->openVariants(threads);
  if (!variants.ok())
    return variants;
  return runner;
}

StatusOr<std::unique_ptr<ModelRunner>> ModelRunner::another(int threads) const {
  if (distributed())
    return failedPreconditionError(
        "a plan on several ranks runs as one instance");
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path_);
  if (!artifact.ok())
    return artifact.status();
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(std::move(artifact).value(), SessionOptions(threads));
  if (!session.ok())
    return session.status();
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->path_ = path_;
  runner->program_ = program_;
  runner->sessions_.push_back(std::move(session).value());
  Status variants = runner->openVariants(threads);
  if (!variants.ok())
    return variants;
  return runner;
}

const Artifact &ModelRunner::artifact() const {
  return sessions_.back()->artifact();
}

Status ModelRunner::send(int op, int plan) {
  int32_t command[2] = {op, plan};
  std::vector<TransportRequest> requests;
  Status status;
  for (int r = 1; status.ok() && r < ranks_; ++r)
    status = postSend(*control_, command, sizeof(command), r, kCommandTag,
                      &requests);
  if (status.ok())
    status = waitAll(*control_, requests);
  // A heartbeat or the stop also goes to the other replicas' first ranks,
  // which pass it on to their own followers (a batch goes there by startOn).
  requests.clear();
  for (int r = 1; status.ok() && op != kRun && leaders_ && replica_ == 0 &&
                  r < replicas_;
       ++r)
    status = postSend(*leaders_, command, sizeof(command), r, kCommandTag,
                      &requests);
  if (status.ok() && !requests.empty())
    status = waitAll(*leaders_, requests);
  return status;
}

Status ModelRunner::startOn(int replica, size_t plan,
                            const std::vector<Tensor> &inputs,
                            std::vector<Tensor> *outputs) {
  if (!leaders_ || replica_ != 0 || replica < 1 || replica >= replicas_ ||
      plan >= sessions_.size())
    return internalError("no replica " + std::to_string(replica) +
                         " to run a batch on");
  std::vector<TransportRequest> &pending = inFlight_[size_t(replica)];
  int32_t command[2] = {kRun, int32_t(plan)};
  std::vector<TransportRequest> sends;
  Status status = postSend(*leaders_, command, sizeof(command), replica,
                           kCommandTag, &sends);
  if (status.ok())
    status = postSends(*leaders_, inputs, replica, kInputTag, &sends);
  if (status.ok())
    status = postRecvs(*leaders_, sessions_[plan]->artifact().outputs(),
                       replica, kOutputTag, outputs, &pending);
  if (!status.ok())
    return status;
  // The replica's ranks' profiles come after the outputs.
  replicaIncoming_.resize(size_t(replicas_));
  std::vector<double> &table = replicaIncoming_[size_t(replica)];
  table.assign(size_t(ranks_) * kProfileFields, 0.0);
  status = postRecv(*leaders_, table.data(), table.size() * sizeof(double),
                    replica, kProfileTag, &pending);
  if (!status.ok())
    return status;
  // The sends complete once the replica took the batch; the outputs' receives
  // are what finishOn() waits for.
  return waitAll(*leaders_, sends);
}

Status ModelRunner::finishOn(int replica) {
  if (replica < 1 || size_t(replica) >= inFlight_.size())
    return internalError("no batch in flight on replica " +
                         std::to_string(replica));
  std::vector<TransportRequest> pending = std::move(inFlight_[replica]);
  inFlight_[replica].clear();
  Status status;
  for (TransportRequest request : pending) {
    Status waited = leaders_->wait(request);
    if (status.ok())
      status = waited;
  }
  if (status.ok())
    storeProfiles(replica * ranks_, replicaIncoming_[size_t(replica)].data(),
                  size_t(ranks_));
  return status;
}

Status ModelRunner::followReplicas() {
  while (true) {
    int32_t command[2] = {0, 0};
    StatusOr<TransportRequest> request =
        leaders_->recv(command, sizeof(command), 0, kCommandTag);
    if (!request.ok())
      return request.status();
    Status status;
    {
      WaitGrace grace(kChainedGraceSeconds);
      status = leaders_->wait(*request);
    }
    if (!status.ok())
      return status;
    if (command[0] == kStop) {
      // This replica's events, its followers' after this rank's own.
      std::string text;
      Status stopped = stop(&text);
      if (!stopped.ok() || !trace::enabled())
        return stopped;
      return sendText(*leaders_, traceText() + text);
    }
    if (command[0] == kHeartbeat) {
      // Answered once this replica's own followers answered.
      status = heartbeat();
      if (!status.ok())
        return status;
      int32_t ack = replica_;
      status = sendNow(*leaders_, &ack, sizeof(ack), 0, kAckTag);
      if (!status.ok())
        return status;
      continue;
    }
    if (command[0] != kRun || command[1] < 0 ||
        size_t(command[1]) >= sessions_.size())
      return internalError("unknown command " + std::to_string(command[0]) +
                           " " + std::to_string(command[1]) +
                           " from replica 0");
    size_t plan = size_t(command[1]);
    std::vector<Tensor> inputs;
    std::vector<TransportRequest> requests;
    status = postRecvs(*leaders_, sessions_[plan]->artifact().inputs(), 0,
                       kInputTag, &inputs, &requests);
    if (status.ok())
      status = waitAll(*leaders_, requests);
    std::vector<Tensor> outputs;
    if (status.ok())
      status = run(plan, inputs, &outputs);
    requests.clear();
    if (status.ok())
      status = postSends(*leaders_, outputs, 0, kOutputTag, &requests);
    if (status.ok())
      status = waitAll(*leaders_, requests);
    if (!status.ok())
      return status;
    // This replica's ranks' profiles, as run() stored them.
    std::vector<double> table;
    {
      std::lock_guard<std::mutex> lock(profilesMutex_);
      table = profiles_;
    }
    table.resize(size_t(ranks_) * kProfileFields, 0.0);
    status = sendNow(*leaders_, table.data(), table.size() * sizeof(double), 0,
                     kProfileTag);
    if (!status.ok())
      return status;
  }
}

Status ModelRunner::run(size_t plan, const std::vector<Tensor> &inputs,
                        std::vector<Tensor> *outputs) {
  Session &session = *sessions_[plan];
  if (!distributed()) {
    Status ran = session.run(inputs, outputs);
    std::vector<double> mine = ownProfile();
    storeProfiles(0, mine.data(), 1);
    return ran;
  }
  auto ended = [&](const Status &status) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: rank %d: %s\n", program_.c_str(), rank_,
                 status.message().c_str());
    std::fflush(stderr);
    control_->abort(1);
  };
  Status status = send(kRun, int(plan));
  std::vector<TransportRequest> requests;
  for (int r : inputRanks_)
    if (status.ok())
      status = postSends(*control_, inputs, r, kInputTag, &requests);
  if (status.ok())
    status = waitAll(*control_, requests);
  if (!status.ok())
    ended(status);
  // Every follower reports its profile once it ran the batch.
  incoming_.assign(size_t(ranks_) * kProfileFields, 0.0);
  std::vector<TransportRequest> profileRequests;
  for (int r = 1; r < ranks_; ++r) {
    status = postRecv(*control_, &incoming_[size_t(r) * kProfileFields],
                      kProfileFields * sizeof(double), r, kProfileTag,
                      &profileRequests);
    if (!status.ok())
      ended(status);
  }
  auto takeProfiles = [&] {
    Status waited = waitAll(*control_, profileRequests);
    if (!waited.ok())
      ended(waited);
    std::vector<double> mine = ownProfile();
    std::copy(mine.begin(), mine.end(), incoming_.begin());
    storeProfiles(0, incoming_.data(), size_t(ranks_));
  };
  bool returns = session.returnsOutputs();
  status = session.run(inputs, outputs);
  if (!status.ok())
    ended(status);
  if (returns) {
    takeProfiles();
    return Status();
  }
  // The last stage's rank sends the outputs here.
  requests.clear();
  status = postRecvs(*control_, session.artifact().outputs(), outputRank_,
                     kOutputTag, outputs, &requests);
  if (status.ok())
    status = waitAll(*control_, requests);
  if (!status.ok())
    ended(status);
  takeProfiles();
  return Status();
}

Status ModelRunner::heartbeat() {
  if (!distributed())
    return Status();
  heartbeatSince_ = nowMicros();
  Status status = send(kHeartbeat);
  std::vector<int32_t> acks(ranks_);
  std::vector<TransportRequest> requests;
  for (int r = 1; status.ok() && r < ranks_; ++r)
    status = postRecv(*control_, &acks[r], sizeof(int32_t), r, kAckTag,
                      &requests);
  if (status.ok())
    status = waitAll(*control_, requests);
  // The other replicas answer once their own followers did.
  std::vector<int32_t> replicaAcks(static_cast<size_t>(replicas_));
  requests.clear();
  for (int r = 1; status.ok() && leaders_ && replica_ == 0 && r < replicas_;
       ++r)
    status = postRecv(*leaders_, &replicaAcks[r], sizeof(int32_t), r, kAckTag,
                      &requests);
  if (status.ok() && !requests.empty()) {
    // Each replica answers once its own followers did, bounded there.
    WaitGrace grace(kChainedGraceSeconds);
    status = waitAll(*leaders_, requests);
  }
  heartbeatSince_ = 0;
  return status;
}

double ModelRunner::heartbeatWaitSeconds() const {
  int64_t since = heartbeatSince_;
  return since == 0 ? 0 : (nowMicros() - since) / 1e6;
}

std::vector<double> ModelRunner::ownProfile() const {
  std::vector<double> fields(kProfileFields, 0.0);
  fields[0] = sessions_.empty() ? -1 : sessions_.front()->stage().id;
  for (const auto &session : sessions_) {
    const StageProfile &p = session->profile();
    fields[1] += p.runs;
    fields[2] += double(p.microbatches);
    fields[3] += p.computeSeconds;
    fields[4] += p.recvWaitSeconds;
    fields[5] += p.sendWaitSeconds;
    fields[6] += p.runSeconds;
  }
  return fields;
}

void ModelRunner::storeProfiles(int first, const double *fields, size_t ranks) {
  std::lock_guard<std::mutex> lock(profilesMutex_);
  size_t need = (size_t(first) + ranks) * kProfileFields;
  if (profiles_.size() < need) {
    size_t old = profiles_.size();
    profiles_.resize(need, 0.0);
    // Ranks not heard from yet have no stage.
    for (size_t at = old; at < need; at += kProfileFields)
      profiles_[at] = -1;
  }
  std::copy(fields, fields + ranks * kProfileFields,
            profiles_.begin() + long(size_t(first) * kProfileFields));
}

std::vector<RankProfile> ModelRunner::profiles() const {
  // Stored by the thread that runs the batches, so read here without racing
  // the sessions.
  std::vector<double> table;
  {
    std::lock_guard<std::mutex> lock(profilesMutex_);
    table = profiles_;
  }
  if (table.size() < kProfileFields) {
    table.assign(kProfileFields, 0.0);
    table[0] = -1;
  }
  std::vector<RankProfile> result;
  for (size_t r = 0; r * kProfileFields < table.size(); ++r) {
    const double *f = &table[r * kProfileFields];
    RankProfile profile;
    profile.rank = int(r);
    profile.stage = int(f[0]);
    profile.runs = int64_t(f[1]);
    profile.microbatches = int64_t(f[2]);
    profile.computeSeconds = f[3];
    profile.recvWaitSeconds = f[4];
    profile.sendWaitSeconds = f[5];
    profile.runSeconds = f[6];
    result.push_back(profile);
  }
  return result;
}

Status ModelRunner::sendProfile() {
  std::vector<double> fields = ownProfile();
  return sendNow(*control_, fields.data(), fields.size() * sizeof(double), 0,
                 kProfileTag);
}

Status ModelRunner::sendText(Transport &to, const std::string &text) {
  int64_t size = int64_t(text.size());
  Status status = sendNow(to, &size, sizeof(size), 0, kTraceSizeTag);
  if (!status.ok() || size == 0)
    return status;
  return sendNow(to, text.data(), text.size(), 0, kTraceTag);
}

Status ModelRunner::receiveText(Transport &from, int peer, std::string *text) {
  int64_t size = 0;
  Status status = recvNow(from, &size, sizeof(size), peer, kTraceSizeTag);
  if (!status.ok() || size <= 0)
    return status;
  std::string part(size_t(size), '\0');
  status = recvNow(from, &part[0], part.size(), peer, kTraceTag);
  if (status.ok())
    *text += part;
  return status;
}

std::string ModelRunner::traceText() const {
  int rank = job_ ? job_->rank() : rank_;
  std::string name = "rank " + std::to_string(rank);
  if (!sessions_.empty())
    name += ": stage " + std::to_string(sessions_.front()->stage().id);
  if (replicas_ > 1)
    name += ", replica " + std::to_string(replica_);
  return trace::toJson(trace::take(), rank, name);
}

Status ModelRunner::stop(std::string *trace) {
  if (!distributed())
    return Status();
  Status status = send(kStop);
  if (!status.ok() || !trace::enabled())
    return status;
  // Each follower, then each other replica (its first rank having
  // gathered its own followers'), sends its events as it stops.
  std::string discarded;
  std::string *into = trace ? trace : &discarded;
  for (int r = 1; status.ok() && r < ranks_; ++r)
    status = receiveText(*control_, r, into);
  for (int r = 1; status.ok() && leaders_ && replica_ == 0 && r < replicas_;
       ++r)
    status = receiveText(*leaders_, r, into);
  return status;
}

Status ModelRunner::follow() {
  if (leaders_ && rank_ == 0 && replica_ != 0)
    return followReplicas();
  while (true) {
    int32_t command[2] = {0, 0};
    StatusOr<TransportRequest> request =
        control_->recv(command, sizeof(command), 0, kCommandTag);
    if (!request.ok())
      return request.status();
    Status status;
    {
      WaitGrace grace(kChainedGraceSeconds);
      status = control_->wait(*request);
    }
    if (!status.ok())
      return status;
    if (command[0] == kStop)
      return trace::enabled() ? sendText(*control_, traceText()) : Status();
    if (command[0] == kHeartbeat) {
      int32_t ack = rank_;
      status = sendNow(*control_, &ack, sizeof(ack), 0, kAckTag);
      if (!status.ok())
        return status;
      continue;
    }
    if (command[0] != kRun || command[1] < 0 ||
        size_t(command[1]) >= sessions_.size())
      return internalError("unknown command " + std::to_string(command[0]) +
                           " " + std::to_string(command[1]) + " from rank 0");
    Session &session = *sessions_[command[1]];
    std::vector<Tensor> inputs;
    std::vector<TransportRequest> requests;
    if (session.takesInputs())
      status = postRecvs(*control_, session.artifact().inputs(), 0, kInputTag,
                         &inputs, &requests);
    if (status.ok())
      status = waitAll(*control_, requests);
    std::vector<Tensor> outputs;
    if (status.ok())
      status = session.run(inputs, &outputs);
    requests.clear();
    if (status.ok() && session.returnsOutputs() && rank_ == outputRank_)
      status = postSends(*control_, outputs, 0, kOutputTag, &requests);
    if (status.ok())
      status = waitAll(*control_, requests);
    if (!status.ok())
      return status;
    // After the outputs, so that they are not held up: rank 0 takes it
    // with them.
    status = sendProfile();
    if (!status.ok())
      return status;
  }
}

} // namespace cleave::serve
