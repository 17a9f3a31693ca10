//===- tokenizer_test.cc - Tokenizers and their streamed decoding ---------===//
//
// Run by test/generate on the SentencePiece model it trains with spm_train
// (generate.tokenizer.stream): the pieces DecodeStream hands out, one token at
// a time, add up to the decoding of the whole sequence, and a stop text ends
// it without any of the stop being handed out.
//
//===----------------------------------------------------------------------===//

#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace cleave {
namespace {

std::string gModel;

std::unique_ptr<Tokenizer> load() {
  StatusOr<std::unique_ptr<Tokenizer>> loaded = Tokenizer::loadSentencePiece(gModel);
  EXPECT_TRUE(loaded.ok()) << loaded.status().message();
  return loaded.ok() ? std::move(loaded).value() : nullptr;
}

// Feeds `ids` one at a time; returns the pieces handed out, finish() included.
std::vector<std::string> stream(DecodeStream &decoder, const std::vector<int64_t> &ids) {
  std::vector<std::string> pieces;
  for (int64_t id : ids) {
    pieces.push_back(decoder.add({id}));
    if (decoder.stopped())
      return pieces;
  }
  pieces.push_back(decoder.finish());
  return pieces;
}

std::string join(const std::vector<std::string> &pieces) {
  std::string text;
  for (const std::string &piece : pieces)
    text += piece;
  return text;
}

TEST(Tokenizer, StreamedPiecesAddUpToTheDecoding) {
  std::unique_ptr<Tokenizer> tokenizer = load();
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->vocabSize(), 512);
  // Characters not in the training text come as byte-fallback pieces, one
  // byte at a time: no piece may end inside one.
  const std::string text = "Streams déjà vu, 𝔘𝔫𝔦 and 漢字 as they come";
  std::vector<int64_t> ids = tokenizer->encode(text);
  EXPECT_EQ(tokenizer->decode(ids), text);
  DecodeStream decoder(*tokenizer);
  std::vector<std::string> pieces = stream(decoder, ids);
  EXPECT_EQ(join(pieces), text);
  EXPECT_EQ(decoder.text(), text);
  for (const std::string &piece : pieces)
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos) << "a cut character: " << piece;
}

TEST(Tokenizer, AStopTextEndsTheStreamUnseen) {
  std::unique_ptr<Tokenizer> tokenizer = load();
  ASSERT_TRUE(tokenizer);
  std::vector<int64_t> ids = tokenizer->encode("a reply é\nuser: the next message");
  DecodeStream decoder(*tokenizer, "\nuser:");
  std::vector<std::string> pieces = stream(decoder, ids);
  EXPECT_TRUE(decoder.stopped());
  EXPECT_EQ(join(pieces), "a reply é");
  EXPECT_EQ(decoder.text(), "a reply é");
  EXPECT_LT(pieces.size(), ids.size()); // it stopped before the end
  // A text that only begins like the stop goes on.
  ids = tokenizer->encode("one\nuse two");
  DecodeStream partial(*tokenizer, "\nuser:");
  EXPECT_EQ(join(stream(partial, ids)), "one\nuse two");
  EXPECT_FALSE(partial.stopped());
}

TEST(Tokenizer, ByteLevel) {
  std::unique_ptr<Tokenizer> tokenizer = Tokenizer::byteLevel();
  EXPECT_EQ(tokenizer->vocabSize(), 256);
  EXPECT_EQ(tokenizer->encode("Hé"), (std::vector<int64_t>{72, 0xC3, 0xA9}));
  DecodeStream decoder(*tokenizer);
  EXPECT_EQ(join(stream(decoder, {72, 0xC3, 0xA9})), "Hé");
}

TEST(Tokenizer, BadFiles) {
  StatusOr<std::unique_ptr<Tokenizer>> missing =
      Tokenizer::loadSentencePiece(gModel + ".missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot open tokenizer"), std::string::npos);
}

} // namespace
} // namespace cleave

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: cleave-tokenizer-test TOKENIZER.model\n");
    return 2;
  }
  cleave::gModel = argv[1];
  return RUN_ALL_TESTS();
}
