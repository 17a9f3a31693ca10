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
  /// Per cache tensor, in graph order: the past input and the present output (which, after
  /// the rewrite, holds only the new rows).
  std::vector<std::pair<std::string, std::string>> cache;
};

/// Rewrites the ONNX model in `modelBytes` (serialised ModelProto) in place for a decode step
/// of one new token per sequence over a cache of `maxSeqLen` slots:
///  - each `Concat(past_key_values.N.x, new, axis=2)` is removed; the attention that read the
///    concatenation reads the past input (the cache, all `maxSeqLen` slots, in place) and the
///    new rows separately: `MatMul(q, Transpose(concat))` becomes the Concat, along the last
///    axis, of `MatMul(q, Transpose(past))` and `MatMul(q, Transpose(new))` (scores, not
///    keys), and `MatMul(p, concat)` becomes `MatMul(p[..., :L], past) + MatMul(p[..., L:],
///    new)`;
///  - the output `present.N.x` becomes the new rows alone, [batch, heads, 1, head_dim];
///  - `shapes` receives the bindings of input_ids [1, 1], attention_mask [1, L + 1],
///    position_ids [1, 1] and each past input [1, heads, L, head_dim].
/// False with a one-line `error` when the model is not such a decoder.
bool rewriteForGeneration(std::string &modelBytes, int64_t maxSeqLen,
                          GenerationContract &contract,
                          std::vector<std::pair<std::string, std::vector<int64_t>>> &shapes,
                          std::string &error);

} // namespace cleave

#endif // CLEAVE_COMPILER_IMPORT_GENERATIONREWRITE_H
