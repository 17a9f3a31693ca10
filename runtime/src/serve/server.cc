//===- server.cc - cleave-serve: a KServe v2 REST server for one artifact -===//

#include "serve/server.h"

#include "cleave/runtime.h"
#include "serve/batcher.h"
#include "serve/frontend.h"
#ifdef CLEAVE_HAVE_GRPC
#include "serve/grpc_server.h"
#endif
#include "serve/kserve.h"
#include "serve/metrics.h"
#include "serve/model_runner.h"
#include "serve/openai.h"
#include "serve/sha256.h"

#include "comm/transport.h"
#include "core/trace.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace cleave::serve {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<int> gStopSignal{0};

void onStopSignal(int signal) { gStopSignal = signal; }

void printError(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "cleave-serve: error: %s\n", message.c_str());
  std::fflush(stderr);
}

/// What a request gets back from the worker that ran its batch.
struct Pending {
  InferRequest request;
  int64_t rows = 1;
  Clock::time_point arrival;

  std::mutex mutex;
  std::condition_variable done;
  bool finished = false;
  Status status;
  /// The batch's outputs and where this request's rows start.
  std::shared_ptr<std::vector<Tensor>> outputs;
  int64_t offset = 0;
  int64_t batchRows = 0;

  void finish(Status result, std::shared_ptr<std::vector<Tensor>> batch,
              int64_t start, int64_t formed) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      status = std::move(result);
      outputs = std::move(batch);
      offset = start;
      batchRows = formed;
      finished = true;
    }
    done.notify_all();
  }
};

/// "2026-12-07T12:34:56.789Z".
std::string utcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  int millis = int(std::chrono::duration_cast<std::chrono::milliseconds>(
                       now.time_since_epoch())
                       .count() %
                   1000);
  std::tm utc;
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, millis);
  return text;
}

/// Appends one JSON line per answered request to a file.
class AuditLog {
public:
  Status open(const std::string &path, json plan) {
    file_ = std::fopen(path.c_str(), "a");
    if (!file_)
      return notFoundError("cannot open the audit log '" + path +
                           "': " + std::strerror(errno));
    plan_ = std::move(plan);
    return Status();
  }
  ~AuditLog() {
    if (file_)
      std::fclose(file_);
  }
  void record(const std::string &requestId, int status, double seconds,
              int64_t batchRows, const std::string &error) {
    if (!file_)
      return;
    json line = plan_;
    line["time"] = utcNow();
    line["request_id"] = requestId;
    line["status"] = status;
    line["latency_ms"] = seconds * 1e3;
    if (batchRows > 0)
      line["batch_rows"] = batchRows;
    if (!error.empty())
      line["error"] = error;
    std::string text = line.dump() + "\n";
    std::lock_guard<std::mutex> lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
  }

private:
  std::FILE *file_ = nullptr;
  json plan_;
  std::mutex mutex_;
};

/// What the audit log says about the model and its plan.
json planRecord(const std::string &model, const Artifact &artifact,
                const std::string &artifactSha) {
  json devices = json::array();
  for (const DeviceDesc &device : artifact.devices())
    devices.push_back(device.kind + ":" + std::to_string(device.index));
  std::set<int> stageIds;
  size_t tp = 1;
  for (const StageDesc &stage : artifact.stages()) {
    stageIds.insert(stage.id);
    tp = std::max(tp, stage.group.size());
  }
  return json{{"model", model},
              {"artifact", artifact.path()},
              {"artifact_sha256", artifactSha},
              {"source_sha256", artifact.provenance().source.sha256},
              {"plan",
               {{"devices", devices},
                {"pp", stageIds.size()},
                {"tp", tp},
                {"dp", artifact.dp()},
                {"microbatches", artifact.microbatches()}}}};
}

/// The whole server on rank 0.
class Server final : public Frontend {
public:
  Server(const ServeOptions &options, ModelInfo model,
         std::vector<std::unique_ptr<ModelRunner>> runners)
      : options_(options), model_(std::move(model)),
        runners_(std::move(runners)) {}

  /// Lets the other ranks go when the server does not start.
  void stopFollowers() { runners_.front()->stop(); }

  const ModelInfo &model() const override { return model_; }
  bool ready() const override {
    return ready_ && !stopping_ && runners_.front()->heartbeatWaitSeconds() < 1;
  }
  InferOutcome infer(InferRequest request, Clock::time_point arrival) override;
  void refuse(const std::string &id, int status, const std::string &error,
              Clock::time_point arrival) override {
    double seconds =
        std::chrono::duration<double>(Clock::now() - arrival).count();
    metrics_.request(status, seconds);
    audit_.record(id.empty() ? "cleave-" + std::to_string(nextId_++) : id,
                  status, seconds, 0, error);
  }

  Status start(const std::string &artifactSha) {
    const Artifact &artifact = runners_.front()->artifact();
    maxRows_ = model_.maxRows > 0 ? model_.maxRows : 1;
    if (options_.maxBatch > 0)
      maxRows_ = std::min<int64_t>(maxRows_, options_.maxBatch);
    if (!options_.trace.empty()) {
      // Refused now rather than lost at the end.
      std::FILE *file = std::fopen(options_.trace.c_str(), "w");
      if (!file)
        return notFoundError("cannot write the trace '" + options_.trace +
                             "': " + std::strerror(errno));
      std::fclose(file);
    }
    if (!options_.auditLog.empty()) {
      Status opened = audit_.open(options_.auditLog,
                                  planRecord(model_.name, artifact, artifactSha));
      if (!opened.ok())
        return opened;
    }
    routes();
    http_.set_payload_max_length(options_.maxBodyBytes);
    http_.set_keep_alive_max_count(1u << 30);
    http_.set_keep_alive_timeout(2);
    http_.set_tcp_nodelay(true);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
    // second server would share a port in use instead of being refused.
    http_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listening_ = sock;
    });
    http_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    if (options_.port == 0) {
      port_ = http_.bind_to_any_port(options_.host);
      if (port_ < 0)
        return Status(StatusCode::FailedPrecondition,
                      "cannot listen on " + options_.host);
    } else {
      if (!http_.bind_to_port(options_.host, options_.port))
        return Status(StatusCode::FailedPrecondition,
                      "cannot listen on " + options_.host + ":" +
                          std::to_string(options_.port) +
                          " (in use, or not an address of this machine)");
      port_ = options_.port;
    }
    // Debian's libcpp-httplib listens with a backlog of 5: a burst of new
    // connections (32 clients at once, or a server slowed by busy MPI ranks)
    // overflows the accept queue, the kernel falls back to SYN cookies and
    // drops handshakes, and now and then a client's connection is reset (hey
    // counted about 1 in 200 requests at concurrency 32 as errors, without a
    // status). listen() again on the bound socket raises the backlog (the
    // kernel caps it at net.core.somaxconn).
    if (listening_ >= 0)
      ::listen(listening_, kListenBacklog);
    if (options_.grpcPort >= 0) {
#ifdef CLEAVE_HAVE_GRPC
      StatusOr<std::unique_ptr<GrpcServer>> grpc = GrpcServer::start(
          *this, options_.host, options_.grpcPort, options_.maxBodyBytes);
      if (!grpc.ok())
        return grpc.status();
      grpc_ = std::move(grpc).value();
#else
      return failedPreconditionError(
          "--grpc-port: this cleave-serve was built without gRPC "
          "(libgrpc++-dev and protobuf-compiler-grpc were missing)");
#endif
    }
    return Status();
  }

  /// Serves until a stop signal; returns the exit status.
  int serve() {
    listener_ = std::thread([this] {
      http_.listen_after_bind();
#ifdef CLEAVE_HAVE_GRPC
      // Waits for the gRPC calls in flight, which the workers still answer.
      if (grpc_)
        grpc_->shutdown();
#endif
      // Every connection's handler has returned: nothing more can arrive.
      batcher_.close();
    });
    std::vector<std::thread> workers;
    for (size_t i = 1; i < runners_.size(); ++i)
      workers.emplace_back([this, i] { work(*runners_[i], false); });
    ready_ = true;
#ifdef CLEAVE_HAVE_GRPC
    if (grpc_)
      std::printf("cleave-serve: KServe v2 gRPC on %s:%d\n",
                  options_.host.c_str(), grpc_->port());
#endif
    std::printf("cleave-serve: serving model '%s' from %s on http://%s:%d\n",
                model_.name.c_str(), options_.artifact.c_str(),
                options_.host.c_str(), port_);
    std::fflush(stdout);
    // Instance 0 works on this thread: under mpirun it is the one that talks
    // to the other ranks.
    work(*runners_.front(), true);
    for (std::thread &worker : workers)
      worker.join();
    listener_.join();
    std::string others;
    Status stopped = runners_.front()->stop(&others);
    if (!stopped.ok()) {
      printError(stopped.message());
      return 1;
    }
    if (!options_.trace.empty()) {
      trace::setEnabled(false);
      Status written = trace::writeTrace(runners_.front()->traceText() + others,
                                         options_.trace);
      if (!written.ok()) {
        printError(written.message());
        return 1;
      }
    }
    std::printf("cleave-serve: stopped after answering every request\n");
    std::fflush(stdout);
    return 0;
  }

private:
  void routes();
  void inferHttp(const httplib::Request &req, httplib::Response &res);
  void work(ModelRunner &runner, bool watchSignals);
  /// A batch formed from queued requests: its inputs stacked for the
  /// smallest plan they fit, and, once run, its outputs.
  struct Formed {
    std::vector<std::shared_ptr<Pending>> batch;
    int64_t rows = 0;
    size_t plan = 0;
    std::vector<Tensor> inputs;
    std::shared_ptr<std::vector<Tensor>> outputs;
    Status status;
    Clock::time_point start;
  };
  Formed form(ModelRunner &runner, std::vector<std::shared_ptr<Pending>> batch);
  /// Counts the batch run on `replica` and answers its requests.
  void finish(ModelRunner &runner, Formed &formed, int replica);
  void runBatch(ModelRunner &runner,
                std::vector<std::shared_ptr<Pending>> batch);
  /// A plan with replicas: runs `first` and what else is queued on the
  /// replicas, one batch each, at once.
  void runOnReplicas(ModelRunner &runner,
                     std::vector<std::shared_ptr<Pending>> first);
  /// A replica failed to take or return a batch: as a peer may wait, the
  /// job ends.
  [[noreturn]] void failJob(ModelRunner &runner, const Status &status) {
    printError("rank 0: " + status.message());
    if (runner.job())
      runner.job()->abort(1);
    std::_Exit(1);
  }
  /// Every rank's profile; --instances add to rank 0's.
  std::vector<RankProfile> rankProfiles() const {
    std::vector<RankProfile> ranks = runners_.front()->profiles();
    for (size_t i = 1; i < runners_.size(); ++i) {
      RankProfile more = runners_[i]->profiles().front();
      RankProfile &p = ranks.front();
      p.runs += more.runs;
      p.microbatches += more.microbatches;
      p.computeSeconds += more.computeSeconds;
      p.recvWaitSeconds += more.recvWaitSeconds;
      p.sendWaitSeconds += more.sendWaitSeconds;
      p.runSeconds += more.runSeconds;
    }
    return ranks;
  }
  void answer(httplib::Response &res, int status, const std::string &message) {
    res.status = status;
    res.set_content(errorJson(message), "application/json");
  }

  ServeOptions options_;
  ModelInfo model_;
  std::vector<std::unique_ptr<ModelRunner>> runners_;
  int64_t maxRows_ = 1;
  int port_ = 0;
  static constexpr int kListenBacklog = 1024;
  /// The listening socket, as httplib made it.
  socket_t listening_ = -1;
  httplib::Server http_;
#ifdef CLEAVE_HAVE_GRPC
  std::unique_ptr<GrpcServer> grpc_;
#endif
  std::thread listener_;
  Batcher<Pending> batcher_;
  Metrics metrics_;
  AuditLog audit_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> nextId_{1};
  /// The replica whose turn it is to take the next round's first batch.
  int nextReplica_ = 0;
};

void Server::routes() {
  auto jsonAnswer = [](httplib::Response &res, const std::string &body) {
    res.set_content(body, "application/json");
  };
  http_.Get("/v2/health/live", [jsonAnswer](const httplib::Request &,
                                            httplib::Response &res) {
    jsonAnswer(res, R"({"live": true})");
  });
  http_.Get("/v2/health/ready",
            [this, jsonAnswer](const httplib::Request &, httplib::Response &res) {
              bool isReady = ready();
              res.status = isReady ? 200 : 503;
              jsonAnswer(res, json{{"ready", isReady}}.dump());
            });
  http_.Get("/v2", [this, jsonAnswer](const httplib::Request &,
                                      httplib::Response &res) {
    jsonAnswer(res, json{{"name", "cleave-serve"},
                         {"version", "0.1.0"},
                         {"extensions", json::array({"binary_tensor_data"})}}
                        .dump());
  });
  auto unknownModel = [this](const httplib::Request &req,
                             httplib::Response &res) {
    std::string name = req.matches[1];
    if (name == model_.name)
      return false;
    answer(res, 404,
           "unknown model '" + name + "' (this server has '" + model_.name + "')");
    return true;
  };
  http_.Get(R"(/v2/models/([^/]+)(?:/versions/1)?)",
            [this, unknownModel, jsonAnswer](const httplib::Request &req,
                                             httplib::Response &res) {
              if (!unknownModel(req, res))
                jsonAnswer(res, modelMetadataJson(model_));
            });
  http_.Get(R"(/v2/models/([^/]+)(?:/versions/1)?/ready)",
            [this, unknownModel, jsonAnswer](const httplib::Request &req,
                                             httplib::Response &res) {
              if (unknownModel(req, res))
                return;
              bool isReady = ready();
              res.status = isReady ? 200 : 503;
              jsonAnswer(res,
                         json{{"name", model_.name}, {"ready", isReady}}.dump());
            });
  http_.Post(R"(/v2/models/([^/]+)(?:/versions/1)?/infer)",
             [this, unknownModel](const httplib::Request &req,
                                  httplib::Response &res) {
               if (unknownModel(req, res)) {
                 metrics_.request(404, 0);
                 audit_.record("", 404, 0, 0, "unknown model");
                 return;
               }
               inferHttp(req, res);
             });
  http_.Get("/metrics",
            [this](const httplib::Request &, httplib::Response &res) {
              res.set_content(metrics_.text(model_.name, batcher_.depth(),
                                            ready(), rankProfiles()),
                              "text/plain; version=0.0.4");
            });
  // Every other failure (no such route, a body over the limit) also answers
  // with one JSON line.
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty())
      return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    if (res.status == 413)
      message = "request body larger than " +
                std::to_string(options_.maxBodyBytes) + " bytes";
    else if (res.status == 404)
      message = "no route " + req.method + " " + req.path;
    else
      message = "HTTP status " + std::to_string(res.status);
    if (res.status == 413) {
      metrics_.request(413, 0);
      audit_.record("", 413, 0, 0, message);
    }
    res.set_content(errorJson(message), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  http_.set_exception_handler(
      [this](const httplib::Request &, httplib::Response &res,
             std::exception_ptr error) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception &caught) {
          message = std::string("internal error: ") + caught.what();
        } catch (...) {
        }
        answer(res, 500, message);
      });
}

InferOutcome Server::infer(InferRequest request, Clock::time_point arrival) {
  auto pending = std::make_shared<Pending>();
  pending->arrival = arrival;
  pending->request = std::move(request);
  pending->rows = pending->request.rows;
  InferOutcome outcome;
  auto finishWith = [&](int status, const std::string &error,
                        int64_t batchRows) {
    double seconds =
        std::chrono::duration<double>(Clock::now() - arrival).count();
    metrics_.request(status, seconds);
    std::string id = pending->request.id.empty()
                         ? "cleave-" + std::to_string(nextId_++)
                         : pending->request.id;
    audit_.record(id, status, seconds, batchRows, error);
    outcome.status = status;
    outcome.error = error;
    return outcome;
  };
  if (stopping_ || !batcher_.push(pending))
    return finishWith(503, "the server is shutting down", 0);
  {
    std::unique_lock<std::mutex> lock(pending->mutex);
    pending->done.wait(lock, [&] { return pending->finished; });
  }
  if (!pending->status.ok())
    return finishWith(500, pending->status.message(), pending->batchRows);
  for (size_t i = 0; i < model_.outputs.size(); ++i) {
    const Tensor &tensor = (*pending->outputs)[i];
    size_t rowBytes = model_.maxRows > 0
                          ? tensor.byteSize() / size_t(tensor.shape()[0])
                          : 0;
    outcome.slices.push_back(OutputSlice{
        static_cast<const char *>(tensor.data()) + rowBytes * pending->offset,
        pending->rows});
  }
  outcome.outputs = pending->outputs;
  // Recorded before the answer is sent, as the HTTP path always did.
  return finishWith(200, "", pending->batchRows);
}

void Server::inferHttp(const httplib::Request &req, httplib::Response &res) {
  Clock::time_point arrival = Clock::now();
  InferRequest request;
  std::optional<size_t> headerLength;
  if (req.has_header("Inference-Header-Content-Length")) {
    std::string value = req.get_header_value("Inference-Header-Content-Length");
    char *end = nullptr;
    errno = 0;
    unsigned long long length = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end || errno || value[0] == '-') {
      std::string message =
          "Inference-Header-Content-Length '" + value + "' is not a byte count";
      answer(res, 400, message);
      refuse("", 400, message, arrival);
      return;
    }
    headerLength = static_cast<size_t>(length);
  }
  std::optional<RequestError> bad =
      parseInferRequest(model_, req.body, headerLength, &request);
  if (bad) {
    answer(res, bad->status, bad->message);
    refuse(request.id, bad->status, bad->message, arrival);
    return;
  }
  // What the answer needs of the request; its inputs go to the batcher.
  InferRequest kept;
  kept.id = request.id;
  kept.rows = request.rows;
  kept.outputs = request.outputs;
  kept.binaryOutputs = request.binaryOutputs;
  InferOutcome outcome = infer(std::move(request), arrival);
  if (outcome.status != 200) {
    answer(res, outcome.status, outcome.error);
    return;
  }
  std::string body, contentType;
  std::optional<size_t> responseHeader;
  writeInferResponse(model_, kept, outcome.slices, &body, &contentType,
                     &responseHeader);
  if (responseHeader)
    res.set_header("Inference-Header-Content-Length",
                   std::to_string(*responseHeader));
  res.set_content(std::move(body), contentType.c_str());
}

Server::Formed Server::form(ModelRunner &runner,
                            std::vector<std::shared_ptr<Pending>> batch) {
  Formed formed;
  formed.start = Clock::now();
  formed.batch = std::move(batch);
  for (const auto &pending : formed.batch)
    formed.rows += pending->rows;
  // The smallest plan the rows fit in (artifacts compiled with --batch-sizes
  // have several).
  const std::vector<int64_t> &batches = runner.batches();
  while (formed.plan + 1 < batches.size() && batches[formed.plan] < formed.rows)
    ++formed.plan;
  const std::vector<TensorDesc> &descs =
      runner.planArtifact(formed.plan).inputs();
  Status &status = formed.status;
  if (formed.batch.size() == 1 && model_.maxRows <= 0) {
    // A model without a batch dim: the request's tensors are the inputs.
    for (size_t i = 0; status.ok() && i < descs.size(); ++i) {
      const std::string &data = formed.batch.front()->request.inputs[i];
      StatusOr<Tensor> tensor = Tensor::fromBytes(
          descs[i].dtype, descs[i].shape, data.data(), data.size());
      status = tensor.status();
      if (tensor.ok())
        formed.inputs.push_back(std::move(tensor).value());
    }
  } else {
    // Requests stacked along dim 0, zero rows padding up to the plan's
    // batch.
    for (size_t i = 0; status.ok() && i < descs.size(); ++i) {
      StatusOr<Tensor> tensor = Tensor::create(descs[i].dtype, descs[i].shape);
      status = tensor.status();
      if (!tensor.ok())
        break;
      char *at = static_cast<char *>(tensor->data());
      for (const auto &pending : formed.batch) {
        const std::string &data = pending->request.inputs[i];
        std::memcpy(at, data.data(), data.size());
        at += data.size();
      }
      formed.inputs.push_back(std::move(tensor).value());
    }
  }
  formed.outputs = std::make_shared<std::vector<Tensor>>();
  return formed;
}

void Server::finish(ModelRunner &runner, Formed &formed, int replica) {
  metrics_.batch(
      formed.rows, int64_t(formed.batch.size()),
      std::chrono::duration<double>(Clock::now() - formed.start).count(),
      runner.batches()[formed.plan], replica);
  int64_t offset = 0;
  for (const auto &pending : formed.batch) {
    pending->finish(formed.status, formed.outputs, offset, formed.rows);
    offset += pending->rows;
  }
}

void Server::runBatch(ModelRunner &runner,
                      std::vector<std::shared_ptr<Pending>> batch) {
  trace::Span span("batch");
  Formed formed = form(runner, std::move(batch));
  if (formed.status.ok())
    formed.status =
        runner.run(formed.plan, formed.inputs, formed.outputs.get());
  finish(runner, formed, 0);
}

void Server::runOnReplicas(ModelRunner &runner,
                           std::vector<std::shared_ptr<Pending>> first) {
  // One round: the first batch goes to the replica whose turn it is, then
  // whatever else is queued already forms a batch for each next replica;
  // the other replicas' batches run while this one runs its own.
  trace::Span span("round");
  const int replicas = runner.replicas();
  std::vector<Formed> round;
  std::vector<int> on;
  for (int k = 0; k < replicas; ++k) {
    std::vector<std::shared_ptr<Pending>> batch =
        k == 0 ? std::move(first)
               : batcher_.next(maxRows_, Clock::duration::zero(),
                               Clock::duration::zero());
    if (batch.empty())
      break;
    round.push_back(form(runner, std::move(batch)));
    on.push_back((nextReplica_ + k) % replicas);
  }
  nextReplica_ = (nextReplica_ + 1) % replicas;
  std::vector<bool> started(round.size(), false);
  for (size_t i = 0; i < round.size(); ++i) {
    if (on[i] == 0 || !round[i].status.ok())
      continue;
    round[i].status = runner.startOn(on[i], round[i].plan, round[i].inputs,
                                     round[i].outputs.get());
    if (!round[i].status.ok())
      failJob(runner, round[i].status);
    started[i] = true;
  }
  for (size_t i = 0; i < round.size(); ++i)
    if (on[i] == 0) {
      if (round[i].status.ok())
        round[i].status =
            runner.run(round[i].plan, round[i].inputs, round[i].outputs.get());
      finish(runner, round[i], 0);
    }
  for (size_t i = 0; i < round.size(); ++i) {
    if (on[i] == 0)
      continue;
    if (started[i]) {
      Status done = runner.finishOn(on[i]);
      if (!done.ok())
        failJob(runner, done);
    }
    finish(runner, round[i], on[i]);
  }
}

void Server::work(ModelRunner &runner, bool watchSignals) {
  const auto poll = std::chrono::milliseconds(100);
  const auto heartbeatEvery = std::chrono::milliseconds(1000);
  const auto delay = std::chrono::microseconds(
      static_cast<int64_t>(options_.maxDelayMs * 1000));
  Clock::time_point lastHeartbeat = Clock::now();
  while (true) {
    if (watchSignals && gStopSignal && !stopping_) {
      stopping_ = true;
      std::printf("cleave-serve: signal %d: finishing the requests in flight\n",
                  gStopSignal.load());
      std::fflush(stdout);
      http_.stop();
    }
    std::vector<std::shared_ptr<Pending>> batch =
        batcher_.next(maxRows_, delay, poll);
    if (batch.empty()) {
      if (batcher_.drained())
        return;
      if (runner.distributed() && Clock::now() - lastHeartbeat >= heartbeatEvery) {
        Status alive = runner.heartbeat();
        lastHeartbeat = Clock::now();
        if (!alive.ok()) {
          printError(alive.message());
          std::_Exit(1);
        }
      }
      continue;
    }
    if (runner.replicas() > 1)
      runOnReplicas(runner, std::move(batch));
    else
      runBatch(runner, std::move(batch));
    lastHeartbeat = Clock::now();
  }
}

} // namespace

int runServer(const ServeOptions &options) {
  struct sigaction action = {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A client that goes away mid-answer must not end the server.
  std::signal(SIGPIPE, SIG_IGN);

  setWaitTimeout(options.rankTimeoutSeconds, "cleave-serve");
  // Every rank parsed the same command line: all record, or none.
  trace::setEnabled(!options.trace.empty());
  if (options.instances < 1) {
    printError("--instances must be at least 1");
    return 1;
  }
  int threads = options.threads;
  if (threads == 0 && options.instances > 1)
    threads = std::max(1, availableCores() / options.instances);
  StatusOr<std::unique_ptr<ModelRunner>> first =
      ModelRunner::open(options.artifact, threads, "cleave-serve",
                        /*replicasFollow=*/true);
  if (!first.ok()) {
    // Every rank has the same status under mpirun: rank 0 says it.
    if (detectMpiLaunch().rank == 0)
      printError(first.status().message());
    return 1;
  }
  std::unique_ptr<ModelRunner> runner = std::move(first).value();
  if (runner->artifact().generation()) {
    // A decoder compiled with --generate: the OpenAI endpoints, over a
    // generation loop on one rank.
    if (runner->distributed()) {
      if (detectMpiLaunch().rank == 0)
        printError("'" + options.artifact + "' is a plan on " +
                   std::to_string(runner->artifact().ranks()) +
                   " ranks compiled for generation: cleave-serve serves generation on one "
                   "rank only, not yet under mpirun (compile it for one device, or run it "
                   "with mpirun cleave-generate)");
      return 1;
    }
    runner.reset();
    StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(options.artifact);
    if (!artifact.ok()) {
      printError(artifact.status().message());
      return 1;
    }
    return runGenerationServer(options, std::move(artifact).value(), gStopSignal);
  }
  if (!runner->leads()) {
    Status followed = runner->follow();
    if (!followed.ok()) {
      printError("rank " +
                 std::to_string(runner->job() ? runner->job()->rank()
                                              : runner->rank()) +
                 ": " + followed.message());
      return 1;
    }
    return 0;
  }
  std::string name = options.modelName;
  if (name.empty())
    name = std::filesystem::path(options.artifact).stem().string();
  Status status;
  if (name.empty() || name.find('/') != std::string::npos)
    status = invalidArgumentError("model name '" + name +
                                  "' must be non-empty and without '/'");
  std::vector<std::unique_ptr<ModelRunner>> runners;
  if (status.ok() && options.instances > 1 && runner->distributed())
    status = invalidArgumentError(
        "--instances: a plan on several ranks runs as one instance");
  for (int i = 1; status.ok() && i < options.instances; ++i) {
    StatusOr<std::unique_ptr<ModelRunner>> more = runner->another(threads);
    if (!more.ok())
      status = more.status();
    else
      runners.push_back(std::move(more).value());
  }
  StatusOr<std::string> sha = status.ok() ? sha256File(options.artifact)
                                          : StatusOr<std::string>(status);
  if (!sha.ok())
    status = sha.status();
  ModelInfo model = makeModelInfo(name, runner->artifact().inputs(),
                                  runner->artifact().outputs());
  runners.insert(runners.begin(), std::move(runner));
  Server server(options, std::move(model), std::move(runners));
  if (status.ok())
    status = server.start(*sha);
  if (!status.ok()) {
    printError(status.message());
    server.stopFollowers();
    return 1;
  }
  return server.serve();
}

} // namespace cleave::serve
