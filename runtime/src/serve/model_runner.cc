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
  for (int r = 1; r < ranks_; ++r) {
    StatusOr<TransportRequest> request =
        control_->send(command, sizeof(command), r, kCommandTag);
    if (!request.ok())
      return request.status();
    requests.push_back(*request);
  }
  for (TransportRequest request : requests) {
    Status waited = control_->wait(request);
    if (!waited.ok())
      return waited;
  }
  // A heartbeat or the stop also goes to the other replicas' first ranks,
  // which pass it on to their own followers (a batch goes there by startOn).
  requests.clear();
  for (int r = 1; op != kRun && leaders_ && replica_ == 0 && r < replicas_;
       ++r) {
    StatusOr<TransportRequest> request =
        leaders_->send(command, sizeof(command), r, kCommandTag);
    if (!request.ok())
      return request.status();
    requests.push_back(*request);
  }
  for (TransportRequest request : requests) {
    Status waited = leaders_->wait(request);
    if (!waited.ok())
      return waited;
  }
  return Status();
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
  StatusOr<TransportRequest> request =
      leaders_->send(command, sizeof(command), replica, kCommandTag);
  if (!request.ok())
    return request.status();
  sends.push_back(*request);
  for (size_t i = 0; i < inputs.size(); ++i) {
    request = leaders_->send(inputs[i].data(), inputs[i].byteSize(), replica,
                             kInputTag + int(i));
    if (!request.ok())
      return request.status();
    sends.push_back(*request);
  }
  const Artifact &artifact = sessions_[plan]->artifact();
  outputs->clear();
  for (size_t i = 0; i < artifact.outputs().size(); ++i) {
    const TensorDesc &desc = artifact.outputs()[i];
    StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
    if (!tensor.ok())
      return tensor.status();
    outputs->push_back(std::move(tensor).value());
  }
  for (size_t i = 0; i < outputs->size(); ++i) {
    request = leaders_->recv((*outputs)[i].data(), (*outputs)[i].byteSize(),
                             replica, kOutputTag + int(i));
    if (!request.ok())
      return request.status();
    pending.push_back(*request);
  }
  // The replica's ranks' profiles come after the outputs.
  replicaIncoming_.resize(size_t(replicas_));
  std::vector<double> &table = replicaIncoming_[size_t(replica)];
  table.assign(size_t(ranks_) * kProfileFields, 0.0);
  request = leaders_->recv(table.data(), table.size() * sizeof(double), replica,
                           kProfileTag);
  if (!request.ok())
    return request.status();
  pending.push_back(*request);
  // The sends complete once the replica took the batch; the outputs' receives
  // are what finishOn() waits for.
  for (TransportRequest sent : sends) {
    Status waited = leaders_->wait(sent);
    if (!waited.ok())
      return waited;
  }
  return Status();
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
      StatusOr<TransportRequest> sent =
          leaders_->send(&ack, sizeof(ack), 0, kAckTag);
      if (!sent.ok())
        return sent.status();
      status = leaders_->wait(*sent);
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
    const Artifact &artifact = sessions_[plan]->artifact();
    std::vector<Tensor> inputs;
    std::vector<TransportRequest> requests;
    for (size_t i = 0; i < artifact.inputs().size(); ++i) {
      const TensorDesc &desc = artifact.inputs()[i];
      StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
      if (!tensor.ok())
        return tensor.status();
      inputs.push_back(std::move(tensor).value());
      StatusOr<TransportRequest> received = leaders_->recv(
          inputs[i].data(), inputs[i].byteSize(), 0, kInputTag + int(i));
      if (!received.ok())
        return received.status();
      requests.push_back(*received);
    }
    for (TransportRequest pending : requests) {
      status = leaders_->wait(pending);
      if (!status.ok())
        return status;
    }
    std::vector<Tensor> outputs;
    status = run(plan, inputs, &outputs);
    if (!status.ok())
      return status;
    requests.clear();
    for (size_t i = 0; i < outputs.size(); ++i) {
      StatusOr<TransportRequest> sent = leaders_->send(
          outputs[i].data(), outputs[i].byteSize(), 0, kOutputTag + int(i));
      if (!sent.ok())
        return sent.status();
      requests.push_back(*sent);
    }
    for (TransportRequest pending : requests) {
      status = leaders_->wait(pending);
      if (!status.ok())
        return status;
    }
    // This replica's ranks' profiles, as run() stored them.
    std::vector<double> table;
    {
      std::lock_guard<std::mutex> lock(profilesMutex_);
      table = profiles_;
    }
    table.resize(size_t(ranks_) * kProfileFields, 0.0);
    StatusOr<TransportRequest> sent = leaders_->send(
        table.data(), table.size() * sizeof(double), 0, kProfileTag);
    if (!sent.ok())
      return sent.status();
    status = leaders_->wait(*sent);
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
    for (size_t i = 0; status.ok() && i < inputs.size(); ++i) {
      StatusOr<TransportRequest> request = control_->send(
          inputs[i].data(), inputs[i].byteSize(), r, kInputTag + int(i));
      if (!request.ok())
        status = request.status();
      else
        requests.push_back(*request);
    }
  for (TransportRequest request : requests)
    if (status.ok())
      status = control_->wait(request);
  if (!status.ok())
    ended(status);
  // Every follower reports its profile once it ran the batch.
  incoming_.assign(size_t(ranks_) * kProfileFields, 0.0);
  std::vector<TransportRequest> profileRequests;
  for (int r = 1; r < ranks_; ++r) {
    StatusOr<TransportRequest> request =
        control_->recv(&incoming_[size_t(r) * kProfileFields],
                       kProfileFields * sizeof(double), r, kProfileTag);
    if (!request.ok())
      ended(request.status());
    profileRequests.push_back(*request);
  }
  auto takeProfiles = [&] {
    for (TransportRequest request : profileRequests) {
      Status waited = control_->wait(request);
      if (!waited.ok())
        ended(waited);
    }
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
  outputs->clear();
  requests.clear();
  for (size_t i = 0; i < session.artifact().outputs().size(); ++i) {
    const TensorDesc &desc = session.artifact().outputs()[i];
    StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
    if (!tensor.ok())
      ended(tensor.status());
    outputs->push_back(std::move(tensor).value());
    StatusOr<TransportRequest> request =
        control_->recv(outputs->back().data(), outputs->back().byteSize(),
                       outputRank_, kOutputTag + int(i));
    if (!request.ok())
      ended(request.status());
    requests.push_back(*request);
  }
  for (TransportRequest request : requests) {
    Status waited = control_->wait(request);
    if (!waited.ok())
      ended(waited);
  }
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
  for (int r = 1; status.ok() && r < ranks_; ++r) {
    StatusOr<TransportRequest> request =
        control_->recv(&acks[r], sizeof(int32_t), r, kAckTag);
    if (!request.ok())
      status = request.status();
    else
      requests.push_back(*request);
  }
  for (TransportRequest request : requests)
    if (status.ok())
      status = control_->wait(request);
  // The other replicas answer once their own followers did.
  std::vector<int32_t> replicaAcks(static_cast<size_t>(replicas_));
  requests.clear();
  for (int r = 1; status.ok() && leaders_ && replica_ == 0 && r < replicas_;
       ++r) {
    StatusOr<TransportRequest> request =
        leaders_->recv(&replicaAcks[r], sizeof(int32_t), r, kAckTag);
    if (!request.ok())
      status = request.status();
    else
      requests.push_back(*request);
  }
  {
    // Each replica answers once its own followers did, bounded there.
    WaitGrace grace(kChainedGraceSeconds);
    for (TransportRequest request : requests)
      if (status.ok())
        status = leaders_->wait(request);
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
  StatusOr<TransportRequest> sent = control_->send(
      fields.data(), fields.size() * sizeof(double), 0, kProfileTag);
  if (!sent.ok())
    return sent.status();
  return control_->wait(*sent);
}

Status ModelRunner::sendText(Transport &to, const std::string &text) {
  int64_t size = int64_t(text.size());
  StatusOr<TransportRequest> sent =
      to.send(&size, sizeof(size), 0, kTraceSizeTag);
  if (!sent.ok())
    return sent.status();
  Status status = to.wait(*sent);
  if (!status.ok() || size == 0)
    return status;
  sent = to.send(text.data(), text.size(), 0, kTraceTag);
  if (!sent.ok())
    return sent.status();
  return to.wait(*sent);
}

Status ModelRunner::receiveText(Transport &from, int peer, std::string *text) {
  int64_t size = 0;
  StatusOr<TransportRequest> received =
      from.recv(&size, sizeof(size), peer, kTraceSizeTag);
  if (!received.ok())
    return received.status();
  Status status = from.wait(*received);
  if (!status.ok() || size <= 0)
    return status;
  std::string part(size_t(size), '\0');
  received = from.recv(&part[0], part.size(), peer, kTraceTag);
  if (!received.ok())
    return received.status();
  status = from.wait(*received);
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
      StatusOr<TransportRequest> sent =
          control_->send(&ack, sizeof(ack), 0, kAckTag);
      if (!sent.ok())
        return sent.status();
      status = control_->wait(*sent);
      if (!status.ok())
        return status;
      continue;
    }
    if (command[0] != kRun || command[1] < 0 ||
        size_t(command[1]) >= sessions_.size())
      return internalError("unknown command " + std::to_string(command[0]) +
                           " " + std::to_string(command[1]) + " from rank 0");
    Session &session = *sessions_[command[1]];
    bool takes = session.takesInputs();
    std::vector<Tensor> inputs;
    std::vector<TransportRequest> requests;
    for (size_t i = 0; takes && i < session.artifact().inputs().size(); ++i) {
      const TensorDesc &desc = session.artifact().inputs()[i];
      StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
      if (!tensor.ok())
        return tensor.status();
      inputs.push_back(std::move(tensor).value());
      StatusOr<TransportRequest> received = control_->recv(
          inputs[i].data(), inputs[i].byteSize(), 0, kInputTag + int(i));
      if (!received.ok())
        return received.status();
      requests.push_back(*received);
    }
    for (TransportRequest pending : requests) {
      status = control_->wait(pending);
      if (!status.ok())
        return status;
    }
    std::vector<Tensor> outputs;
    status = session.run(inputs, &outputs);
    if (!status.ok())
      return status;
    if (session.returnsOutputs() && rank_ == outputRank_) {
      requests.clear();
      for (size_t i = 0; i < outputs.size(); ++i) {
        StatusOr<TransportRequest> sent =
            control_->send(outputs[i].data(), outputs[i].byteSize(), 0,
                           kOutputTag + int(i));
        if (!sent.ok())
          return sent.status();
        requests.push_back(*sent);
      }
      for (TransportRequest pending : requests) {
        status = control_->wait(pending);
        if (!status.ok())
          return status;
      }
    }
    // After the outputs, so that they are not held up: rank 0 takes it
    // with them.
    status = sendProfile();
    if (!status.ok())
      return status;
  }
}

} // namespace cleave::serve
