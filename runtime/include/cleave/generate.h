//===- generate.h - Token generation over a --generate artifact -----------===//
//
// The generation loop of the runtime: a decoder compiled with
// `cleave-compile --generate` runs one token per sequence per step, the cache
// lives in buffers this loop owns, and the next token is picked here (greedy,
// or sampled with temperature, top-k and top-p from a seed). No LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_GENERATE_H
#define CLEAVE_GENERATE_H

#include "cleave/runtime.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cleave {

/// How the next token is picked from a sequence's logits.
struct SamplingOptions {
  /// 0: greedy (the first token of the largest logit); > 0: sample from
  /// softmax(logits / temperature) after the top-k and top-p filters.
  double temperature = 0;
  /// Keep only the k most likely tokens (0: all).
  int64_t topK = 0;
  /// Keep the most likely tokens whose probabilities sum to at least p (1: all).
  double topP = 1;
  /// Seed of the sampler; one stream per sequence, seeded with seed + its index.
  uint64_t seed = 0;
  /// Hugging Face's repetition penalty, applied before the rest: the logit of
  /// every token already in the sequence (prompt or generated) is divided by
  /// it if positive and multiplied by it if negative (1: none; must be > 0).
  double repetitionPenalty = 1;
};

/// What one generate() call produces.
struct GenerateOptions {
  /// New tokens per sequence, at most.
  int64_t maxNewTokens = 64;
  SamplingOptions sampling;
  /// Stop tokens: a sequence that picks one of them ends there (the stop token
  /// is its last new token, as in Hugging Face's generate); the others go on.
  std::vector<int64_t> stopIds;
  /// Stop sequences: a sequence whose tokens (prompt and new ones) end, after a
  /// new token, with one of these ends there, the match its last new tokens.
  /// Each must be non-empty (a stop text of a byte-level vocabulary).
  std::vector<std::vector<int64_t>> stopSequences;
};

/// Generates tokens for several sequences at once with an artifact compiled
/// with --generate: all sequences are in flight together, one row of the
/// plan's batch each (the smallest batch the artifact has plans for that
/// holds them; unused rows are padding). A prompt is fed one token per step
/// (its logits are not used until its last token), then each new token is fed
/// back. Each step writes the new row of every cache tensor into the cache at
/// the sequence's position: the only cache data moved per token.
///
/// A plan on several ranks (pipeline stages, tensor-parallel groups) runs
/// with one Generator per rank, each created and called with the same
/// arguments and a transport (SessionOptions::transport) over the job: every
/// rank runs its stage of each step; each cache tensor lives on the ranks of
/// the stage that reads it (a pipeline compiled with --generate gives each
/// stage its own layers' caches); the tokens are picked once, by the first
/// rank of the stage writing the logits, which sends them to every other
/// rank; a rank holding a cache its stage does not compute the new rows of
/// receives them from the stage that does. Every rank returns the same
/// tokens. create() and the checks of generate() are
/// collective and agreed: a failure on one rank, or a rank given other
/// arguments, fails on every rank with the same message.
class Generator {
public:
  /// Prepares a plan for `sequences` sequences in flight. Fails when the
  /// artifact was not compiled with --generate, its plan needs another
  /// number of ranks than the transport has (one without a transport), or
  /// it has no plan with a batch of at least `sequences`.
  static StatusOr<std::unique_ptr<Generator>>
  create(std::shared_ptr<const Artifact> artifact, int64_t sequences,
         const SessionOptions &options = {});
  ~Generator();
  Generator(const Generator &) = delete;
  Generator &operator=(const Generator &) = delete;

  /// The vocabulary size (the logits' last dim).
  int64_t vocabSize() const;
  /// The cache capacity in tokens per sequence (--max-seq-len).
  int64_t maxSeqLen() const;

  /// Generates `options.maxNewTokens` tokens after each of `prompts` (as many
  /// as `sequences` given to create(), or fewer), starting from an empty
  /// cache. A prompt must be non-empty, its ids in [0, vocabSize()), and it
  /// must leave room for the new tokens: prompt + maxNewTokens <= maxSeqLen().
  /// `onToken(sequence, token)` is called as each token is picked. On success
  /// `*tokens` holds, per prompt, its new tokens: maxNewTokens of them, or
  /// fewer when it ended with a stop token or stop sequence.
  Status generate(const std::vector<std::vector<int64_t>> &prompts,
                  const GenerateOptions &options,
                  std::vector<std::vector<int64_t>> *tokens,
                  const std::function<void(size_t, int64_t)> &onToken = {});

  /// Continuous batching, on a plan of one rank: each row of the plan's batch
  /// is a slot that one sequence occupies from join() until it ends. Every
  /// step() runs all occupied slots at once, each at its own position; a
  /// sequence may join a free slot between any two steps while the others go
  /// on, and a sequence that ends frees its slot at once. A sequence's tokens
  /// are those generate() gives it alone (sampling seeded with
  /// options.sampling.seed, as sequence 0 of a generate() call).

  /// The number of slots: the plan's batch.
  int64_t slots() const;
  /// Whether `slot` holds no sequence.
  bool slotFree(int64_t slot) const;
  /// Checks a sequence as generate() checks a prompt (no other state read:
  /// safe to call from another thread than the one stepping).
  Status check(const std::vector<int64_t> &prompt, const GenerateOptions &options) const;
  /// Starts a sequence in the free slot `slot` with an empty cache; its
  /// prompt is fed by the next steps. Fails as check() does, on a plan of
  /// several ranks, and when the slot is not free.
  Status join(int64_t slot, const std::vector<int64_t> &prompt, const GenerateOptions &options);
  /// Ends the sequence in `slot` (its client went away): the slot is free.
  void leave(int64_t slot);
  /// What one step() gave a slot.
  struct SlotToken {
    int64_t slot = 0;
    int64_t token = 0;
    /// The sequence ended with this token: its slot is free again.
    bool finished = false;
    /// It ended on a stop token or stop sequence (not on its token count):
    /// then stopTokens is how many of its last new tokens the stop spans.
    bool stopped = false;
    int64_t stopTokens = 0;
  };
  /// Runs one step over the occupied slots (none: does nothing) and appends
  /// to `*tokens`, per slot whose prompt is consumed, the token it picked.
  Status step(std::vector<SlotToken> *tokens);

  /// The time of each step, in order, over generate() calls: filling the
  /// inputs, running the plan, writing the cache and picking the tokens (and
  /// onToken). The first includes the plan's first touch of its memory.
  const std::vector<double> &stepSeconds() const { return stepSeconds_; }

  /// True once generate() failed on a plan of several ranks after its steps
  /// began: other ranks may be waiting on this one, so the caller must end
  /// the job (as cleave-run does after a failed run) rather than go on.
  bool jobBroken() const;

  /// Collective on a plan of several ranks: what each step synchronises, as
  /// lines of text (on rank 0 of the job; empty elsewhere): per stage
  /// boundary, the tensors sent and their bytes; per tensor-parallel group,
  /// the all-reduces and all-gathers its code made per step (counted over
  /// the steps so far) and their bytes; the tokens (and cache rows) sent
  /// back by the rank that picks them.
  Status explainSync(std::string *text);

private:
  struct Impl;
  Generator() = default;
  /// The checks of generate() that need no other rank.
  Status validate(const std::vector<std::vector<int64_t>> &prompts,
                  const GenerateOptions &options) const;
  /// The generation loop, once the request is checked.
  Status steps(const std::vector<std::vector<int64_t>> &prompts,
               const GenerateOptions &options,
               std::vector<std::vector<int64_t>> *tokens,
               const std::function<void(size_t, int64_t)> &onToken);
  /// Sends the picked tokens (and rows) from the picking rank, or receives
  /// them: `picked` is the picker's, filled on the others.
  Status exchange(std::vector<int64_t> &picked);
  std::unique_ptr<Impl> impl_;
  std::vector<double> stepSeconds_;
};

/// Picks a token from `logits` (`vocab` floats) per `options`, drawing from
/// `state` (a 64-bit generator state, advanced) when sampling. The repetition
/// penalty is not applied here (see applyRepetitionPenalty).
int64_t pickToken(const float *logits, int64_t vocab,
                  const SamplingOptions &options, uint64_t *state);

/// Applies Hugging Face's repetition penalty to `logits` in place: the logit
/// of each distinct id of `seen` is divided by `penalty` if positive and
/// multiplied by it otherwise.
void applyRepetitionPenalty(float *logits, const std::vector<int64_t> &seen,
                            double penalty);

} // namespace cleave

#endif // CLEAVE_GENERATE_H
