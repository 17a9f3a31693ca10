//===- completion_test.cc - The chat template and streamed text -----------===//

#include "serve/completion.h"

#include <gtest/gtest.h>

namespace cleave::serve {
namespace {

/// Streams `bytes` one token each; the last one ends the sequence with a
/// stop spanning `stopTokens` of them. Returns the pieces.
std::vector<std::string> stream(const std::string &bytes, size_t holdBack,
                                int64_t stopTokens = 0) {
  TextStream text(holdBack);
  std::vector<std::string> pieces;
  for (size_t i = 0; i < bytes.size(); ++i)
    pieces.push_back(text.add(static_cast<unsigned char>(bytes[i]), i + 1 == bytes.size(),
                              stopTokens));
  return pieces;
}

std::string joined(const std::vector<std::string> &pieces) {
  std::string all;
  for (const std::string &piece : pieces)
    all += piece;
  return all;
}

TEST(ChatTemplate, RendersEachMessageThenTheAssistantsTurn) {
  EXPECT_EQ(renderChat({{"system", "Be brief."}, {"user", "Hi"}}),
            "system: Be brief.\nuser: Hi\nassistant: ");
  EXPECT_STREQ(kChatTurnEnd, "\nuser:");
}

TEST(ValidUtf8, ReplacesMaximalInvalidPartsAsPythonDoes) {
  EXPECT_EQ(validUtf8("a\xE2\x82\xAC" "b"), "a\xE2\x82\xAC" "b");
  // bytes.decode("utf-8", "replace"): one U+FFFD per maximal invalid part.
  EXPECT_EQ(validUtf8("\xE2\x82" "A"), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(validUtf8("\xFF\xC0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(validUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  EXPECT_EQ(validUtf8("x\xF0\x9F"), "x\xEF\xBF\xBD"); // cut short at the end
}

TEST(TextStream, HoldsBackACharacterUntilItCompletes) {
  std::vector<std::string> pieces = stream("a\xE2\x82\xAC" "b", 0);
  ASSERT_EQ(pieces.size(), 5u);
  EXPECT_EQ(pieces[0], "a");
  EXPECT_EQ(pieces[1], "");
  EXPECT_EQ(pieces[2], "");
  EXPECT_EQ(pieces[3], "\xE2\x82\xAC");
  EXPECT_EQ(pieces[4], "b");
}

TEST(TextStream, PiecesJoinToTheWholeTextsConversion) {
  const std::string bytes = "ok \xE2\x82 \xF0\x9F\x98\x80\xC3\xFF\xE2\x82\xAC\xF0";
  for (size_t hold : {0, 1, 3})
    EXPECT_EQ(joined(stream(bytes, hold)), validUtf8(bytes)) << "hold back " << hold;
}

TEST(TextStream, NeverSendsTheStopThatEndsTheSequence) {
  // "\nuser:" ends it: its 6 bytes are held back, then dropped.
  std::vector<std::string> pieces = stream("Hello.\nuser:", 5, 6);
  EXPECT_EQ(joined(pieces), "Hello.");
  for (const std::string &piece : pieces)
    EXPECT_EQ(piece.find('\n'), std::string::npos);
  // Ended on its token count: everything is sent.
  EXPECT_EQ(joined(stream("Hello.\nus", 5)), "Hello.\nus");
}

} // namespace
} // namespace cleave::serve
