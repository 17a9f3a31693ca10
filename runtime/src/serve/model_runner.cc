//===- model_runner.cc - Runs batches of a plan for the server ------------===//

#include "serve/model_runner.h"

#include "comm/transport.h"
#include "core/process_session.h"

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

int64_t nowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

ModelRunner::~ModelRunner() {
  session_.reset();
  control_.reset();
}

StatusOr<std::unique_ptr<ModelRunner>> ModelRunner::open(const std::string &path,
                                                         int threads) {
  StatusOr<ProcessSession> opened =
      openProcessSession(path, ProcessSessionOptions{threads, true});
  if (!opened.ok())
    return opened.status();
  std::unique_ptr<ModelRunner> runner(new ModelRunner());
  runner->path_ = path;
  runner->transport_ = std::move(opened->transport);
  runner->session_ = std::move(opened->session);
  if (!runner->transport_)
    return runner;
  StatusOr<std::shared_ptr<Transport>> control =
      runner->transport_->split(0, runner->transport_->rank());
  if (!control.ok())
    return control.status();
  runner->control_ = std::move(control).value();
  runner->rank_ = runner->control_->rank();
  runner->ranks_ = runner->control_->size();
  const Artifact &artifact = runner->session_->artifact();
  const StageDesc *last = nullptr;
  for (const StageDesc &stage : artifact.stages())
    if (!last || stage.id > last->id)
      last = &stage;
  runner->outputRank_ = last->group.empty() ? last->rank : last->group.front();
  // Every rank learns which ranks take the inputs.
  int32_t takes = runner->session_->takesInputs() ? 1 : 0;
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
  runner->session_ = std::move(session).value();
  return runner;
}

const Artifact &ModelRunner::artifact() const { return session_->artifact(); }

Status ModelRunner::send(int op) {
  int32_t command[2] = {op, 0};
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
  return Status();
}

Status ModelRunner::run(const std::vector<Tensor> &inputs,
                        std::vector<Tensor> *outputs) {
  if (!distributed())
    return session_->run(inputs, outputs);
  auto ended = [&](const Status &status) {
    std::fflush(stdout);
    std::fprintf(stderr, "cleave-serve: error: rank %d: %s\n", rank_,
                 status.message().c_str());
    std::fflush(stderr);
    control_->abort(1);
  };
  Status status = send(kRun);
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
  bool returns = session_->returnsOutputs();
  status = session_->run(inputs, outputs);
  if (!status.ok())
    ended(status);
  if (returns)
    return Status();
  // The last stage's rank sends the outputs here.
  outputs->clear();
  requests.clear();
  for (size_t i = 0; i < artifact().outputs().size(); ++i) {
    const TensorDesc &desc = artifact().outputs()[i];
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
  heartbeatSince_ = 0;
  return status;
}

double ModelRunner::heartbeatWaitSeconds() const {
  int64_t since = heartbeatSince_;
  return since == 0 ? 0 : (nowMicros() - since) / 1e6;
}

Status ModelRunner::stop() { return distributed() ? send(kStop) : Status(); }

Status ModelRunner::follow() {
  const Artifact &plan = artifact();
  bool takes = session_->takesInputs();
  bool returns = session_->returnsOutputs();
  std::vector<Tensor> inputs;
  if (takes)
    for (const TensorDesc &desc : plan.inputs()) {
      StatusOr<Tensor> tensor = Tensor::create(desc.dtype, desc.shape);
      if (!tensor.ok())
        return tensor.status();
      inputs.push_back(std::move(tensor).value());
    }
  while (true) {
    int32_t command[2] = {0, 0};
    StatusOr<TransportRequest> request =
        control_->recv(command, sizeof(command), 0, kCommandTag);
    if (!request.ok())
      return request.status();
    Status status = control_->wait(*request);
    if (!status.ok())
      return status;
    if (command[0] == kStop)
      return Status();
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
    if (command[0] != kRun)
      return internalError("unknown command " + std::to_string(command[0]) +
                           " from rank 0");
    std::vector<TransportRequest> requests;
    for (size_t i = 0; takes && i < inputs.size(); ++i) {
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
    static const std::vector<Tensor> kNone;
    status = session_->run(takes ? inputs : kNone, &outputs);
    if (!status.ok())
      return status;
    if (returns && rank_ == outputRank_) {
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
  }
}

} // namespace cleave::serve
