//===- generation_args.h - The options of the generation tools ------------===//
//
// cleave-generate and cleave-chat take the same options for how many tokens
// are generated and how each is drawn; both read them here, with the same
// bounds and messages.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TOOLS_COMMON_GENERATION_ARGS_H
#define CLEAVE_TOOLS_COMMON_GENERATION_ARGS_H

#include "cleave/generate.h"
#include "common/tool_args.h"

#include <cstdint>
#include <optional>
#include <string>

namespace cleave::tools {

/// What the shared options set besides GenerateOptions.
struct GenerationArgs {
  int64_t threads = 0;
  /// --temperature was given (sampling instead of greedy decoding).
  bool sampling = false;
  /// --top-k, --top-p or --seed was given: they need --temperature.
  bool samplingOption = false;
};

/// Reads `--name value` if it is one of the shared options (--max-new-tokens,
/// --temperature, --top-k, --top-p, --seed, --repetition-penalty, --threads):
/// returns "" when the value is fine, the error line when it is not, and
/// nullopt when `name` is none of them.
inline std::optional<std::string>
readGenerationOption(const std::string &name, const std::string &value,
                     GenerateOptions *generate, GenerationArgs *args) {
  long long integer = 0;
  double number = 0;
  if (name == "--max-new-tokens") {
    if (!parseInt(value, 1, 1LL << 40, &integer))
      return "--max-new-tokens expects a positive integer, got '" + value + "'";
    generate->maxNewTokens = integer;
  } else if (name == "--temperature") {
    if (!parseNumber(value, 0, &number) || number <= 0)
      return "--temperature expects a positive number, got '" + value + "'";
    generate->sampling.temperature = number;
    args->sampling = true;
  } else if (name == "--top-k") {
    if (!parseInt(value, 1, 1LL << 40, &integer))
      return "--top-k expects a positive integer, got '" + value + "'";
    generate->sampling.topK = integer;
    args->samplingOption = true;
  } else if (name == "--top-p") {
    if (!parseNumber(value, 0, &number) || number <= 0 || number > 1)
      return "--top-p expects a number in (0, 1], got '" + value + "'";
    generate->sampling.topP = number;
    args->samplingOption = true;
  } else if (name == "--seed") {
    if (!parseInt(value, 0, 1LL << 62, &integer))
      return "--seed expects a non-negative integer, got '" + value + "'";
    generate->sampling.seed = static_cast<uint64_t>(integer);
    args->samplingOption = true;
  } else if (name == "--repetition-penalty") {
    if (!parseNumber(value, 0, &number) || !(number > 0) || number > 1e30)
      return "--repetition-penalty expects a positive number, got '" + value + "'";
    generate->sampling.repetitionPenalty = number;
  } else if (name == "--threads") {
    if (!parseInt(value, 1, 4096, &integer))
      return "--threads expects a positive integer, got '" + value + "'";
    args->threads = integer;
  } else {
    return std::nullopt;
  }
  return std::string();
}

/// The check after the whole command line: sampling options without
/// --temperature are an error ("" when fine).
inline std::string checkGenerationArgs(const GenerationArgs &args) {
  if (args.samplingOption && !args.sampling)
    return "--top-k, --top-p and --seed need --temperature";
  return std::string();
}

} // namespace cleave::tools

#endif // CLEAVE_TOOLS_COMMON_GENERATION_ARGS_H
