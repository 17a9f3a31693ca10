// Unit tests of oneLineMessage: folding, escaping, UTF-8 and idempotence.
#include "compiler/support/Message.h"

#include <gtest/gtest.h>

#include <string>

using cleave::oneLineMessage;
using namespace std::string_literals;

namespace {

TEST(OneLineMessage, PlainTextIsUnchanged) {
  EXPECT_EQ(oneLineMessage("tensor 'w': external data offset 'abc' is not a number"),
            "tensor 'w': external data offset 'abc' is not a number");
  EXPECT_EQ(oneLineMessage(""), "");
}

TEST(OneLineMessage, FoldsLineBreaksAndWhitespaceRuns) {
  EXPECT_EQ(oneLineMessage("Unrecognized attribute: foo for operator Relu\n\n==> Context: "
                           "Bad node spec for node. Name: relu OpType: Relu"),
            "Unrecognized attribute: foo for operator Relu ==> Context: Bad node spec for "
            "node. Name: relu OpType: Relu");
  EXPECT_EQ(oneLineMessage("a \t\r\n\v\f  b"), "a b");
  EXPECT_EQ(oneLineMessage("  \n leading and trailing \n\n"), "leading and trailing");
  EXPECT_EQ(oneLineMessage("\n\n"), "");
}

TEST(OneLineMessage, EscapesControlBytes) {
  EXPECT_EQ(oneLineMessage("a\x1b[2Jb"s), "a\\x1b[2Jb");
  EXPECT_EQ(oneLineMessage("\x01\x7f"s), "\\x01\\x7f");
  EXPECT_EQ(oneLineMessage("nul\0here"s), "nul\\x00here");
  // A control byte next to whitespace keeps its place; the whitespace still folds.
  EXPECT_EQ(oneLineMessage("node 'x\n\x07y'"s), "node 'x \\x07y'");
}

TEST(OneLineMessage, KeepsPrintableUtf8) {
  EXPECT_EQ(oneLineMessage("node 'Gewicht_\xc3\xa4' (\xe5\x8d\xb7\xe7\xa7\xaf)"),
            "node 'Gewicht_\xc3\xa4' (\xe5\x8d\xb7\xe7\xa7\xaf)");
  EXPECT_EQ(oneLineMessage("emoji \xf0\x9f\x98\x80"), "emoji \xf0\x9f\x98\x80");
}

TEST(OneLineMessage, EscapesInvalidUtf8AndInvisibleCodePoints) {
  // A lone continuation byte, a truncated sequence, an overlong '/' and a surrogate.
  EXPECT_EQ(oneLineMessage("a\x80z"), "a\\x80z");
  EXPECT_EQ(oneLineMessage("a\xe5\x8d"), "a\\xe5\\x8d");
  EXPECT_EQ(oneLineMessage("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(oneLineMessage("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  // C1 control CSI (U+009B) and a right-to-left override (U+202E).
  EXPECT_EQ(oneLineMessage("a\xc2\x9b_b"), "a\\xc2\\x9b_b");
  EXPECT_EQ(oneLineMessage("a\xe2\x80\xae_b"), "a\\xe2\\x80\\xae_b");
}

TEST(OneLineMessage, FoldsUnicodeLineBreaks) {
  // NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029).
  EXPECT_EQ(oneLineMessage("a\xc2\x85_\xe2\x80\xa8_\xe2\x80\xa9 d"), "a _ _ d");
}

TEST(OneLineMessage, IsIdempotent) {
  const std::string inputs[] = {
      "x\n\x1b\\y\x80 \xe2\x80\xae z\\x41"s,
      "already one line \\x1b",
      "\t\x00\x01"s,
  };
  for (const std::string &input : inputs) {
    std::string once = oneLineMessage(input);
    EXPECT_EQ(oneLineMessage(once), once);
    EXPECT_EQ(once.find('\n'), std::string::npos);
  }
}

} // namespace
