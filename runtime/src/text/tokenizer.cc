//===- tokenizer.cc - Byte-level and SentencePiece tokenizers -------------===//

#include "text/tokenizer.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <fstream>

namespace cleave {

namespace {

class ByteTokenizer : public Tokenizer {
public:
  int64_t vocabSize() const override { return 256; }
  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int64_t> ids;
    for (unsigned char c : text)
      ids.push_back(c);
    return ids;
  }
  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string text;
    for (int64_t id : ids)
      text.push_back(static_cast<char>(id));
    return text;
  }
  bool isByteLevel() const override { return true; }
};

class SentencePieceTokenizer : public Tokenizer {
public:
  sentencepiece::SentencePieceProcessor processor;
  int64_t vocabSize() const override { return processor.GetPieceSize(); }
  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int> ids;
    (void)processor.Encode(text, &ids);
    return std::vector<int64_t>(ids.begin(), ids.end());
  }
  std::string decode(const std::vector<int64_t> &ids) const override {
    std::vector<int> pieces(ids.begin(), ids.end());
    std::string text;
    (void)processor.Decode(pieces, &text);
    return text;
  }
};

/// U+FFFD, what a byte-fallback character decodes to while incomplete.
const char kReplacement[] = "\xEF\xBF\xBD";

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::byteLevel() { return std::make_unique<ByteTokenizer>(); }

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::loadSentencePiece(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return notFoundError("cannot open tokenizer '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto tokenizer = std::make_unique<SentencePieceTokenizer>();
  sentencepiece::util::Status status = tokenizer->processor.LoadFromSerializedProto(bytes);
  if (!status.ok() || tokenizer->processor.GetPieceSize() <= 0)
    return invalidArgumentError("tokenizer '" + path + "' is not a SentencePiece model" +
                                (status.ok() ? std::string() : ": " + status.ToString()));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

std::string DecodeStream::emit(const std::string &text, size_t end) {
  if (end <= printed_.size() || text.compare(0, printed_.size(), printed_) != 0)
    return std::string();
  std::string piece = text.substr(printed_.size(), end - printed_.size());
  printed_ += piece;
  return piece;
}

std::string DecodeStream::add(const std::vector<int64_t> &ids) {
  if (stopped_)
    return std::string();
  ids_.insert(ids_.end(), ids.begin(), ids.end());
  if (tokenizer_.isByteLevel()) {
    std::string piece = tokenizer_.decode(ids);
    printed_ += piece;
    return piece;
  }
  std::string text = tokenizer_.decode(ids_);
  if (!stop_.empty()) {
    size_t at = text.find(stop_);
    if (at != std::string::npos) {
      stopped_ = true;
      text.resize(at);
      return emit(text, text.size());
    }
  }
  // Hold back a trailing incomplete character and what may begin a stop
  // text (whole characters), and wait while the text does not extend what
  // was printed.
  size_t end = text.size();
  const size_t r = sizeof(kReplacement) - 1;
  while (end >= r && text.compare(end - r, r, kReplacement) == 0)
    end -= r;
  if (!stop_.empty()) {
    end -= std::min(end, stop_.size() - 1);
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
  }
  return emit(text, end);
}

std::string DecodeStream::finish() {
  if (tokenizer_.isByteLevel())
    return std::string();
  std::string text = tokenizer_.decode(ids_);
  if (!stop_.empty()) {
    size_t at = text.find(stop_);
    if (at != std::string::npos)
      text.resize(at);
  }
  size_t common = 0;
  while (common < text.size() && common < printed_.size() && text[common] == printed_[common])
    ++common;
  std::string piece = common < printed_.size() ? std::string() : text.substr(common);
  printed_ += piece;
  return piece;
}

} // namespace cleave
