//===- json.cc - A small recursive-descent JSON reader --------------------===//

#include "core/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace cleave {
namespace json {

Value Value::makeBool(bool value) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = value;
  return v;
}

Value Value::makeNumber(double value, bool isInteger, int64_t integer) {
  Value v;
  v.kind_ = Kind::Number;
  v.number_ = value;
  v.isInteger_ = isInteger;
  v.integer_ = integer;
  return v;
}

Value Value::makeUnsigned(double value, uint64_t integer) {
  Value v = makeNumber(value, false, 0);
  v.isUnsigned_ = true;
  v.unsigned_ = integer;
  return v;
}

Value Value::makeString(std::string value) {
  Value v;
  v.kind_ = Kind::String;
  v.string_ = std::move(value);
  return v;
}

Value Value::makeArray(std::vector<Value> elements) {
  Value v;
  v.kind_ = Kind::Array;
  v.elements_ = std::move(elements);
  return v;
}

Value Value::makeObject(std::vector<Member> members) {
  Value v;
  v.kind_ = Kind::Object;
  v.members_ = std::move(members);
  return v;
}

const Value *Value::find(std::string_view key) const {
  for (const Member &member : members_)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *Value::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "bool";
  case Kind::Number:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "unknown";
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

std::string Value::toJson() const {
  switch (kind_) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return bool_ ? "true" : "false";
  case Kind::Number: {
    if (isInteger_)
      return std::to_string(integer_);
    if (isUnsigned_)
      return std::to_string(unsigned_);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", number_);
    return buf;
  }
  case Kind::String:
    return quote(string_);
  case Kind::Array: {
    std::string out = "[";
    for (size_t i = 0; i < elements_.size(); ++i)
      out += (i ? "," : "") + elements_[i].toJson();
    return out + "]";
  }
  case Kind::Object: {
    std::string out = "{";
    for (size_t i = 0; i < members_.size(); ++i)
      out += (i ? "," : "") + quote(members_[i].first) + ":" +
             members_[i].second.toJson();
    return out + "}";
  }
  }
  return "null";
}

namespace {
constexpr int kMaxDepth = 256;

/// Thrown inside the parser only; parse() turns it into a Status.
struct ParseError {
  size_t offset;
  std::string what;
};

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value parseDocument() {
    Value value = parseValue(0);
    skipSpace();
    if (pos_ != text_.size())
      fail("unexpected text after the JSON value");
    return value;
  }

private:
  [[noreturn]] void fail(std::string what) {
    throw ParseError{pos_, std::move(what)};
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  char peek() { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void expect(char c) {
    skipSpace();
    if (peek() != c)
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }

  void expectWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word)
      fail("invalid literal");
    pos_ += word.size();
  }

  Value parseValue(int depth) {
    if (depth > kMaxDepth)
      fail("nesting too deep");
    skipSpace();
    switch (peek()) {
    case '{':
      return parseObject(depth);
    case '[':
      return parseArray(depth);
    case '"':
      return Value::makeString(parseString());
    case 't':
      expectWord("true");
      return Value::makeBool(true);
    case 'f':
      expectWord("false");
      return Value::makeBool(false);
    case 'n':
      expectWord("null");
      return Value();
    case '\0':
      if (pos_ >= text_.size())
        fail("unexpected end of input");
      [[fallthrough]];
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber();
      fail("expected a value");
    }
  }

  Value parseObject(int depth) {
    ++pos_;
    std::vector<Value::Member> members;
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return Value::makeObject(std::move(members));
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        fail("expected a string key");
      std::string key = parseString();
      expect(':');
      members.emplace_back(std::move(key), parseValue(depth + 1));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return Value::makeObject(std::move(members));
    }
  }

  Value parseArray(int depth) {
    ++pos_;
    std::vector<Value> elements;
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return Value::makeArray(std::move(elements));
    }
    while (true) {
      elements.push_back(parseValue(depth + 1));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return Value::makeArray(std::move(elements));
    }
  }

  unsigned parseHex4() {
    if (pos_ + 4 > text_.size())
      fail("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= c - '0';
      else if (c >= 'a' && c <= 'f')
        code |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        code |= c - 'A' + 10;
      else
        fail("invalid \\u escape");
    }
    return code;
  }

  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string parseString() {
    ++pos_; // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size())
        fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"')
        return out;
      if (static_cast<unsigned char>(c) < 0x20)
        fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size())
        fail("unterminated string");
      char e = text_[pos_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned code = parseHex4();
        if (code >= 0xD800 && code < 0xDC00) {
          if (text_.substr(pos_, 2) != "\\u")
            fail("unpaired surrogate in \\u escape");
          pos_ += 2;
          unsigned low = parseHex4();
          if (low < 0xDC00 || low >= 0xE000)
            fail("unpaired surrogate in \\u escape");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code < 0xE000) {
          fail("unpaired surrogate in \\u escape");
        }
        appendUtf8(out, code);
        break;
      }
      default:
        fail("invalid escape in string");
      }
    }
  }

  Value parseNumber() {
    size_t start = pos_;
    auto digits = [&] {
      size_t first = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9')
        ++pos_;
      return pos_ - first;
    };
    if (peek() == '-')
      ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("invalid number");
    }
    bool integral = true;
    if (peek() == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0)
        fail("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      integral = false;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (digits() == 0)
        fail("invalid number");
    }
    // from_chars, unlike strtod, ignores the C locale's decimal separator.
    const char *first = text_.data() + start, *last = text_.data() + pos_;
    double value = 0;
    std::from_chars_result parsed = std::from_chars(first, last, value);
    if (parsed.ec != std::errc() || !std::isfinite(value))
      fail("number out of range");
    int64_t integer = 0;
    if (integral && std::from_chars(first, last, integer).ec != std::errc()) {
      // Beyond int64: keep the double, and the exact value if it fits uint64.
      uint64_t unsignedValue = 0;
      if (*first != '-' &&
          std::from_chars(first, last, unsignedValue).ec == std::errc())
        return Value::makeUnsigned(value, unsignedValue);
      integral = false;
    }
    return Value::makeNumber(value, integral, integer);
  }

  std::string_view text_;
  size_t pos_ = 0;
};
} // namespace

StatusOr<Value> parse(std::string_view text) {
  try {
    return Parser(text).parseDocument();
  } catch (const ParseError &error) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < error.offset && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return invalidArgumentError("invalid JSON at line " + std::to_string(line) +
                                ", column " + std::to_string(column) + ": " +
                                error.what);
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory parsing JSON");
  }
}

} // namespace json
} // namespace cleave
