//===- generate.cc - Token generation over a --generate artifact ----------===//

#include "cleave/generate.h"

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

/// Whether prompt followed by generated ends with one of `stops`.
bool endsWithStop(const std::vector<int64_t> &prompt, const std::vector<int64_t> &generated,
                  const std::vector<std::vector<int64_t>> &stops) {
  const size_t total = prompt.size() + generated.size();
  auto at = [&](size_t i) {
    return i < prompt.size() ? prompt[i] : generated[i - prompt.size()];
  };
  for (const std::vector<int64_t> &stop : stops) {
    if (stop.size() > total)
      continue;
    bool match = true;
    for (size_t i = 0; i < stop.size() && match; ++i)
      match = at(total - stop.size() + i) == stop[i];
    if (match)
      return true;
  }
  return false;
}

} // namespace

struct Generator::Impl {
  std::shared_ptr<const Artifact> plan;
  std::unique_ptr<Session> session;
  const GenerationDesc *contract = nullptr;
  int64_t batch = 0, vocab = 0, capacity = 0;
  std::vector<Role> inputRoles, outputRoles;
  std::vector<Tensor> inputs, outputs;
  /// Per cache tensor: the input index of its past and the output index of its
  /// present.
  std::vector<std::pair<size_t, size_t>> cache;
  std::vector<bool> transposed;
  size_t ids = 0, mask = 0, positions = SIZE_MAX, logits = 0;
};

Generator::~Generator() = default;

int64_t Generator::vocabSize() const { return impl_->vocab; }
int64_t Generator::maxSeqLen() const { return impl_->capacity; }

StatusOr<std::unique_ptr<Generator>>
Generator::create(std::shared_ptr<const Artifact> artifact, int64_t sequences,
                  const SessionOptions &options) {
  const GenerationDesc *contract = artifact->generation();
  if (!contract)
    return failedPreconditionError(
        "'" + artifact->path() +
        "' was not compiled for generation (cleave-compile --generate --max-seq-len=L)");
  if (artifact->ranks() != 1)
    return unimplementedError("'" + artifact->path() + "' runs on " +
                              std::to_string(artifact->ranks()) +
                              " ranks: generation runs on one rank for now");
  if (sequences < 1)
    return invalidArgumentError("no sequence to generate");
  std::vector<int64_t> sizes = artifact->batchSizes();
  int64_t batch = 0;
  for (int64_t size : sizes)
    if (size >= sequences) {
      batch = size;
      break;
    }
  if (batch == 0)
    return invalidArgumentError(
        std::to_string(sequences) + " sequences, but the largest plan of '" +
        artifact->path() + "' takes " +
        std::to_string(sizes.empty() ? 0 : sizes.back()) +
        " (compile with --batch-sizes to run more at once)");
  StatusOr<std::shared_ptr<const Artifact>> plan =
      Artifact::forBatch(artifact, batch);
  if (!plan.ok())
    return plan.status();

  auto impl = std::make_unique<Impl>();
  impl->plan = *plan;
  impl->contract = contract;
  impl->batch = batch;
  impl->capacity = contract->maxSeqLen;
  const Artifact &p = **plan;
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
      return failedPreconditionError("input '" + name +
                                     "' has no part in the generation contract");
    impl->inputRoles.push_back(role);
    StatusOr<Tensor> t = Tensor::create(p.inputs()[i].dtype, p.inputs()[i].shape);
    if (!t.ok())
      return t.status();
    impl->inputs.push_back(std::move(*t));
  }
  for (size_t i = 0; i < p.outputs().size(); ++i) {
    const TensorDesc &desc = p.outputs()[i];
    if (desc.name == contract->logits) {
      impl->logits = i;
      impl->vocab = desc.shape.back();
    }
    StatusOr<Tensor> t = Tensor::create(desc.dtype, desc.shape);
    if (!t.ok())
      return t.status();
    impl->outputs.push_back(std::move(*t));
  }
  for (const GenerationDesc::Cache &c : contract->cache) {
    size_t in = 0, out = 0;
    while (p.inputs()[in].name != c.past)
      ++in;
    while (p.outputs()[out].name != c.present)
      ++out;
    impl->cache.push_back({in, out});
    impl->transposed.push_back(c.transposed);
  }
  StatusOr<std::unique_ptr<Session>> session = Session::create(*plan, options);
  if (!session.ok())
    return session.status();
  impl->session = std::move(*session);
  std::unique_ptr<Generator> generator(new Generator());
  generator->impl_ = std::move(impl);
  return generator;
}

Status Generator::generate(const std::vector<std::vector<int64_t>> &prompts,
                           const GenerateOptions &options,
                           std::vector<std::vector<int64_t>> *tokens,
                           const std::function<void(size_t, int64_t)> &onToken) {
  Impl &m = *impl_;
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

  // A fresh cache, every slot masked.
  for (auto &[in, out] : m.cache)
    std::memset(m.inputs[in].data(), 0, m.inputs[in].byteSize());
  const int64_t width = m.capacity + 1;
  int64_t *ids = m.inputs[m.ids].dataAs<int64_t>();
  int64_t *mask = m.inputs[m.mask].dataAs<int64_t>();
  int64_t *positions =
      m.positions == SIZE_MAX ? nullptr : m.inputs[m.positions].dataAs<int64_t>();
  std::fill(mask, mask + m.batch * width, 0);
  for (int64_t b = 0; b < m.batch; ++b)
    mask[b * width + m.capacity] = 1; // the new token's own column

  tokens->assign(n, {});
  // A sequence is done after maxNewTokens new tokens or a stop token.
  std::vector<char> done(n, 0);
  const bool penalize = options.sampling.repetitionPenalty != 1;
  std::vector<float> scratch(penalize ? m.vocab : 0);
  // For the penalty, per sequence: each id of the prompt and the new tokens
  // once, kept up to date as tokens come.
  std::vector<std::vector<int64_t>> seen(penalize ? n : 0);
  std::vector<std::vector<char>> marked(penalize ? n : 0);
  auto see = [&](int64_t s, int64_t id) {
    if (!marked[s][id]) {
      marked[s][id] = 1;
      seen[s].push_back(id);
    }
  };
  std::vector<int64_t> pos(n, 0), next(n);
  std::vector<uint64_t> rng(n);
  for (int64_t s = 0; s < n; ++s) {
    next[s] = prompts[s][0];
    rng[s] = options.sampling.seed + static_cast<uint64_t>(s);
    if (penalize) {
      marked[s].assign(m.vocab, 0);
      for (int64_t id : prompts[s])
        see(s, id);
    }
  }
  std::vector<TensorView> inputViews(m.inputs.begin(), m.inputs.end());
  std::vector<MutableTensorView> outputViews(m.outputs.begin(), m.outputs.end());
  const float *logits = m.outputs[m.logits].dataAs<float>();

  while (true) {
    bool active = false;
    for (int64_t s = 0; s < n; ++s)
      active |= !done[s];
    if (!active)
      break;
    auto start = std::chrono::steady_clock::now();
    for (int64_t b = 0; b < m.batch; ++b) {
      bool live = b < n && !done[b];
      ids[b] = live ? next[b] : 0;
      if (positions)
        positions[b] = live ? pos[b] : 0;
    }
    Status status = m.session->run(inputViews, outputViews);
    if (!status.ok())
      return status;
    for (int64_t s = 0; s < n; ++s) {
      if (done[s])
        continue;
      // The new token's rows go into its slot of every cache tensor, which the
      // next steps attend to.
      for (size_t c = 0; c < m.cache.size(); ++c) {
        Tensor &cache = m.inputs[m.cache[c].first];
        const Tensor &row = m.outputs[m.cache[c].second];
        const int64_t heads = cache.shape()[1], width = row.shape()[3];
        const size_t element = dtypeSize(cache.dtype());
        auto *dst = static_cast<uint8_t *>(cache.data());
        auto *src = static_cast<const uint8_t *>(row.data());
        for (int64_t h = 0; h < heads; ++h) {
          const uint8_t *from = src + (s * heads + h) * width * element;
          uint8_t *head = dst + (s * heads + h) * width * m.capacity * element;
          if (!m.transposed[c]) {
            std::memcpy(head + pos[s] * width * element, from, width * element);
            continue;
          }
          // [head_dim, capacity]: the row becomes column pos.
          for (int64_t d = 0; d < width; ++d)
            std::memcpy(head + (d * m.capacity + pos[s]) * element, from + d * element, element);
        }
      }
      mask[s * width + pos[s]] = 1;
      ++pos[s];
      if (pos[s] < static_cast<int64_t>(prompts[s].size())) {
        next[s] = prompts[s][pos[s]];
        continue;
      }
      const float *row = logits + s * m.vocab;
      if (penalize) {
        // The penalty looks at the whole sequence so far: prompt and new tokens.
        std::copy(row, row + m.vocab, scratch.begin());
        penalizeDistinct(scratch.data(), seen[s], penalty);
        row = scratch.data();
      }
      int64_t token = pickToken(row, m.vocab, options.sampling, &rng[s]);
      if (penalize)
        see(s, token);
      (*tokens)[s].push_back(token);
      next[s] = token;
      if (static_cast<int64_t>((*tokens)[s].size()) >= options.maxNewTokens ||
          std::find(options.stopIds.begin(), options.stopIds.end(), token) !=
              options.stopIds.end() ||
          endsWithStop(prompts[s], (*tokens)[s], options.stopSequences))
        done[s] = 1;
      if (onToken)
        onToken(static_cast<size_t>(s), token);
    }
    stepSeconds_.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Status();
}

} // namespace cleave
