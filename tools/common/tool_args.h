//===- tool_args.h - The command line of a tool that runs one artifact ----===//
//
// cleave-serve and cleave-batch take one artifact and options written
// `--name value` or `--name=value`; both read them here, with the same
// messages for an unknown option or a missing value.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TOOLS_COMMON_TOOL_ARGS_H
#define CLEAVE_TOOLS_COMMON_TOOL_ARGS_H

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <string>

namespace cleave::tools {

/// One argument: `--help`/`-h`, a positional argument (`value`), or an option
/// (`name` and its `value`).
struct ToolArg {
  enum Kind { Help, Positional, Option } kind = Positional;
  std::string name, value;
};

/// Reads argv[*i] (and the value after it for `--name value`), leaving *i on
/// the last argument read. Returns false with *error set for an option not
/// in `known` or one whose value is missing.
inline bool nextToolArg(int argc, char **argv, int *i,
                        std::initializer_list<const char *> known,
                        ToolArg *arg, std::string *error) {
  std::string text = argv[*i];
  *arg = ToolArg();
  if (text == "--help" || text == "-h") {
    arg->kind = ToolArg::Help;
    return true;
  }
  if (text.rfind("--", 0) != 0) {
    arg->value = text;
    return true;
  }
  arg->kind = ToolArg::Option;
  size_t equals = text.find('=');
  arg->name = text.substr(0, equals);
  bool isKnown = false;
  for (const char *option : known)
    isKnown = isKnown || arg->name == option;
  if (!isKnown) {
    *error = "unknown option '" + arg->name + "'";
    return false;
  }
  if (equals != std::string::npos) {
    arg->value = text.substr(equals + 1);
  } else if (*i + 1 < argc) {
    arg->value = argv[++*i];
  } else {
    *error = arg->name + " needs a value";
    return false;
  }
  return true;
}

/// A whole decimal integer in [low, high].
inline bool parseInt(const std::string &text, long long low, long long high,
                     long long *value) {
  char *end = nullptr;
  errno = 0;
  long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || parsed < low || parsed > high)
    return false;
  *value = parsed;
  return true;
}

/// A whole finite number of at least `low`.
inline bool parseNumber(const std::string &text, double low, double *value) {
  char *end = nullptr;
  errno = 0;
  double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || errno || !std::isfinite(parsed) || parsed < low)
    return false;
  *value = parsed;
  return true;
}

} // namespace cleave::tools

#endif // CLEAVE_TOOLS_COMMON_TOOL_ARGS_H
