// The rewrite that turns a decoder with a past-key-values cache into a decode step over a
// runtime-owned cache of fixed capacity (cleave-compile --generate).
#ifndef CLEAVE_COMPILER_IMPORT_GENERATIONREWRITE_H
#define CLEAVE_COMPILER_IMPORT_GENERATIONREWRITE_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cleave {

/// Which graph inputs and outputs play which part in generation (manifest "generation").
struct GenerationContract {
  /// The cache capacity in tokens per sequence (--max-seq-len).
  int64_t maxSeqLen = 0;
  /// Input names: token ids, attention mask, position ids ("" when the model has none).
  std::string inputIds, attentionMask, positionIds;
  /// The output holding the logits.
  std::string logits;
  /// One cache tensor: its past input, its present output (after the rewrite, the new rows
  /// only) and whether the past is stored transposed, [batch, heads, head_dim, capacity].
  struct Cache {
    std::string past, present;
    bool transposed = false;
  };
  /// The cache tensors, in graph order.
  std::vector<Cache> cache;
};

/// Rewrites the ONNX model in `modelBytes` (serialised ModelProto) in place for a decode step
/// of one new token per sequence over a cache of `maxSeqLen` slots:
///  - each `Concat(past_key_values.N.x, new, axis=2)` is removed; the attention that read the
///    concatenation reads the past input (the cache, all `maxSeqLen` slots, in place) and the
///    new rows separately: `MatMul(q, Transpose(concat))` becomes the Concat, along the last
///    axis, of `MatMul(q, pastT)` and `MatMul(q, Transpose(new))` (scores, not keys), and
///    `MatMul(p, concat)` becomes `MatMul(p[..., :L], past) + MatMul(p[..., L:], new)`. A
///    past read only through the transposed form (the keys) becomes an input stored
///    transposed, [batch, heads, head_dim, L], so that no step transposes the cache;
///  - the output `present.N.x` becomes the new rows alone, [batch, heads, 1, head_dim];
///  - `shapes` receives the bindings of input_ids [1, 1], attention_mask [1, L + 1],
///    position_ids [1, 1] and each past input [1, heads, L, head_dim] (transposed:
///    [1, heads, head_dim, L]).
/// False with a one-line `error` when the model is not such a decoder.
bool rewriteForGeneration(std::string &modelBytes, int64_t maxSeqLen,
                          GenerationContract &contract,
                          std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes,
                          std::string &error);

} // namespace cleave

#endif // CLEAVE_COMPILER_IMPORT_GENERATIONREWRITE_H
