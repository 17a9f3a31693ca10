//===- generate.cc - Token generation over a --generate artifact ----------===//
//
// One Generator per rank. On a plan of several ranks every rank runs its
// stage of each step through its Session (the plan's own transfers and
// collectives); the ranks of each stage that reads a cache tensor hold it
// (with --generate, a pipeline's stages take their own layers' caches); the
// first rank of the stage writing the logits picks the tokens and sends them
// to every other rank, which all keep the same bookkeeping. A cache held by a
// rank whose stage does not compute its new rows (a plan whose stage 0 takes
// every input) gets them from the stage that does.
//
//===----------------------------------------------------------------------===//

#include "cleave/generate.h"

#include "comm/transport.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

namespace cleave {

namespace {

/// splitmix64: a small, well-mixed generator whose whole state is one word,
/// so that a sequence's draws depend only on its seed.
uint64_t nextRandom(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// What each input or output of the plan is in generation.
enum class Role { Ids, Mask, Positions, Past, Logits, Present, Other };

} // namespace

int64_t pickToken(const float *logits, int64_t vocab,
                  const SamplingOptions &options, uint64_t *state) {
  if (options.temperature <= 0) {
    int64_t best = 0;
    for (int64_t i = 1; i < vocab; ++i)
      if (logits[i] > logits[best])
        best = i;
    return best;
  }
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; ties keep the lower id first, so the order is fixed.
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return logits[a] > logits[b];
  });
  int64_t keep = vocab;
  if (options.topK > 0)
    keep = std::min(keep, options.topK);
  std::vector<double> probs(keep);
  double top = logits[order[0]] / options.temperature, sum = 0;
  for (int64_t i = 0; i < keep; ++i)
    sum += probs[i] = std::exp(logits[order[i]] / options.temperature - top);
  if (options.topP < 1) {
    double mass = 0;
    for (int64_t i = 0; i < keep; ++i) {
      mass += probs[i] / sum;
      if (mass >= options.topP) {
        keep = i + 1;
        break;
      }
    }
    sum = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
  }
  double u = static_cast<double>(nextRandom(state) >> 11) * 0x1.0p-53 * sum;
  for (int64_t i = 0; i < keep; ++i) {
    u -= probs[i];
    if (u < 0)
      return order[i];
  }
  return order[keep - 1];
}

/// The penalty on the logit of each id of `distinct` (no id twice). In float,
/// as torch computes on float32 logits.
static void penalizeDistinct(float *logits, const std::vector<int64_t> &distinct,
                             double penalty) {
  const float r = static_cast<float>(penalty);
  for (int64_t id : distinct) {
    float &v = logits[id];
    v = v < 0 ? v * r : v / r;
  }
}

void applyRepetitionPenalty(float *logits, const std::vector<int64_t> &seen,
                            double penalty) {
  if (penalty == 1)
    return;
  // An id seen twice is penalised once (Hugging Face gathers, then scatters
  // the same value).
  std::vector<int64_t> ids(seen);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  penalizeDistinct(logits, ids, penalty);
}

namespace {

/// How many of the last new tokens the stop that ends the sequence spans: 0
/// when `generated` (after `prompt`) goes on; 1 for a stop token; for a stop
/// sequence, the part of it among the new tokens.
int64_t stopSpan(const GenerateOptions &options, const std::vector<int64_t> &prompt,
                 const std::vector<int64_t> &generated) {
  if (generated.empty())
    return 0;
  if (std::find(options.stopIds.begin(), options.stopIds.end(), generated.back()) !=
      options.stopIds.end())
    return 1;
  const size_t total = prompt.size() + generated.size();
  auto at = [&](size_t i) {
    return i < prompt.size() ? prompt[i] : generated[i - prompt.size()];
  };
  for (const std::vector<int64_t> &stop : options.stopSequences) {
    if (stop.size() > total)
      continue;
    bool match = true;
    for (size_t i = 0; i < stop.size() && match; ++i)
      match = at(total - stop.size() + i) == stop[i];
    if (match)
      return static_cast<int64_t>(std::min(stop.size(), generated.size()));
  }
  return 0;
}

/// For the repetition penalty: each id of a sequence (prompt and new tokens)
/// once, kept up to date as tokens come.
struct SeenIds {
  std::vector<int64_t> ids;
  std::vector<char> marked;
  void reset(int64_t vocab, const std::vector<int64_t> &prompt) {
    ids.clear();
    marked.assign(vocab, 0);
    for (int64_t id : prompt)
      add(id);
  }
  void add(int64_t id) {
    if (!marked[id]) {
      marked[id] = 1;
      ids.push_back(id);
    }
  }
};

} // namespace

struct Generator::Impl {
  std::shared_ptr<const Artifact> plan;
  std::unique_ptr<Session> session;
  const GenerationDesc *contract = nullptr;
  int64_t batch = 0, vocab = 0, capacity = 0;
  std::vector<Role> inputRoles;
  /// Allocated where used: the inputs (caches included) on first-stage ranks;
  /// the outputs on last-stage ranks and, for the new cache rows the last
  /// stage sends back, on first-stage ranks.
  std::vector<Tensor> inputs, outputs;
  /// Per cache tensor: the input index of its past and the output index of its
  /// present.
  std::vector<std::pair<size_t, size_t>> cache;
  std::vector<bool> transposed;
  size_t ids = 0, mask = 0, positions = SIZE_MAX, logits = 0;

  /// Distributed plans only: a communicator of the generator's own over the
  /// job (rank numbers as the job's), for the tokens and rows sent back.
  std::shared_ptr<Transport> job;
  int rank = 0;
  /// Per input and output: whether this rank's stage reads or writes it.
  std::vector<bool> reads, writes;
  /// This rank's stage reads some inputs (feeds the step), writes some
  /// outputs; this rank picks the tokens (the first rank of the stage that
  /// writes the logits).
  bool feeds = true, last = true, picks = true;
  int picker = 0;
  /// The picker's peers: every other rank, which gets the tokens.
  std::vector<int> peers;
  /// Per cache tensor: the rank this rank receives its new rows from (-1:
  /// none, computed here or not held here), and the ranks this rank sends
  /// them to (it is the first rank of the stage computing them and they hold
  /// the past without computing the present).
  std::vector<int> rowsFrom;
  std::vector<std::vector<int>> rowsTo;
  /// A step failed after the steps began: peers may wait on this rank.
  bool broken = false;
  /// The sequences of the last generate() call.
  int64_t sequences = 0;

  /// Continuous batching: what each row of the batch holds.
  struct Slot {
    bool busy = false;
    std::vector<int64_t> prompt, generated;
    GenerateOptions options;
    int64_t pos = 0, next = 0;
    uint64_t rng = 0;
    SeenIds seen;
  };
  std::vector<Slot> slots;
  /// The rows' inputs are set up for slots (not left by generate()).
  bool slotRowsReady = false;
  std::vector<float> scratch;

  /// Writes row `s` of every cache tensor's new rows (the step's present)
  /// into position `pos` of the cache (a row, or for a transposed cache a
  /// column), on the ranks holding it.
  void writeCacheRows(int64_t s, int64_t pos) {
    for (size_t c = 0; c < cache.size(); ++c) {
      if (!reads[cache[c].first])
        continue;
      Tensor &past = inputs[cache[c].first];
      const Tensor &row = outputs[cache[c].second];
      const int64_t heads = past.shape()[1], width = row.shape()[3];
      const size_t element = dtypeSize(past.dtype());
      auto *dst = static_cast<uint8_t *>(past.data());
      auto *src = static_cast<const uint8_t *>(row.data());
      for (int64_t h = 0; h < heads; ++h) {
        const uint8_t *from = src + (s * heads + h) * width * element;
        uint8_t *head = dst + (s * heads + h) * width * capacity * element;
        if (!transposed[c]) {
          std::memcpy(head + pos * width * element, from, width * element);
          continue;
        }
        // [head_dim, capacity]: the row becomes column pos.
        for (int64_t d = 0; d < width; ++d)
          std::memcpy(head + (d * capacity + pos) * element, from + d * element, element);
      }
    }
  }
};

namespace {

/// Picks a sequence's next token from its `row` of logits, after the
/// repetition penalty over `seen` (null: none) in `scratch`; adds the token to
/// `seen`.
int64_t pickWithPenalty(const float *row, int64_t vocab, const SamplingOptions &sampling,
                        SeenIds *seen, std::vector<float> *scratch, uint64_t *rng) {
  if (seen) {
    // The penalty looks at the whole sequence so far: prompt and new tokens.
    scratch->assign(row, row + vocab);
    penalizeDistinct(scratch->data(), seen->ids, sampling.repetitionPenalty);
    row = scratch->data();
  }
  int64_t token = pickToken(row, vocab, sampling, rng);
  if (seen)
    seen->add(token);
  return token;
}

} // namespace

Generator::~Generator() = default;

int64_t Generator::vocabSize() const { return impl_->vocab; }
int64_t Generator::maxSeqLen() const { return impl_->capacity; }
bool Generator::jobBroken() const { return impl_->broken; }

namespace {

/// "1 rank", "2 ranks".
std::string rankCount(int64_t count) {
  return std::to_string(count) + (count == 1 ? " rank" : " ranks");
}

/// FNV-1a over 64-bit words: what each rank was asked to do, compared across
/// ranks.
struct Fingerprint {
  uint64_t hash = 0xcbf29ce484222325ull;
  void add(uint64_t word) {
    for (int i = 0; i < 8; ++i) {
      hash ^= (word >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  }
  void add(double value) {
    uint64_t word = 0;
    std::memcpy(&word, &value, sizeof(word));
    add(word);
  }
  void add(const std::vector<int64_t> &ids) {
    add(static_cast<uint64_t>(ids.size()));
    for (int64_t id : ids)
      add(static_cast<uint64_t>(id));
  }
};

/// Every rank's `value`: ok when they are all equal, else the same failure
/// on every rank naming the first rank that differs from rank 0 and `what`.
Status agreeOnValue(Transport &job, uint64_t value, const std::string &what) {
  std::vector<uint64_t> all(job.size());
  Status gathered = job.allGather(&value, all.data(), sizeof(value));
  if (!gathered.ok())
    return gathered;
  for (size_t r = 1; r < all.size(); ++r)
    if (all[r] != all[0])
      return invalidArgumentError("rank " + std::to_string(r) + " was given " + what +
                                  " other than rank 0's (every rank must run the same command "
                                  "line)");
  return Status();
}

} // namespace

StatusOr<std::unique_ptr<Generator>>
Generator::create(std::shared_ptr<const Artifact> artifact, int64_t sequences,
                  const SessionOptions &options) {
  const GenerationDesc *contract = artifact->generation();
  if (!contract)
    return failedPreconditionError(
        "'" + artifact->path() +
        "' was not compiled for generation (cleave-compile --generate --max-seq-len=L)");
  const int jobSize = options.transport ? options.transport->size() : 1;
  if (artifact->ranks() != jobSize) {
    if (jobSize == 1)
      return failedPreconditionError("'" + artifact->path() + "': the plan needs " +
                                     rankCount(artifact->ranks()) + ": run it as mpirun -np " +
                                     std::to_string(artifact->ranks()) + " ...");
    return failedPreconditionError("'" + artifact->path() + "': the plan needs " +
                                   rankCount(artifact->ranks()) + ", the job has " +
                                   std::to_string(jobSize));
  }
  std::shared_ptr<Transport> job;
  if (jobSize > 1) {
    // Collective; nothing a rank alone may fail comes before it.
    StatusOr<std::shared_ptr<Transport>> split =
        options.transport->split(0, options.transport->rank());
    if (!split.ok())
      return split.status();
    job = std::move(split).value();
    // Each rank picks its plan from this count: they must agree first.
    Status same = agreeOnValue(*job, static_cast<uint64_t>(sequences), "a number of sequences");
    if (!same.ok())
      return same;
  }
  auto agreed = [&](const Status &local) { return job ? job->agree(local) : local; };

  Status checked;
  int64_t batch = 0;
  std::vector<int64_t> sizes = artifact->batchSizes();
  if (sequences < 1) {
    checked = invalidArgumentError("no sequence to generate");
  } else {
    for (int64_t size : sizes)
      if (size >= sequences) {
        batch = size;
        break;
      }
    if (batch == 0)
      checked = invalidArgumentError(
          std::to_string(sequences) + " sequences, but the largest plan of '" +
          artifact->path() + "' takes " +
          std::to_string(sizes.empty() ? 0 : sizes.back()) +
          " (compile with --batch-sizes to run more at once)");
  }
  if (!checked.ok())
    return checked;
  StatusOr<std::shared_ptr<const Artifact>> plan =
      Artifact::forBatch(artifact, batch);
  if (!plan.ok())
    return plan.status();

  auto impl = std::make_unique<Impl>();
  impl->plan = *plan;
  impl->contract = contract;
  impl->batch = batch;
  impl->capacity = contract->maxSeqLen;
  impl->job = job;
  const Artifact &p = **plan;
  int lastId = 0;
  for (const StageDesc &stage : p.stages())
    lastId = std::max(lastId, stage.id);
  // Which inputs this rank's stage reads and which outputs it writes (one
  // rank: all), and who writes each output: a stage's first rank.
  impl->rank = job ? job->rank() : 0;
  const StageDesc *mine = job ? p.stageOnRank(impl->rank) : &p.stages().front();
  auto has = [](const StageDesc *stage, StageArg::Kind kind, const std::string &name) {
    if (stage)
      for (const StageArg &arg : stage->args)
        if (arg.kind == kind && arg.name == name)
          return true;
    return false;
  };
  auto leader = [](const StageDesc &stage) {
    return stage.group.empty() ? stage.rank : stage.group.front();
  };
  auto writer = [&](const std::string &output) {
    for (const StageDesc &stage : p.stages())
      if (has(&stage, StageArg::Kind::Output, output))
        return leader(stage);
    return -1;
  };
  for (const TensorDesc &desc : p.inputs())
    impl->reads.push_back(has(mine, StageArg::Kind::Input, desc.name));
  for (const TensorDesc &desc : p.outputs())
    impl->writes.push_back(has(mine, StageArg::Kind::Output, desc.name));
  impl->feeds = std::find(impl->reads.begin(), impl->reads.end(), true) != impl->reads.end();
  impl->last = std::find(impl->writes.begin(), impl->writes.end(), true) != impl->writes.end();
  impl->picker = writer(contract->logits);
  impl->picks = impl->rank == impl->picker;
  if (job)
    for (int r = 0; r < job->size(); ++r)
      if (r != impl->picker)
        impl->peers.push_back(r);
  for (size_t i = 0; i < p.inputs().size(); ++i) {
    const std::string &name = p.inputs()[i].name;
    Role role = Role::Other;
    if (name == contract->inputIds)
      role = Role::Ids, impl->ids = i;
    else if (name == contract->attentionMask)
      role = Role::Mask, impl->mask = i;
    else if (!contract->positionIds.empty() && name == contract->positionIds)
      role = Role::Positions, impl->positions = i;
    else
      for (const GenerationDesc::Cache &c : contract->cache)
        if (c.past == name)
          role = Role::Past;
    if (role == Role::Other)
      checked = failedPreconditionError("input '" + name +
                                        "' has no part in the generation contract");
    impl->inputRoles.push_back(role);
  }
  for (size_t i = 0; i < p.outputs().size(); ++i)
    if (p.outputs()[i].name == contract->logits) {
      impl->logits = i;
      impl->vocab = p.outputs()[i].shape.back();
    }
  // Per cache tensor: the rank holding its past receives the new rows from
  // the stage that computes them when its own stage does not.
  std::vector<bool> rowsHere(p.outputs().size(), false);
  if (checked.ok())
    for (const GenerationDesc::Cache &c : contract->cache) {
      size_t in = 0, out = 0;
      while (p.inputs()[in].name != c.past)
        ++in;
      while (p.outputs()[out].name != c.present)
        ++out;
      impl->cache.push_back({in, out});
      impl->transposed.push_back(c.transposed);
      const int from = writer(c.present);
      impl->rowsFrom.push_back(impl->reads[in] && !impl->writes[out] ? from : -1);
      rowsHere[out] = impl->reads[in];
      std::vector<int> to;
      if (job && impl->rank == from)
        for (int r = 0; r < job->size(); ++r) {
          const StageDesc *stage = p.stageOnRank(r);
          if (has(stage, StageArg::Kind::Input, c.past) &&
              !has(stage, StageArg::Kind::Output, c.present))
            to.push_back(r);
        }
      impl->rowsTo.push_back(std::move(to));
    }
  // Buffers for what this rank reads, writes or receives; the rest stay empty.
  impl->inputs.resize(p.inputs().size());
  impl->outputs.resize(p.outputs().size());
  for (size_t i = 0; i < p.inputs().size() && checked.ok(); ++i)
    if (impl->reads[i]) {
      StatusOr<Tensor> t = Tensor::create(p.inputs()[i].dtype, p.inputs()[i].shape);
      if (!t.ok())
        checked = t.status();
      else
        impl->inputs[i] = std::move(*t);
    }
  for (size_t i = 0; i < p.outputs().size() && checked.ok(); ++i)
    if (impl->writes[i] || rowsHere[i]) {
      StatusOr<Tensor> t = Tensor::create(p.outputs()[i].dtype, p.outputs()[i].shape);
      if (!t.ok())
        checked = t.status();
      else
        impl->outputs[i] = std::move(*t);
    }
  // The input roles depend on the artifact alone: every rank agrees already.
  if (!checked.ok())
    return checked;
  StatusOr<std::unique_ptr<Session>> session = Session::create(*plan, options);
  Status created = agreed(session.status());
  if (!created.ok())
    return created;
  impl->session = std::move(*session);
  impl->slots.resize(batch);
  std::unique_ptr<Generator> generator(new Generator());
  generator->impl_ = std::move(impl);
  return generator;
}

Status Generator::generate(const std::vector<std::vector<int64_t>> &prompts,
                           const GenerateOptions &options,
                           std::vector<std::vector<int64_t>> *tokens,
                           const std::function<void(size_t, int64_t)> &onToken) {
  Impl &m = *impl_;
  Status valid = validate(prompts, options);
  if (m.job) {
    // Every rank checks the same request; a rank given another one fails on
    // every rank before any step.
    valid = m.job->agree(valid);
    if (valid.ok()) {
      Fingerprint f;
      f.add(static_cast<uint64_t>(prompts.size()));
      for (const std::vector<int64_t> &prompt : prompts)
        f.add(prompt);
      f.add(static_cast<uint64_t>(options.maxNewTokens));
      f.add(options.sampling.temperature);
      f.add(static_cast<uint64_t>(options.sampling.topK));
      f.add(options.sampling.topP);
      f.add(options.sampling.seed);
      f.add(options.sampling.repetitionPenalty);
      f.add(options.stopIds);
      f.add(static_cast<uint64_t>(options.stopSequences.size()));
      for (const std::vector<int64_t> &stop : options.stopSequences)
        f.add(stop);
      valid = agreeOnValue(*m.job, f.hash, "prompts or generation options");
    }
  }
  if (!valid.ok())
    return valid;
  Status status = steps(prompts, options, tokens, onToken);
  if (!status.ok() && m.job)
    m.broken = true;
  return status;
}

Status Generator::validate(const std::vector<std::vector<int64_t>> &prompts,
                           const GenerateOptions &options) const {
  const Impl &m = *impl_;
  const int64_t n = static_cast<int64_t>(prompts.size());
  if (n < 1 || n > m.batch)
    return invalidArgumentError(std::to_string(n) + " prompts, but this generator takes 1 to " +
                                std::to_string(m.batch));
  if (options.maxNewTokens < 1)
    return invalidArgumentError("the number of new tokens must be positive, got " +
                                std::to_string(options.maxNewTokens));
  const double penalty = options.sampling.repetitionPenalty;
  if (!(penalty > 0) || std::isinf(penalty))
    return invalidArgumentError("the repetition penalty must be a positive number, got " +
                                std::to_string(penalty));
  for (int64_t id : options.stopIds)
    if (id < 0 || id >= m.vocab)
      return invalidArgumentError("stop token id " + std::to_string(id) +
                                  " is outside the vocabulary [0, " + std::to_string(m.vocab) +
                                  ")");
  for (const std::vector<int64_t> &stop : options.stopSequences) {
    if (stop.empty())
      return invalidArgumentError("a stop sequence is empty");
    for (int64_t id : stop)
      if (id < 0 || id >= m.vocab)
        return invalidArgumentError("stop sequence token id " + std::to_string(id) +
                                    " is outside the vocabulary [0, " +
                                    std::to_string(m.vocab) + ")");
  }
  for (int64_t s = 0; s < n; ++s) {
    const std::vector<int64_t> &prompt = prompts[s];
    std::string which = "prompt " + std::to_string(s + 1);
    if (prompt.empty())
      return invalidArgumentError(which + " is empty");
    for (int64_t id : prompt)
      if (id < 0 || id >= m.vocab)
        return invalidArgumentError(which + ": token id " + std::to_string(id) +
                                    " is outside the vocabulary [0, " +
                                    std::to_string(m.vocab) + ")");
    if (static_cast<int64_t>(prompt.size()) + options.maxNewTokens > m.capacity)
      return invalidArgumentError(
          which + " has " + std::to_string(prompt.size()) + " tokens: with " +
          std::to_string(options.maxNewTokens) + " new tokens it needs " +
          std::to_string(prompt.size() + options.maxNewTokens) +
          " positions, more than the cache's " + std::to_string(m.capacity) +
          " (--max-seq-len)");
  }
  return Status();
}

Status Generator::steps(const std::vector<std::vector<int64_t>> &prompts,
                        const GenerateOptions &options,
                        std::vector<std::vector<int64_t>> *tokens,
                        const std::function<void(size_t, int64_t)> &onToken) {
  Impl &m = *impl_;
  const int64_t n = static_cast<int64_t>(prompts.size());
  m.sequences = n;
  const int64_t width = m.capacity + 1;
  // generate() starts from an empty cache: no slot holds a sequence after it.
  for (Impl::Slot &slot : m.slots)
    slot.busy = false;
  m.slotRowsReady = false;
  int64_t *ids = nullptr, *mask = nullptr, *positions = nullptr;
  // A fresh cache, every slot masked: on the ranks whose stage reads them.
  for (auto &[in, out] : m.cache)
    if (m.reads[in])
      std::memset(m.inputs[in].data(), 0, m.inputs[in].byteSize());
  if (m.reads[m.ids])
    ids = m.inputs[m.ids].dataAs<int64_t>();
  if (m.positions != SIZE_MAX && m.reads[m.positions])
    positions = m.inputs[m.positions].dataAs<int64_t>();
  if (m.reads[m.mask]) {
    mask = m.inputs[m.mask].dataAs<int64_t>();
    std::fill(mask, mask + m.batch * width, 0);
    for (int64_t b = 0; b < m.batch; ++b)
      mask[b * width + m.capacity] = 1; // the new token's own column
  }

  tokens->assign(n, {});
  // A sequence is done after maxNewTokens new tokens or a stop token.
  std::vector<char> done(n, 0);
  const bool penalize = m.picks && options.sampling.repetitionPenalty != 1;
  std::vector<float> scratch(penalize ? m.vocab : 0);
  // For the penalty, per sequence: each id of the prompt and the new tokens
  // once, kept up to date as tokens come.
  std::vector<SeenIds> seen(penalize ? n : 0);
  std::vector<int64_t> pos(n, 0), next(n);
  std::vector<uint64_t> rng(n);
  for (int64_t s = 0; s < n; ++s) {
    next[s] = prompts[s][0];
    rng[s] = options.sampling.seed + static_cast<uint64_t>(s);
    if (penalize)
      seen[s].reset(m.vocab, prompts[s]);
  }
  // A stage passes every input (or output) if it reads (writes) any, those
  // it does not as empty views; a stage that reads (writes) none passes none.
  std::vector<TensorView> inputViews;
  std::vector<MutableTensorView> outputViews;
  for (size_t i = 0; i < m.inputs.size() && m.feeds; ++i)
    inputViews.push_back(m.reads[i] ? TensorView(m.inputs[i]) : TensorView());
  for (size_t i = 0; i < m.outputs.size() && m.last; ++i)
    outputViews.push_back(m.writes[i] ? MutableTensorView(m.outputs[i]) : MutableTensorView());
  // Per sequence, the token this step picked (-1: none, the prompt goes on).
  std::vector<int64_t> picked(n, -1);

  while (true) {
    bool active = false;
    for (int64_t s = 0; s < n; ++s)
      active |= !done[s];
    if (!active)
      break;
    auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < m.batch; ++b) {
      bool live = b < n && !done[b];
      if (ids)
        ids[b] = live ? next[b] : 0;
      if (positions)
        positions[b] = live ? pos[b] : 0;
    }
    Status status = m.session->run(inputViews, outputViews);
    if (!status.ok())
      return status;
    if (m.picks) {
      const float *logits = m.outputs[m.logits].dataAs<float>();
      for (int64_t s = 0; s < n; ++s) {
        picked[s] = -1;
        if (done[s] || pos[s] + 1 < static_cast<int64_t>(prompts[s].size()))
          continue;
        picked[s] = pickWithPenalty(logits + s * m.vocab, m.vocab, options.sampling,
                                    penalize ? &seen[s] : nullptr, &scratch, &rng[s]);
      }
    }
    if (m.job) {
      status = exchange(picked);
      if (!status.ok())
        return status;
    }
    for (int64_t s = 0; s < n; ++s) {
      if (done[s])
        continue;
      // The new token's rows go into its slot of every cache tensor, which the
      // next steps attend to.
      m.writeCacheRows(s, pos[s]);
      if (mask)
        mask[s * width + pos[s]] = 1;
      ++pos[s];
      if (pos[s] < static_cast<int64_t>(prompts[s].size())) {
        next[s] = prompts[s][pos[s]];
        continue;
      }
      int64_t token = picked[s];
      (*tokens)[s].push_back(token);
      next[s] = token;
      if (static_cast<int64_t>((*tokens)[s].size()) >= options.maxNewTokens ||
          stopSpan(options, prompts[s], (*tokens)[s]) > 0)
        done[s] = 1;
      if (onToken)
        onToken(static_cast<size_t>(s), token);
    }
    stepSeconds_.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Status();
}

int64_t Generator::slots() const { return impl_->batch; }

bool Generator::slotFree(int64_t slot) const {
  return slot < 0 || slot >= impl_->batch || !impl_->slots[slot].busy;
}

Status Generator::check(const std::vector<int64_t> &prompt,
                        const GenerateOptions &options) const {
  return validate({prompt}, options);
}

Status Generator::join(int64_t slot, const std::vector<int64_t> &prompt,
                       const GenerateOptions &options) {
  Impl &m = *impl_;
  if (m.job)
    return failedPreconditionError(
        "sequences joining a running batch need a plan on one rank (this one has " +
        rankCount(m.job->size()) + ")");
  if (slot < 0 || slot >= m.batch)
    return invalidArgumentError("slot " + std::to_string(slot) + " is outside the batch of " +
                                std::to_string(m.batch));
  if (m.slots[slot].busy)
    return failedPreconditionError("slot " + std::to_string(slot) + " holds a sequence");
  Status valid = check(prompt, options);
  if (!valid.ok())
    return valid;
  const int64_t width = m.capacity + 1;
  int64_t *mask = m.inputs[m.mask].dataAs<int64_t>();
  if (!m.slotRowsReady) {
    // Every row attends at least to its own new token, so that a free row's
    // step stays finite (its logits are not read).
    std::fill(mask, mask + m.batch * width, 0);
    for (int64_t b = 0; b < m.batch; ++b)
      mask[b * width + m.capacity] = 1;
    m.slotRowsReady = true;
  }
  // The slot's rows of the cache start empty and masked, as generate()'s do.
  for (auto &[in, out] : m.cache) {
    Tensor &past = m.inputs[in];
    const size_t rowBytes = past.byteSize() / static_cast<size_t>(m.batch);
    std::memset(static_cast<uint8_t *>(past.data()) + slot * rowBytes, 0, rowBytes);
  }
  std::fill(mask + slot * width, mask + slot * width + m.capacity, 0);
  Impl::Slot &state = m.slots[slot];
  state.busy = true;
  state.prompt = prompt;
  state.generated.clear();
  state.options = options;
  state.pos = 0;
  state.next = prompt[0];
  state.rng = options.sampling.seed; // as sequence 0 of a generate() call
  if (options.sampling.repetitionPenalty != 1)
    state.seen.reset(m.vocab, prompt);
  return Status();
}

void Generator::leave(int64_t slot) {
  if (slot >= 0 && slot < impl_->batch)
    impl_->slots[slot].busy = false;
}

Status Generator::step(std::vector<SlotToken> *tokens) {
  Impl &m = *impl_;
  bool any = false;
  for (const Impl::Slot &slot : m.slots)
    any |= slot.busy;
  if (!any)
    return Status();
  auto start = std::chrono::steady_clock::now();
  int64_t *ids = m.inputs[m.ids].dataAs<int64_t>();
  int64_t *positions =
      m.positions != SIZE_MAX ? m.inputs[m.positions].dataAs<int64_t>() : nullptr;
  int64_t *mask = m.inputs[m.mask].dataAs<int64_t>();
  for (int64_t b = 0; b < m.batch; ++b) {
    const Impl::Slot &slot = m.slots[b];
    ids[b] = slot.busy ? slot.next : 0;
    if (positions)
      positions[b] = slot.busy ? slot.pos : 0;
  }
  std::vector<TensorView> inputViews;
  std::vector<MutableTensorView> outputViews;
  for (const Tensor &t : m.inputs)
    inputViews.push_back(TensorView(t));
  for (Tensor &t : m.outputs)
    outputViews.push_back(MutableTensorView(t));
  Status status = m.session->run(inputViews, outputViews);
  if (!status.ok())
    return status;
  const float *logits = m.outputs[m.logits].dataAs<float>();
  const int64_t width = m.capacity + 1;
  for (int64_t b = 0; b < m.batch; ++b) {
    Impl::Slot &slot = m.slots[b];
    if (!slot.busy)
      continue;
    m.writeCacheRows(b, slot.pos);
    mask[b * width + slot.pos] = 1;
    ++slot.pos;
    if (slot.pos < static_cast<int64_t>(slot.prompt.size())) {
      slot.next = slot.prompt[slot.pos];
      continue;
    }
    const bool penalize = slot.options.sampling.repetitionPenalty != 1;
    int64_t token = pickWithPenalty(logits + b * m.vocab, m.vocab, slot.options.sampling,
                                    penalize ? &slot.seen : nullptr, &m.scratch, &slot.rng);
    slot.generated.push_back(token);
    slot.next = token;
    SlotToken out;
    out.slot = b;
    out.token = token;
    out.stopTokens = stopSpan(slot.options, slot.prompt, slot.generated);
    out.stopped = out.stopTokens > 0;
    out.finished = out.stopped ||
                   static_cast<int64_t>(slot.generated.size()) >= slot.options.maxNewTokens;
    if (out.finished)
      slot.busy = false;
    tokens->push_back(out);
  }
  stepSeconds_.push_back(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return Status();
}

Status Generator::exchange(std::vector<int64_t> &picked) {
  Impl &m = *impl_;
  Transport &job = *m.job;
  const size_t tokenBytes = picked.size() * sizeof(int64_t);
  std::vector<TransportRequest> requests;
  auto post = [&](StatusOr<TransportRequest> request) {
    if (!request.ok())
      return request.status();
    requests.push_back(*request);
    return Status();
  };
  Status status;
  // The tokens, from the picker to every other rank (tag 0); the caches' new
  // rows, from the stage computing them to ranks holding the cache without
  // computing them (tag 1 + the cache tensor's index).
  if (m.picks)
    for (int peer : m.peers)
      if (status.ok())
        status = post(job.send(picked.data(), tokenBytes, peer, 0));
  if (!m.picks && status.ok())
    status = post(job.recv(picked.data(), tokenBytes, m.picker, 0));
  for (size_t c = 0; c < m.cache.size() && status.ok(); ++c) {
    Tensor &row = m.outputs[m.cache[c].second];
    for (int peer : m.rowsTo[c])
      if (status.ok())
        status = post(job.send(row.data(), row.byteSize(), peer, static_cast<int>(1 + c)));
    if (m.rowsFrom[c] >= 0 && status.ok())
      status = post(
          job.recv(row.data(), row.byteSize(), m.rowsFrom[c], static_cast<int>(1 + c)));
  }
  for (TransportRequest request : requests) {
    Status done = job.wait(request);
    if (status.ok() && !done.ok())
      status = done;
  }
  if (!status.ok())
    return Status(status.code(), "sending the tokens and cache rows of a step: " +
                                     status.message());
  return Status();
}

Status Generator::explainSync(std::string *text) {
  Impl &m = *impl_;
  text->clear();
  const Artifact &p = *m.plan;
  const int ranks = m.job ? m.job->size() : 1;
  // Per rank: stage id, runs, all-reduces and their bytes, all-gathers and
  // their bytes; each rank fills its own row, one sum gathers them.
  constexpr int kFields = 8;
  std::vector<double> rows(static_cast<size_t>(kFields) * ranks, 0.0);
  const StageProfile &profile = m.session->profile();
  double *row = &rows[static_cast<size_t>(kFields) * m.rank];
  row[0] = m.session->stage().id;
  row[1] = profile.runs;
  row[2] = static_cast<double>(profile.allReduces);
  row[3] = static_cast<double>(profile.allReduceBytes);
  row[4] = static_cast<double>(profile.allGathers);
  row[5] = static_cast<double>(profile.allGatherBytes);
  for (size_t c = 0; c < m.cache.size(); ++c) {
    row[6] += static_cast<double>(m.rowsTo[c].size());
    row[7] += static_cast<double>(m.rowsTo[c].size() * m.plan->outputs()[m.cache[c].second].byteSize());
  }
  if (m.job) {
    Status summed = m.job->allReduceSum(rows.data(), rows.data(), rows.size(), DType::Float64);
    if (!summed.ok())
      return summed;
  }
  if (m.rank != 0)
    return Status();
  auto num = [](double value) { return std::to_string(static_cast<long long>(value)); };
  auto group = [](const StageDesc &stage) {
    std::string list;
    for (int r : stage.group.empty() ? std::vector<int>{stage.rank} : stage.group)
      list += (list.empty() ? "" : ",") + std::to_string(r);
    return list;
  };
  std::vector<const StageDesc *> stages; // one per stage id, in order
  for (const StageDesc &stage : p.stages()) {
    if (stage.id >= static_cast<int>(stages.size()))
      stages.resize(stage.id + 1, nullptr);
    if (!stages[stage.id])
      stages[stage.id] = &stage;
  }
  std::string out = "per-token synchronisation: " + std::to_string(stages.size()) +
                    " stage(s) on " + rankCount(ranks) + ", batch " +
                    std::to_string(m.batch) + " (" + std::to_string(m.sequences) +
                    " sequence(s) in flight), " + std::to_string(p.microbatches()) +
                    " microbatch(es) per step; per step:\n";
  for (const StageDesc *stage : stages) {
    if (!stage)
      continue;
    const size_t width = stage->group.empty() ? 1 : stage->group.size();
    int64_t count = 0, bytes = 0, largest = 0;
    std::string largestName;
    int to = -1;
    for (const StageArg &arg : stage->args) {
      if (arg.kind != StageArg::Kind::Send)
        continue;
      int64_t size = static_cast<int64_t>(TensorDesc{arg.name, arg.dtype, arg.shape}.byteSize());
      ++count;
      bytes += size;
      to = arg.peer;
      if (size > largest)
        largest = size, largestName = arg.name;
    }
    if (count > 0)
      out += "  stage " + std::to_string(stage->id) + " -> stage " + std::to_string(to) +
             " (ranks " + group(*stage) + " -> " +
             (stages.size() > static_cast<size_t>(to) && stages[to] ? group(*stages[to]) : "?") +
             "): " + std::to_string(count) + " tensor(s), " +
             std::to_string(bytes * p.microbatches()) + " bytes from each rank (largest '" +
             largestName + "', " + std::to_string(largest * p.microbatches()) + " bytes)\n";
    if (width > 1) {
      double runs = 0, reduces = 0, reduceBytes = 0, gathers = 0, gatherBytes = 0;
      for (int r = 0; r < ranks; ++r) {
        const double *rr = &rows[static_cast<size_t>(kFields) * r];
        if (static_cast<int>(rr[0]) != stage->id)
          continue;
        runs += rr[1], reduces += rr[2], reduceBytes += rr[3], gathers += rr[4],
            gatherBytes += rr[5];
      }
      if (runs > 0)
        out += "  stage " + std::to_string(stage->id) + " tensor-parallel on ranks " +
               group(*stage) + ": " + num(reduces / runs) + " all-reduce(s), " +
               num(reduceBytes / runs) + " bytes from each rank; " + num(gathers / runs) +
               " all-gather(s), " + num(gatherBytes / runs) + " bytes from each rank\n";
    }
  }
  const int64_t tokenBytes = m.sequences * static_cast<int64_t>(sizeof(int64_t));
  double rowTensors = 0, rowBytesSent = 0;
  for (int r = 0; r < ranks; ++r) {
    rowTensors += rows[static_cast<size_t>(kFields) * r + 6];
    rowBytesSent += rows[static_cast<size_t>(kFields) * r + 7];
  }
  if (ranks == 1) {
    out += "  one rank: no transfer; the token is picked where the logits are\n";
  } else {
    out += "  token back: rank " + std::to_string(m.picker) + " picks each sequence's token once " +
           "and sends " + std::to_string(tokenBytes) + " bytes of token ids to each of the " +
           std::to_string(m.peers.size()) + " other rank(s)";
    // The rows this rank knows of: gathered from every rank's count below.
    if (rowTensors > 0)
      out += "; the caches' new rows go from the stage computing them to the ranks holding "
             "the caches: " + num(rowTensors) + " tensor(s), " + num(rowBytesSent) +
             " bytes in all";
    out += "\n";
  }
  *text = std::move(out);
  return Status();
}

} // namespace cleave
