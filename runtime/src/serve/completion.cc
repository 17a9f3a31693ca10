//===- completion.cc - Text of a byte-level model's completions -----------===//

#include "serve/completion.h"

#include <algorithm>

namespace cleave::serve {

const char kChatTurnEnd[] = "\nuser:";

std::string renderChat(const std::vector<ChatMessage> &messages) {
  std::string text;
  for (const ChatMessage &message : messages)
    text += message.role + ": " + message.content + "\n";
  return text + "assistant: ";
}

namespace {

/// The UTF-8 sequence at p (avail bytes there, RFC 3629: no overlong forms,
/// no surrogates, at most U+10FFFF): its length when complete and valid; 0
/// when the bytes there are a valid beginning that needs more; -k when its
/// first k bytes are the longest valid beginning of a sequence there (or k = 1,
/// a byte that begins none), replaced by one U+FFFD as Unicode recommends
/// ("maximal subparts", which Python's errors="replace" follows too).
int sequenceLength(const unsigned char *p, size_t avail) {
  const unsigned char lead = p[0];
  if (lead < 0x80)
    return 1;
  int length = 0;
  unsigned char low = 0x80, high = 0xBF; // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0)
      low = 0xA0;
    if (lead == 0xED)
      high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0)
      low = 0x90;
    if (lead == 0xF4)
      high = 0x8F;
  } else {
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= avail)
      return 0;
    const unsigned char lo = i == 1 ? low : 0x80, hi = i == 1 ? high : 0xBF;
    if (p[i] < lo || p[i] > hi)
      return -i;
  }
  return length;
}

const char kReplacement[] = "\xEF\xBF\xBD";

/// Converts bytes[from, end) and returns where it stopped: at end, or (not
/// `final`) before a character that may still complete.
size_t convert(const std::string &bytes, size_t from, size_t end, bool final, std::string *out) {
  const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t i = from;
  while (i < end) {
    int length = sequenceLength(data + i, end - i);
    if (length == 0 && !final)
      break;
    if (length == 0) // a valid beginning cut short by the end
      length = -static_cast<int>(end - i);
    if (length < 0) {
      *out += kReplacement;
      i += static_cast<size_t>(-length);
      continue;
    }
    out->append(bytes, i, static_cast<size_t>(length));
    i += static_cast<size_t>(length);
  }
  return i;
}

} // namespace

std::string validUtf8(const std::string &bytes) {
  std::string out;
  convert(bytes, 0, bytes.size(), true, &out);
  return out;
}

std::string TextStream::emit(size_t end, bool final) {
  std::string piece;
  if (end > sent_)
    sent_ = convert(bytes_, sent_, end, final, &piece);
  text_ += piece;
  return piece;
}

std::string TextStream::add(int64_t token, bool finished, int64_t stopTokens) {
  bytes_.push_back(static_cast<char>(static_cast<unsigned char>(token)));
  if (finished) {
    size_t drop = std::min(bytes_.size(), static_cast<size_t>(std::max<int64_t>(stopTokens, 0)));
    return emit(std::max(sent_, bytes_.size() - drop), true);
  }
  if (bytes_.size() <= holdBack_)
    return std::string();
  return emit(bytes_.size() - holdBack_, false);
}

} // namespace cleave::serve
