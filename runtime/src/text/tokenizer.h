//===- tokenizer.h - Text to token ids and back, for the generation tools -===//
//
// What cleave-generate (and the other generation tools) use to turn a text
// prompt into token ids and generated ids back into text: the byte-level
// vocabulary of 256 (a text's UTF-8 bytes are its ids), the default, or a
// SentencePiece model (a `.model` file, as spm_train writes it).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_TEXT_TOKENIZER_H
#define CLEAVE_RUNTIME_TEXT_TOKENIZER_H

#include "cleave/runtime.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cleave {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  /// The byte-level tokenizer: 256 ids, one per byte.
  static std::unique_ptr<Tokenizer> byteLevel();
  /// A SentencePiece model file; an error if it cannot be read or parsed.
  static StatusOr<std::unique_ptr<Tokenizer>> loadSentencePiece(const std::string &path);
  /// How many ids the tokenizer has (a model's vocabulary must have as many).
  virtual int64_t vocabSize() const = 0;
  /// `text` as token ids.
  virtual std::vector<int64_t> encode(const std::string &text) const = 0;
  /// The text of `ids` (each in [0, vocabSize())).
  virtual std::string decode(const std::vector<int64_t> &ids) const = 0;
  /// Whether it is the byte-level one.
  virtual bool isByteLevel() const { return false; }
};

/// Decodes a sequence incrementally, for streaming: the text of the ids
/// given so far, handed out in pieces as they come. A piece is handed out
/// once later ids can no longer change it (a SentencePiece model's decoding
/// of a sequence may differ from the concatenation of its pieces' decodings,
/// e.g. at the start, and a byte-fallback character waits for its last byte).
///
/// With a `stop` text (a SentencePiece tokenizer only), the text ends before
/// the first occurrence of it: the last stop.size() - 1 bytes wait until the
/// text goes on, and once the stop has appeared, stopped() is true and the
/// text before it is all handed out.
class DecodeStream {
public:
  explicit DecodeStream(const Tokenizer &tokenizer, std::string stop = std::string())
      : tokenizer_(tokenizer), stop_(std::move(stop)) {}
  /// Adds ids (a prompt, or one new token) and returns the text that can be
  /// printed now (maybe empty).
  std::string add(const std::vector<int64_t> &ids);
  /// The rest of the text, at the end of the sequence.
  std::string finish();
  /// Whether the stop text has appeared (add no more ids then).
  bool stopped() const { return stopped_; }
  /// The text handed out so far.
  const std::string &text() const { return printed_; }

private:
  /// Hands out `text`[printed_.size(), end) if `text` extends printed_.
  std::string emit(const std::string &text, size_t end);
  const Tokenizer &tokenizer_;
  std::string stop_;
  std::vector<int64_t> ids_;
  std::string printed_;
  bool stopped_ = false;
};

} // namespace cleave

#endif // CLEAVE_RUNTIME_TEXT_TOKENIZER_H
