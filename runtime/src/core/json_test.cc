//===- json_test.cc - Tests for the JSON reader ---------------------------===//

#include "core/json.h"

#include <gtest/gtest.h>

namespace cleave {
namespace json {
namespace {

TEST(JsonTest, ParsesManifestLikeDocument) {
  StatusOr<Value> doc = parse(R"({
    "format_version": 1, "name": "m",
    "shape": [1, 3, 224], "ratio": 0.5, "big": 3.6e9, "neg": -7,
    "flags": [true, false, null], "nested": {"a": {"b": []}}
  })");
  ASSERT_TRUE(doc.ok()) << doc.status().toString();
  ASSERT_TRUE(doc->isObject());
  EXPECT_EQ(doc->find("format_version")->asInt(), 1);
  EXPECT_EQ(doc->find("name")->asString(), "m");
  EXPECT_EQ(doc->find("shape")->asArray().size(), 3u);
  EXPECT_EQ(doc->find("shape")->asArray()[2].asInt(), 224);
  EXPECT_FALSE(doc->find("ratio")->isInteger());
  EXPECT_DOUBLE_EQ(doc->find("ratio")->asDouble(), 0.5);
  EXPECT_FALSE(doc->find("big")->isInteger());
  EXPECT_DOUBLE_EQ(doc->find("big")->asDouble(), 3.6e9);
  EXPECT_EQ(doc->find("neg")->asInt(), -7);
  EXPECT_TRUE(doc->find("flags")->asArray()[0].asBool());
  EXPECT_TRUE(doc->find("flags")->asArray()[2].isNull());
  EXPECT_TRUE(doc->find("nested")->find("a")->find("b")->isArray());
  EXPECT_EQ(doc->find("missing"), nullptr);
  // Member order is kept.
  EXPECT_EQ(doc->asObject()[1].first, "name");
}

TEST(JsonTest, StringEscapes) {
  StatusOr<Value> doc =
      parse(R"(["a\"b\\c\/d\n", "\u00e9\u4e2d", "\ud83d\ude00"])");
  ASSERT_TRUE(doc.ok()) << doc.status().toString();
  EXPECT_EQ(doc->asArray()[0].asString(), "a\"b\\c/d\n");
  EXPECT_EQ(doc->asArray()[1].asString(), "\xc3\xa9\xe4\xb8\xad");
  EXPECT_EQ(doc->asArray()[2].asString(), "\xf0\x9f\x98\x80");
}

TEST(JsonTest, RoundTripsThroughToJson) {
  std::string text = R"({"a":[1,2.5,"x\n"],"b":{"c":null,"d":true}})";
  StatusOr<Value> doc = parse(text);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->toJson(), text);
}

TEST(JsonTest, HugeIntegerFallsBackToDouble) {
  StatusOr<Value> doc = parse("123456789012345678901234567890");
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->isInteger());
  EXPECT_GT(doc->asDouble(), 1e29);
  EXPECT_FALSE(doc->isUnsigned());
}

// The bit pattern of a negative double is beyond int64 but exact in uint64.
TEST(JsonTest, UnsignedIntegersBeyondInt64AreExact) {
  StatusOr<Value> doc = parse("[13830554455654793216, 7, -7, 18446744073709551616]");
  ASSERT_TRUE(doc.ok());
  const std::vector<Value> &list = doc->asArray();
  EXPECT_FALSE(list[0].isInteger());
  EXPECT_TRUE(list[0].isUnsigned());
  EXPECT_EQ(list[0].asUnsigned(), 0xBFF0000000000000ull);
  EXPECT_EQ(list[0].toJson(), "13830554455654793216");
  EXPECT_TRUE(list[1].isUnsigned());
  EXPECT_EQ(list[1].asUnsigned(), 7u);
  EXPECT_FALSE(list[2].isUnsigned());
  EXPECT_FALSE(list[3].isUnsigned()); // 2^64
}

TEST(JsonTest, ErrorsNameLineAndColumn) {
  StatusOr<Value> doc = parse("{\n  \"a\": [1, 2,]\n}");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(doc.status().message().find("line 2, column 14: expected a value"),
            std::string::npos)
      << doc.status().message();
}

TEST(JsonTest, RejectsMalformedDocuments) {
  for (const char *text :
       {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "1e",
        "\"abc", "\"\\x\"", "\"\\ud800\"", "tru", "nul", "[1] 2", "{1:2}",
        "\"a\nb\"", "1e999"}) {
    EXPECT_FALSE(parse(text).ok()) << text;
  }
}

TEST(JsonTest, RejectsDeepNesting) {
  std::string deep(1000, '[');
  deep += std::string(1000, ']');
  StatusOr<Value> doc = parse(deep);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("too deep"), std::string::npos);
}

} // namespace
} // namespace json
} // namespace cleave
