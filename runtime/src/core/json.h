//===- json.h - A small JSON reader for the manifest ----------------------===//

#ifndef CLEAVE_RUNTIME_CORE_JSON_H
#define CLEAVE_RUNTIME_CORE_JSON_H

#include "cleave/runtime.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cleave {
namespace json {

/// A parsed JSON value. Objects keep their members in file order.
class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value makeBool(bool value);
  static Value makeNumber(double value, bool isInteger, int64_t integer);
  /// A non-negative integer beyond int64 that fits in uint64.
  static Value makeUnsigned(double value, uint64_t integer);
  static Value makeString(std::string value);
  static Value makeArray(std::vector<Value> elements);
  static Value makeObject(std::vector<Member> members);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  /// A number written without fraction or exponent that fits in int64.
  bool isInteger() const { return kind_ == Kind::Number && isInteger_; }
  /// A number written without fraction, exponent or sign that fits in uint64
  /// (bit patterns of 64-bit values are written so).
  bool isUnsigned() const {
    return kind_ == Kind::Number && (isUnsigned_ || (isInteger_ && integer_ >= 0));
  }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  /// Accessors; each is only meaningful for its kind.
  bool asBool() const { return bool_; }
  double asDouble() const { return number_; }
  int64_t asInt() const { return integer_; }
  uint64_t asUnsigned() const {
    return isUnsigned_ ? unsigned_ : static_cast<uint64_t>(integer_);
  }
  const std::string &asString() const { return string_; }
  const std::vector<Value> &asArray() const { return elements_; }
  const std::vector<Member> &asObject() const { return members_; }

  /// The member called `key` of an object, or null (also for non-objects).
  const Value *find(std::string_view key) const;
  /// Compact JSON text of this value.
  std::string toJson() const;
  /// "null", "bool", "number", "string", "array" or "object".
  static const char *kindName(Kind kind);

private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool isInteger_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  bool isUnsigned_ = false; ///< beyond int64, in unsigned_
  uint64_t unsigned_ = 0;
  std::string string_;
  std::vector<Value> elements_;
  std::vector<Member> members_;
};

/// Parses one JSON document (RFC 8259). Fails with InvalidArgument naming the
/// line and column of the first error; nesting deeper than 256 is refused.
StatusOr<Value> parse(std::string_view text);

/// `text` as a JSON string literal, quotes included.
std::string quote(std::string_view text);

} // namespace json
} // namespace cleave

#endif // CLEAVE_RUNTIME_CORE_JSON_H
