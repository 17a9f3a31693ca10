//===- tool_args.h - The command line and main of the runtime's tools -----===//
//
// cleave-serve and cleave-batch take one artifact and options written
// `--name value` or `--name=value`; both read them here (readToolArgs), with
// the same messages for an unknown option, a missing value or a second
// artifact. cleave-run and cleave-generate end through guardedMain.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TOOLS_COMMON_TOOL_ARGS_H
#define CLEAVE_TOOLS_COMMON_TOOL_ARGS_H

#include "cleave/runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <new>
#include <optional>
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

/// Reads a whole command line of one artifact and options in `known`:
/// `--help` prints `usage`; the artifact goes to *artifact; each option goes
/// to `option(name, value)`, which returns an error message ("" when the value
/// is fine). Returns the exit status when the tool should end now (0 after
/// --help, `usageError(message)` for a bad argument), nullopt to go on. A
/// missing artifact is the caller's to report.
template <typename OnOption, typename UsageError>
std::optional<int> readToolArgs(int argc, char **argv,
                                std::initializer_list<const char *> known,
                                const char *usage, std::string *artifact,
                                OnOption option, UsageError usageError) {
  for (int i = 1; i < argc; ++i) {
    ToolArg arg;
    std::string error;
    if (!nextToolArg(argc, argv, &i, known, &arg, &error))
      return usageError(error);
    if (arg.kind == ToolArg::Help) {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg.kind == ToolArg::Positional) {
      if (!artifact->empty())
        return usageError("unexpected argument '" + arg.value +
                          "' (one artifact only)");
      *artifact = arg.value;
      continue;
    }
    error = option(arg.name, arg.value);
    if (!error.empty())
      return usageError(error);
  }
  return std::nullopt;
}

/// A tool's main around `runMain`: its failed Status, a failed flush of
/// stdout or an exception each become one error line through `fail`, which
/// returns the exit status.
template <typename Fail>
int guardedMain(Status (*runMain)(int, char **), int argc, char **argv,
                Fail fail) {
  try {
    Status status = runMain(argc, argv);
    if (!status.ok())
      return fail(status.message());
    if (std::fflush(stdout) != 0)
      return fail("cannot write to stdout");
    return 0;
  } catch (const std::bad_alloc &) {
    return fail("out of memory");
  } catch (const std::exception &error) {
    return fail(std::string("internal error: ") + error.what());
  } catch (...) {
    return fail("internal error");
  }
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
