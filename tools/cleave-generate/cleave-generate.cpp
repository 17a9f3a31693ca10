//===- cleave-generate.cpp - Generates text with a --generate artifact ----===//
//
//   cleave-generate LM.cleave (--prompt TEXT | --prompt-ids 1,2,3)...
//                   [--max-new-tokens N] [--temperature T --top-k K --top-p P
//                   --seed S] [--repetition-penalty R] [--stop-id ID]... [--stop TEXT]...
//                   [--tokenizer FILE.model] [--ids] [--threads T] [--stats] [--explain]
//   mpirun -np N cleave-generate LM.cleave ...   (a plan on N ranks)
// Every failure prints exactly one line, "cleave-generate: error: <message>",
// on stderr and exits with status 1; under mpirun every rank exits 1 and the
// line is printed once, by rank 0 (or by the rank that failed mid-generation,
// which then ends the job).
//
//===----------------------------------------------------------------------===//

#include "cleave/generate.h"
#include "cleave/runtime.h"

#include "comm/transport.h"
#include "common/generation_args.h"
#include "common/tool_args.h"
#include "core/message.h"
#include "text/tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <vector>

using namespace cleave;

namespace {

const char kUsage[] =
    R"(usage: cleave-generate LM.cleave (--prompt TEXT | --prompt-ids LIST)...
                       [--max-new-tokens N] [--temperature T] [--top-k K]
                       [--top-p P] [--seed S] [--repetition-penalty R]
                       [--stop-id ID]... [--stop TEXT]... [--tokenizer FILE.model]
                       [--ids] [--threads T] [--stats] [--explain]
       mpirun -np N cleave-generate LM.cleave ...

Generates tokens with a decoder compiled by `cleave-compile --generate`. Each
--prompt or --prompt-ids is one sequence; all are generated together, in
flight as one batch. Greedy decoding unless --temperature is given.

options (each accepts both "--opt VALUE" and "--opt=VALUE"):
  --prompt TEXT        a prompt as text, encoded with --tokenizer (by default
                       byte-level: its UTF-8 bytes are its token ids, for a
                       vocabulary of 256)
  --prompt-ids LIST    a prompt as comma-separated token ids, e.g. 72,105
  --max-new-tokens N   new tokens per sequence (default: 64); prompt + N must
                       fit the artifact's --max-seq-len
  --temperature T      sample from softmax(logits / T) (T > 0; default: greedy)
  --top-k K            with --temperature: keep the K most likely tokens
  --top-p P            with --temperature: keep the most likely tokens whose
                       probabilities sum to P (0 < P <= 1)
  --seed S             with --temperature: the sampler's seed (default: 0)
  --repetition-penalty R
                       divide the logit of every token already in the
                       sequence by R if positive, multiply it if negative
                       (Hugging Face's; R > 0, default 1: none)
  --stop-id ID         a stop token (repeatable): a sequence that picks it
                       ends there, the stop token its last new token
  --stop TEXT          a stop text (repeatable, byte-level tokenizer only): a
                       sequence whose text ends with it after a new token
                       ends there, the text its last new tokens
  --tokenizer FILE.model
                       a SentencePiece model (spm_train's): text prompts are
                       encoded and the tokens decoded with it; its vocabulary
                       must be the model's
  --ids                print, per sequence in the order given, one line of its
                       new token ids separated by commas
  --threads T          CPU threads (default: the cores available)
  --stats              print on stderr the steps, the median, min and max time
                       of a step, and new tokens per second over all steps
  --explain            print on stderr, after generating, what each step
                       synchronised between ranks: the tensors sent per stage
                       boundary (bytes), the tensor-parallel all-reduces and
                       all-gathers (count, bytes) and the tokens sent back
A plan compiled for several devices (--pp, --tp) runs under mpirun, one rank
per device, every rank with the same command line; rank 0 prints. The tokens
are picked once, by the last stage's first rank, and sent to the others.
Without --ids the text is written to stdout: one sequence is streamed as its
tokens come; several are printed after, each as prompt and continuation
followed by a newline.
)";

bool gQuietFlag();

int fail(const std::string &message) {
  if (gQuietFlag())
    return 1;
  std::fprintf(stderr, "cleave-generate: error: %s\n", oneLineMessage(message).c_str());
  return 1;
}

struct Options {
  std::string artifact, tokenizerPath;
  std::vector<std::vector<int64_t>> prompts;
  /// Per prompt: its text (encoded once the tokenizer is known), or none.
  std::vector<std::pair<bool, std::string>> promptTexts;
  std::unique_ptr<Tokenizer> tokenizer;
  bool textPrompts = false, textStops = false, ids = false, stats = false;
  bool explain = false;
  GenerateOptions generate;
  tools::GenerationArgs args;
};

Status parseArgs(int argc, char **argv, Options *o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o->artifact.empty())
        return invalidArgumentError("unexpected argument '" + arg + "' (one artifact only)");
      o->artifact = arg;
      continue;
    }
    if (arg == "--ids") {
      o->ids = true;
      continue;
    }
    if (arg == "--stats") {
      o->stats = true;
      continue;
    }
    if (arg == "--explain") {
      o->explain = true;
      continue;
    }
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else {
      if (i + 1 >= argc)
        return invalidArgumentError("option '" + arg + "' needs a value");
      value = argv[++i];
    }
    if (std::optional<std::string> error =
            tools::readGenerationOption(arg, value, &o->generate, &o->args)) {
      if (!error->empty())
        return invalidArgumentError(*error);
    } else if (arg == "--prompt") {
      o->prompts.emplace_back();
      o->promptTexts.emplace_back(true, value);
      o->textPrompts = true;
    } else if (arg == "--tokenizer") {
      o->tokenizerPath = value;
    } else if (arg == "--prompt-ids") {
      std::vector<int64_t> ids;
      size_t start = 0;
      while (true) {
        size_t comma = value.find(',', start);
        std::string item = value.substr(start, comma == std::string::npos ? comma : comma - start);
        long long id = 0;
        if (!tools::parseInt(item, 0, INT64_MAX, &id))
          return invalidArgumentError("--prompt-ids expects comma-separated token ids, got '" +
                                      value + "'");
        ids.push_back(id);
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
      o->prompts.push_back(std::move(ids));
      o->promptTexts.emplace_back(false, std::string());
    } else if (arg == "--stop-id") {
      long long id = 0;
      if (!tools::parseInt(value, 0, INT64_MAX, &id))
        return invalidArgumentError("--stop-id expects a token id (a non-negative integer), got '" +
                                    value + "'");
      o->generate.stopIds.push_back(id);
    } else if (arg == "--stop") {
      if (value.empty())
        return invalidArgumentError("--stop expects a non-empty text");
      std::vector<int64_t> ids;
      for (unsigned char c : value)
        ids.push_back(c);
      o->generate.stopSequences.push_back(std::move(ids));
      o->textStops = true;
    } else {
      return invalidArgumentError("unknown option '" + arg + "' (see --help)");
    }
  }
  if (o->artifact.empty())
    return invalidArgumentError("no artifact given (see --help)");
  if (o->prompts.empty())
    return invalidArgumentError("no prompt given: --prompt TEXT or --prompt-ids LIST");
  if (std::string error = tools::checkGenerationArgs(o->args); !error.empty())
    return invalidArgumentError(error);
  if (!o->tokenizerPath.empty()) {
    if (o->textStops)
      return invalidArgumentError("--stop needs the byte-level tokenizer: with --tokenizer, "
                                  "use --stop-id");
    StatusOr<std::unique_ptr<Tokenizer>> loaded = Tokenizer::loadSentencePiece(o->tokenizerPath);
    if (!loaded.ok())
      return loaded.status();
    o->tokenizer = std::move(loaded).value();
  } else {
    o->tokenizer = Tokenizer::byteLevel();
  }
  for (size_t i = 0; i < o->prompts.size(); ++i)
    if (o->promptTexts[i].first)
      o->prompts[i] = o->tokenizer->encode(o->promptTexts[i].second);
  return Status();
}

/// Set once the error has been printed (or left to another rank).
bool gQuiet = false;

/// Under mpirun: rank 0 prints an error every rank shares, then all meet at a
/// barrier, so that no rank's exit ends the job before the line is out.
Status reportOnce(Transport &transport, const Status &status) {
  if (transport.rank() == 0) {
    std::fflush(stdout);
    std::fprintf(stderr, "cleave-generate: error: %s\n", oneLineMessage(status.message()).c_str());
    std::fflush(stderr);
  }
  gQuiet = true;
  (void)transport.barrier();
  return status;
}

/// Generates with `g` and prints (only `print` prints: rank 0 of a job).
Status generateAndPrint(const Options &o, Generator &g, bool print) {
  bool text = !o.ids;
  bool stream = print && text && o.prompts.size() == 1;
  DecodeStream decoder(*o.tokenizer);
  auto write = [](const std::string &piece) {
    if (piece.empty())
      return;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  if (stream)
    write(decoder.add(o.prompts[0]));
  std::vector<std::vector<int64_t>> tokens;
  Status status = g.generate(o.prompts, o.generate, &tokens, [&](size_t, int64_t token) {
    if (stream)
      write(decoder.add({token}));
  });
  if (!status.ok()) {
    if (stream) {
      write(decoder.finish());
      std::fputc('\n', stdout);
    }
    return status;
  }
  if (!print)
    return Status();
  if (stream) {
    write(decoder.finish());
    std::fputc('\n', stdout);
  } else {
    for (size_t s = 0; s < tokens.size(); ++s) {
      if (o.ids) {
        for (size_t i = 0; i < tokens[s].size(); ++i)
          std::printf(i ? ",%lld" : "%lld", static_cast<long long>(tokens[s][i]));
      } else {
        std::vector<int64_t> all = o.prompts[s];
        all.insert(all.end(), tokens[s].begin(), tokens[s].end());
        std::string line = o.tokenizer->decode(all);
        std::fwrite(line.data(), 1, line.size(), stdout);
      }
      std::fputc('\n', stdout);
    }
  }
  if (o.stats) {
    std::vector<double> steps = g.stepSeconds();
    double total = 0;
    for (double s : steps)
      total += s;
    std::sort(steps.begin(), steps.end());
    size_t n = steps.size();
    size_t generated = 0;
    for (const std::vector<int64_t> &t : tokens)
      generated += t.size();
    double median = n == 0 ? 0 : n % 2 ? steps[n / 2] : (steps[n / 2 - 1] + steps[n / 2]) / 2;
    std::fprintf(stderr,
                 "steps=%zu step_ms median=%.4f min=%.4f max=%.4f sequences=%zu "
                 "new_tokens=%lld tokens_per_s=%.1f\n",
                 n, median * 1e3, n ? steps.front() * 1e3 : 0.0, n ? steps.back() * 1e3 : 0.0,
                 o.prompts.size(), static_cast<long long>(generated),
                 total > 0 ? generated / total : 0.0);
  }
  return Status();
}

/// The checks of the options that need the model.
Status checkVocabulary(const Options &o, const Generator &g) {
  if (!o.tokenizerPath.empty()) {
    if (o.tokenizer->vocabSize() != g.vocabSize())
      return invalidArgumentError("tokenizer '" + o.tokenizerPath + "' has " +
                                  std::to_string(o.tokenizer->vocabSize()) +
                                  " pieces, the model's vocabulary " +
                                  std::to_string(g.vocabSize()) + " tokens");
    return Status();
  }
  if ((!o.ids || o.textPrompts || o.textStops) && g.vocabSize() != 256)
    return invalidArgumentError("the model's vocabulary has " + std::to_string(g.vocabSize()) +
                                " tokens: text needs a byte-level one of 256 (give its "
                                "--tokenizer, or use --prompt-ids and --ids)");
  return Status();
}

/// Under mpirun with several ranks: one stage per rank. Failures before the
/// steps are agreed on (every rank exits 1, rank 0 prints the message); a
/// failure during the steps ends the whole job.
Status runDistributed(const Options &o, const Status &parsed, int *argc, char ***argv) {
  setWaitTimeout(kDefaultWaitTimeoutSeconds, "cleave-generate");
  StatusOr<std::shared_ptr<Transport>> created = createMpiTransport(argc, argv);
  if (!created.ok()) {
    // No MPI to agree through: rank 0 reports, the others give it a moment.
    if (detectMpiLaunch().rank != 0) {
      gQuiet = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return created.status();
  }
  std::shared_ptr<Transport> transport = std::move(created).value();
  Status agreed = transport->agree(parsed);
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  // Each rank checksums only the sections it uses.
  StatusOr<std::unique_ptr<Artifact>> opened = Artifact::open(o.artifact, transport->rank());
  agreed = transport->agree(opened.status());
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  std::shared_ptr<const Artifact> artifact = std::move(opened).value();
  StatusOr<std::unique_ptr<Generator>> generator = Generator::create(
      artifact, static_cast<int64_t>(o.prompts.size()),
      SessionOptions(static_cast<int>(o.args.threads), transport));
  if (!generator.ok())
    return reportOnce(*transport, generator.status());
  Generator &g = **generator;
  agreed = transport->agree(checkVocabulary(o, g));
  if (!agreed.ok())
    return reportOnce(*transport, agreed);
  bool print = transport->rank() == 0;
  Status status = generateAndPrint(o, g, print);
  if (!status.ok()) {
    if (!g.jobBroken())
      return reportOnce(*transport, status);
    std::fflush(stdout);
    std::fprintf(stderr, "cleave-generate: error: rank %d: %s\n", transport->rank(),
                 oneLineMessage(status.message()).c_str());
    std::fflush(stderr);
    transport->abort(1);
  }
  if (o.explain) {
    std::string text;
    status = g.explainSync(&text);
    if (!status.ok())
      return reportOnce(*transport, status);
    std::fputs(text.c_str(), stderr);
  }
  std::fflush(stdout);
  return transport->agree(Status());
}

Status runMain(int argc, char **argv) {
  Options o;
  Status status = parseArgs(argc, argv, &o);
  MpiLaunch launch = detectMpiLaunch();
  if (launch.underMpirun && launch.size != 1)
    return runDistributed(o, status, &argc, &argv);
  if (!status.ok())
    return status;
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(o.artifact);
  if (!artifact.ok())
    return artifact.status();
  std::shared_ptr<const Artifact> shared = std::move(*artifact);
  SessionOptions sessionOptions(static_cast<int>(o.args.threads));
  StatusOr<std::unique_ptr<Generator>> generator =
      Generator::create(shared, static_cast<int64_t>(o.prompts.size()), sessionOptions);
  if (!generator.ok())
    return generator.status();
  Generator &g = **generator;
  status = checkVocabulary(o, g);
  if (!status.ok())
    return status;
  status = generateAndPrint(o, g, true);
  if (!status.ok())
    return status;
  if (o.explain) {
    std::string text;
    status = g.explainSync(&text);
    if (!status.ok())
      return status;
    std::fputs(text.c_str(), stderr);
  }
  return Status();
}

bool gQuietFlag() { return gQuiet; }

} // namespace

int main(int argc, char **argv) {
  return cleave::tools::guardedMain(runMain, argc, argv, fail);
}
