// Plan search: each candidate is planned by the driver itself (compile with `explain`), so the
// search and the compile can never disagree about what a plan costs.
#include "compiler/driver/PlanSearch.h"

#include "compiler/partition/DeviceSpec.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <numeric>
#include <limits>

using namespace cleave;

namespace {

/// More microbatches than this rarely pay for their per-call costs.
constexpr int64_t kMaxMicrobatches = 32;

/// The memory a rank of `stage` needs, as the cost model counts it: the stage's parameters
/// and activations, shared evenly by its tensor-parallel group (optimistic for replicated
/// ops). Compiling the plan checks the exact figure per rank.
int64_t rankBytes(const PlannedStage &stage, int64_t tp) {
  return (stage.paramBytes + stage.activationBytes + tp - 1) / tp;
}

int64_t peakRankBytes(const PlanSummary &plan) {
  int64_t peak = 0;
  for (const PlannedStage &stage : plan.stages)
    peak = std::max(peak, rankBytes(stage, plan.tp));
  return peak;
}

/// Why the plan does not fit its devices' memory, or "".
std::string memoryRefusal(const PlanSummary &plan, const Cluster &cluster) {
  for (size_t k = 0; k < plan.stages.size(); ++k) {
    int64_t need = rankBytes(plan.stages[k], plan.tp);
    for (int64_t t = 0; t < plan.tp; ++t) {
      const DeviceSpec &device = cluster.devices[k * plan.tp + t];
      if (need > device.memoryBytes)
        return "stage " + std::to_string(k) + " needs about " + std::to_string(need) +
               " bytes per rank, more than the " + std::to_string(device.memoryBytes) +
               " bytes of device '" + device.name() + "'";
    }
  }
  return "";
}

std::string planName(const PlanCandidate &c) {
  return "pp=" + std::to_string(c.pp) + " tp=" + std::to_string(c.tp) +
         " microbatches=" + std::to_string(c.microbatches);
}

std::string report(const std::vector<PlanCandidate> &candidates, size_t devices) {
  std::string text;
  llvm::raw_string_ostream os(text);
  size_t feasible = std::count_if(candidates.begin(), candidates.end(),
                                  [](const PlanCandidate &c) { return c.refused.empty(); });
  os << "plan search: " << candidates.size() << " plan(s) of pp x tp x microbatches on "
     << devices << " device(s), " << feasible
     << " feasible; the lowest predicted batch time wins\n";
  os << "  rank  pp  tp  microbatches   batch ms  bottleneck ms  peak MiB/rank\n";
  int place = 0;
  for (const PlanCandidate &c : candidates) {
    if (!c.refused.empty())
      continue;
    os << llvm::format("  %4d  %2lld  %2lld  %12lld  %9.3f  %13.3f  %13.1f", ++place,
                       (long long)c.pp, (long long)c.tp, (long long)c.microbatches,
                       c.batchSeconds * 1e3, c.bottleneckSeconds * 1e3,
                       c.peakRankBytes / 1048576.0)
       << (place == 1 ? "  <- chosen" : "") << "\n";
  }
  for (const PlanCandidate &c : candidates)
    if (!c.refused.empty())
      os << "  refused " << planName(c) << ": " << c.refused << "\n";
  if (feasible >= 2) {
    const PlanCandidate &best = candidates[0], &next = candidates[1];
    os << "chosen: " << planName(best) << ", predicted "
       << llvm::format("%.3f", best.batchSeconds * 1e3) << " ms per batch, "
       << llvm::format("%.2f", next.batchSeconds / best.batchSeconds)
       << "x faster than the runner-up (" << planName(next) << ")\n";
  } else if (feasible == 1) {
    os << "chosen: " << planName(candidates[0]) << ", the only feasible plan\n";
  }
  return text;
}

} // namespace

CompileResult cleave::compileWithPlanSearch(const CompileOptions &options) {
  CompileResult result;
  if (options.pp != 0 || options.tp != 1 || options.microbatches != 1) {
    result.error = "--plan=auto chooses pp, tp and microbatches: do not give them too";
    return result;
  }
  Cluster cluster;
  if (!makeCluster(options.devices, options.deviceFile, cluster, result.error))
    return result;
  int64_t devices = static_cast<int64_t>(cluster.devices.size());

  // Each candidate is planned on its own; the batch (dim 0 of the first input) bounds the
  // microbatch counts once the first plan has read it.
  std::vector<PlanCandidate> candidates;
  std::vector<std::string> explanations;
  int64_t batch = 0;
  for (int64_t tp = 1; tp <= devices; ++tp) {
    if (devices % tp != 0)
      continue;
    for (int64_t mb = 1; mb == 1 || (mb <= std::min<int64_t>(batch, kMaxMicrobatches) && batch % mb == 0);
         mb *= 2) {
      if (options.progress)
        options.progress("planning pp=" + std::to_string(devices / tp) + " tp=" +
                         std::to_string(tp) + " microbatches=" + std::to_string(mb));
      CompileOptions plan = options;
      plan.autoPlan = false;
      plan.explain = true;
      plan.progress = nullptr;
      plan.pp = devices / tp;
      plan.tp = tp;
      plan.microbatches = mb;
      CompileResult planned = compile(plan);
      PlanCandidate c{plan.pp, tp, mb};
      if (!planned.ok()) {
        c.refused = planned.error;
      } else {
        batch = std::max(batch, planned.plan.batch);
        // With --batch-sizes every size runs the plan: microbatches must divide them all.
        for (int64_t size : options.batchSizes)
          batch = std::gcd(batch, size);
        c.batchSeconds = planned.plan.batchSeconds;
        c.bottleneckSeconds = planned.plan.stages[planned.plan.bottleneck].seconds;
        c.peakRankBytes = peakRankBytes(planned.plan);
        c.refused = memoryRefusal(planned.plan, cluster);
      }
      candidates.push_back(c);
      explanations.push_back(std::move(planned.explain));
    }
  }

  // Feasible plans best first (ties: fewer stages, then fewer microbatches), then the rest.
  std::vector<size_t> order(candidates.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const PlanCandidate &x = candidates[a], &y = candidates[b];
    if (x.refused.empty() != y.refused.empty())
      return x.refused.empty();
    if (!x.refused.empty())
      return false;
    if (x.batchSeconds != y.batchSeconds)
      return x.batchSeconds < y.batchSeconds;
    return std::make_pair(x.pp, x.microbatches) < std::make_pair(y.pp, y.microbatches);
  });
  std::vector<PlanCandidate> sorted;
  for (size_t i : order)
    sorted.push_back(candidates[i]);
  if (sorted.empty() || !sorted.front().refused.empty()) {
    // Every plan refused. One reason for all (a model that cannot be read or imported) is
    // that reason alone; otherwise the first plan tried says why (usually the memory).
    bool oneReason = std::all_of(candidates.begin(), candidates.end(), [&](const PlanCandidate &c) {
      return c.refused == candidates.front().refused;
    });
    if (sorted.empty())
      result.error = "no plan to try";
    else if (oneReason)
      result.error = candidates.front().refused;
    else
      result.error = "no plan of pp x tp x microbatches is feasible; " +
                     planName(candidates.front()) + ": " + candidates.front().refused;
    return result;
  }

  if (options.explain) {
    result.candidates = sorted;
    result.explain = report(sorted, cluster.devices.size()) + explanations[order.front()];
    return result;
  }
  // The best plan that compiles: one the estimate admitted may still fail the exact
  // per-rank memory check.
  for (size_t i = 0; i < sorted.size() && sorted[i].refused.empty(); ++i) {
    CompileOptions chosen = options;
    chosen.autoPlan = false;
    chosen.pp = sorted[i].pp;
    chosen.tp = sorted[i].tp;
    chosen.microbatches = sorted[i].microbatches;
    if (options.progress)
      options.progress("compiling the chosen plan, " + planName(sorted[i]));
    CompileResult compiled = compile(chosen);
    if (compiled.ok()) {
      if (i > 0)
        std::rotate(sorted.begin(), sorted.begin() + i, sorted.begin() + i + 1);
      compiled.candidates = std::move(sorted);
      return compiled;
    }
    sorted[i].refused = compiled.error;
    if (i == 0)
      result.error = compiled.error;
  }
  return result;
}
