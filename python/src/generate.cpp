// generate.cpp - cleave._generate: the runtime's generation loop (cleave/generate.h) from
// Python. The package's cleave.generate() turns text prompts into byte ids and wraps the
// result; this part checks the options, runs the loop with the GIL released and returns the
// new ids per sequence.
#include "binding.h"

#include "cleave/generate.h"

#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace cleave::python {

namespace {

std::vector<std::vector<int64_t>>
generate(const std::string &path, const std::vector<std::vector<int64_t>> &prompts,
         bool text, int64_t maxNewTokens, double temperature, int64_t topK, double topP,
         int64_t seed, const std::vector<int64_t> &stopIds,
         const std::vector<std::vector<int64_t>> &stops, double repetitionPenalty,
         int threads) {
  if (prompts.empty())
    throwInvalid("no prompt given");
  if (maxNewTokens < 1)
    throwInvalid("max_new_tokens must be a positive integer, got " +
                 std::to_string(maxNewTokens));
  if (!(temperature >= 0) || std::isinf(temperature))
    throwInvalid("temperature must be 0 (greedy) or a positive number, got " +
                 std::to_string(temperature));
  if (topK < 0)
    throwInvalid("top_k must be 0 (all) or a positive integer, got " + std::to_string(topK));
  if (!(topP > 0 && topP <= 1))
    throwInvalid("top_p must be a number in (0, 1], got " + std::to_string(topP));
  if (seed < 0)
    throwInvalid("seed must be a non-negative integer, got " + std::to_string(seed));
  if (!(repetitionPenalty > 0) || std::isinf(repetitionPenalty))
    throwInvalid("repetition_penalty must be a positive number, got " +
                 std::to_string(repetitionPenalty));
  if (threads < 0)
    throwInvalid("threads must be 0 (all cores) or a positive integer, got " +
                 std::to_string(threads));
  GenerateOptions options;
  options.maxNewTokens = maxNewTokens;
  options.sampling.temperature = temperature;
  options.sampling.topK = topK;
  options.sampling.topP = topP;
  options.sampling.seed = static_cast<uint64_t>(seed);
  options.sampling.repetitionPenalty = repetitionPenalty;
  options.stopIds = stopIds;
  options.stopSequences = stops;

  std::vector<std::vector<int64_t>> tokens;
  Status status;
  {
    py::gil_scoped_release nogil;
    status = [&]() -> Status {
      StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
      if (!artifact.ok())
        return artifact.status();
      std::shared_ptr<const Artifact> shared = std::move(*artifact);
      StatusOr<std::unique_ptr<Generator>> generator = Generator::create(
          shared, static_cast<int64_t>(prompts.size()), SessionOptions(threads));
      if (!generator.ok())
        return generator.status();
      if ((text || !stops.empty()) && (*generator)->vocabSize() != 256)
        return invalidArgumentError(
            "the model's vocabulary has " + std::to_string((*generator)->vocabSize()) +
            " tokens: text prompts and stop texts need a byte-level one of 256 (use "
            "prompt_ids and stop_ids)");
      return (*generator)->generate(prompts, options, &tokens);
    }();
  }
  throwIfFailed(status);
  return tokens;
}

} // namespace

void registerGenerate(py::module_ &module) {
  module.def("_generate", &generate, py::arg("path"), py::arg("prompts"), py::arg("text"),
             py::arg("max_new_tokens"), py::arg("temperature"), py::arg("top_k"),
             py::arg("top_p"), py::arg("seed"), py::arg("stop_ids"), py::arg("stops"),
             py::arg("repetition_penalty"), py::arg("threads"),
             "The new token ids per prompt, from the artifact's generation loop; use "
             "cleave.generate.");
}

} // namespace cleave::python
