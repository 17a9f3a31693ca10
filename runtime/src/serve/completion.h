//===- completion.h - Text of a byte-level model's completions ------------===//
//
// What the OpenAI-compatible endpoints of cleave-serve and cleave-chat share
// about text: the byte-level chat template, and turning a sequence's new
// tokens (bytes) into valid UTF-8 pieces as they come, holding back what may
// still turn out to be a stop text (which is not part of the answer).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_SERVE_COMPLETION_H
#define CLEAVE_RUNTIME_SERVE_COMPLETION_H

#include <cstdint>
#include <string>
#include <vector>

namespace cleave::serve {

/// One message of a chat: role (system, user or assistant) and content.
struct ChatMessage {
  std::string role, content;
};

/// The byte-level chat template: each message as "<role>: <content>\n", then
/// "assistant: ", which the reply continues (so that a reply kept as an
/// assistant message renders as the tokens the model saw).
std::string renderChat(const std::vector<ChatMessage> &messages);

/// The text that ends an assistant's turn in the template (the next user
/// line begins): the chat endpoints stop there.
extern const char kChatTurnEnd[];

/// `bytes` as valid UTF-8: each maximal invalid or cut-short part of a
/// sequence becomes one U+FFFD (as Python's bytes.decode("utf-8", "replace")).
std::string validUtf8(const std::string &bytes);

/// A sequence's new tokens (bytes, a vocabulary of 256) as text pieces to send
/// as they come. A piece never ends inside a UTF-8 character that may still
/// complete, and the last `holdBack` bytes wait until the sequence goes on or
/// ends, so that a stop text (at most holdBack + 1 bytes) is never sent: give
/// the length of the longest stop text less 1.
class TextStream {
public:
  explicit TextStream(size_t holdBack = 0) : holdBack_(holdBack) {}
  /// Adds a new token and returns the text that can be sent now (maybe
  /// empty). With `finished`, the sequence ended with this token: its last
  /// `stopTokens` bytes (the stop that ended it) are dropped and the rest is
  /// returned.
  std::string add(int64_t token, bool finished = false, int64_t stopTokens = 0);
  /// Everything sent so far, as returned.
  const std::string &text() const { return text_; }

private:
  /// Converts bytes_[sent_, end) up to the last complete character (all of
  /// it when `final`), appends it to text_ and returns it.
  std::string emit(size_t end, bool final);
  size_t holdBack_;
  std::string bytes_, text_;
  size_t sent_ = 0;
};

} // namespace cleave::serve

#endif // CLEAVE_RUNTIME_SERVE_COMPLETION_H
