//===- metrics.h - The server's Prometheus metrics
//--------------------------===//
//
// What GET /metrics answers (Prometheus text format 0.0.4): requests by
// status, latency, batch size and run-time histograms, batches by plan and by
// replica, queue depth, readiness, and every rank's stage times (reported by
// the followers after each batch, ModelRunner::profiles()).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_METRICS_H
#define CLEAVE_RUNTIME_SERVE_METRICS_H

#include "serve/model_runner.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace cleave::serve {

/// A Prometheus histogram with fixed bucket bounds.
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts; // per bucket, not cumulative
  uint64_t count = 0;
  double sum = 0;

  explicit Histogram(std::vector<double> upper)
      : bounds(std::move(upper)), counts(bounds.size(), 0) {}

  void observe(double value) {
    for (size_t i = 0; i < bounds.size(); ++i)
      if (value <= bounds[i]) {
        ++counts[i];
        break;
      }
    ++count;
    sum += value;
  }

  void write(std::ostringstream &out, const std::string &name) const {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
      cumulative += counts[i];
      out << name << "_bucket{le=\"" << bounds[i] << "\"} " << cumulative
          << "\n";
    }
    out << name << "_bucket{le=\"+Inf\"} " << count << "\n";
    out << name << "_sum " << sum << "\n" << name << "_count " << count << "\n";
  }
};

/// Counters for /metrics; every method may be called from any thread.
class Metrics {
public:
  void request(int status, double seconds) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++byStatus_[status];
    latency_.observe(seconds);
  }
  void batch(int64_t rows, int64_t requests, double seconds, int64_t plan,
             int replica) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++byPlan_[plan];
    ++byReplica_[replica];
    rowsByReplica_[replica] += uint64_t(rows);
    batchRows_.observe(double(rows));
    batchRequests_.observe(double(requests));
    runSeconds_.observe(seconds);
  }

  std::string text(const std::string &model, size_t queueDepth, bool ready,
                   const std::vector<RankProfile> &ranks) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::ostringstream out;
    writeRankProfiles(out, ranks);
    out << "# HELP cleave_requests_total Inference requests answered, by "
           "HTTP status.\n# TYPE cleave_requests_total counter\n";
    if (byStatus_.empty())
      out << "cleave_requests_total{model=\"" << model
          << "\",status=\"200\"} 0\n";
    for (const auto &[status, count] : byStatus_)
      out << "cleave_requests_total{model=\"" << model << "\",status=\""
          << status << "\"} " << count << "\n";
    out << "# HELP cleave_request_latency_seconds Time from a request's "
           "arrival to its answer.\n# TYPE cleave_request_latency_seconds "
           "histogram\n";
    latency_.write(out, "cleave_request_latency_seconds");
    out << "# HELP cleave_batch_size Rows per batch run (before padding).\n"
           "# TYPE cleave_batch_size histogram\n";
    batchRows_.write(out, "cleave_batch_size");
    out << "# HELP cleave_batch_requests Requests per batch run.\n"
           "# TYPE cleave_batch_requests histogram\n";
    batchRequests_.write(out, "cleave_batch_requests");
    out << "# HELP cleave_batch_run_seconds Time to run one batch.\n"
           "# TYPE cleave_batch_run_seconds histogram\n";
    runSeconds_.write(out, "cleave_batch_run_seconds");
    out << "# HELP cleave_batch_runs_total Batches run, by the batch size of "
           "the plan that ran them (rows after padding).\n"
           "# TYPE cleave_batch_runs_total counter\n";
    for (const auto &[plan, count] : byPlan_)
      out << "cleave_batch_runs_total{plan_batch=\"" << plan << "\"} " << count
          << "\n";
    out << "# HELP cleave_replica_batch_runs_total Batches run, by the "
           "data-parallel replica that ran them (0 for a plan without "
           "replicas).\n# TYPE cleave_replica_batch_runs_total counter\n";
    for (const auto &[replica, count] : byReplica_)
      out << "cleave_replica_batch_runs_total{replica=\"" << replica << "\"} "
          << count << "\n";
    out << "# HELP cleave_replica_rows_total Rows run (before padding), by "
           "replica.\n# TYPE cleave_replica_rows_total counter\n";
    for (const auto &[replica, count] : rowsByReplica_)
      out << "cleave_replica_rows_total{replica=\"" << replica << "\"} "
          << count << "\n";
    out << "# HELP cleave_queue_depth Requests waiting to be batched.\n"
           "# TYPE cleave_queue_depth gauge\ncleave_queue_depth "
        << queueDepth << "\n";
    out << "# HELP cleave_ready 1 while the model is ready.\n"
           "# TYPE cleave_ready gauge\ncleave_ready "
        << (ready ? 1 : 0) << "\n";
    return out.str();
  }

private:
  /// Per-rank stage times as Prometheus summaries (sum and count) with a
  /// `rank` and a `stage` label.
  static void writeRankProfiles(std::ostringstream &out,
                                const std::vector<RankProfile> &ranks) {
    auto labels = [](const RankProfile &p, const char *extra = nullptr) {
      std::string text = "{rank=\"" + std::to_string(p.rank) + "\",stage=\"" +
                         std::to_string(p.stage) + "\"";
      if (extra)
        text += std::string(",direction=\"") + extra + "\"";
      return text + "}";
    };
    out << "# HELP cleave_stage_compute_seconds Time each rank's stage "
           "computed, per microbatch (the rank's generated code).\n"
           "# TYPE cleave_stage_compute_seconds summary\n";
    for (const RankProfile &p : ranks)
      if (p.stage >= 0)
        out << "cleave_stage_compute_seconds_sum" << labels(p) << " "
            << p.computeSeconds << "\ncleave_stage_compute_seconds_count"
            << labels(p) << " " << p.microbatches << "\n";
    out << "# HELP cleave_stage_transfer_wait_seconds Time each rank waited, "
           "per batch run, for activations to arrive (direction recv) or for "
           "its sends to complete (send).\n"
           "# TYPE cleave_stage_transfer_wait_seconds summary\n";
    for (const RankProfile &p : ranks)
      if (p.stage >= 0)
        for (const char *direction : {"recv", "send"}) {
          double seconds =
              direction[0] == 'r' ? p.recvWaitSeconds : p.sendWaitSeconds;
          out << "cleave_stage_transfer_wait_seconds_sum"
              << labels(p, direction) << " " << seconds
              << "\ncleave_stage_transfer_wait_seconds_count"
              << labels(p, direction) << " " << p.runs << "\n";
        }
    out << "# HELP cleave_stage_run_seconds Time each rank spent in a batch "
           "run of its stage.\n# TYPE cleave_stage_run_seconds summary\n";
    for (const RankProfile &p : ranks)
      if (p.stage >= 0)
        out << "cleave_stage_run_seconds_sum" << labels(p) << " "
            << p.runSeconds << "\ncleave_stage_run_seconds_count" << labels(p)
            << " " << p.runs << "\n";
  }

  mutable std::mutex mutex_;
  std::map<int, uint64_t> byStatus_;
  std::map<int64_t, uint64_t> byPlan_;
  std::map<int, uint64_t> byReplica_;
  std::map<int, uint64_t> rowsByReplica_;
  Histogram latency_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                      0.25, 0.5, 1, 2.5, 5, 10}};
  Histogram batchRows_{{1, 2, 4, 8, 16, 32, 64, 128, 256}};
  Histogram batchRequests_{{1, 2, 4, 8, 16, 32, 64, 128, 256}};
  Histogram runSeconds_{{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                         0.25, 0.5, 1, 2.5, 5, 10}};
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_METRICS_H
