//===- cleave-chat.cpp - A chat on the terminal with a --generate artifact -===//
//
//   cleave-chat LM.cleave [--system TEXT] [--max-new-tokens N]
//               [--temperature T --top-k K --top-p P --seed S]
//               [--repetition-penalty R] [--ids] [--threads T]
// Reads a message per line from stdin and streams the reply to stdout, the
// conversation kept in the context (cleave-serve's chat template and
// generation loop: docs/generation.md). /reset forgets it, /quit, end of
// input or Ctrl-C ends. Bad options and artifacts print one line
// "cleave-chat: error: <message>" and exit 1.
//
//===----------------------------------------------------------------------===//

#include "cleave/generate.h"
#include "cleave/runtime.h"

#include "common/generation_args.h"
#include "common/tool_args.h"
#include "core/message.h"
#include "serve/completion.h"
#include "text/tokenizer.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using cleave::GenerateOptions;
using cleave::Generator;
using cleave::Status;
using cleave::StatusOr;
using cleave::invalidArgumentError;
using cleave::serve::ChatMessage;
using cleave::serve::renderChat;
using cleave::serve::TextStream;

const char kUsage[] =
    R"(usage: cleave-chat LM.cleave [--system TEXT] [--max-new-tokens N]
                   [--temperature T] [--top-k K] [--top-p P] [--seed S]
                   [--repetition-penalty R] [--tokenizer FILE.model] [--ids]
                   [--threads T]

A chat with a decoder compiled by `cleave-compile --generate` (a plan on one
rank, byte-level vocabulary of 256, or the vocabulary of --tokenizer). Each line read from stdin is a message;
the reply is streamed to stdout, followed by a newline. The conversation stays
in the context: each reply sees the messages before it, rendered with the
byte-level chat template of cleave-serve's /v1/chat/completions
("<role>: <content>\n" per message, then "assistant: "), and a reply ends at
"\nuser:" or after --max-new-tokens. When the conversation no longer fits the
context (--max-seq-len), its oldest messages are dropped (a note on stderr).
Greedy decoding unless --temperature is given.

  /reset               forget the conversation (the --system message stays)
  /quit                end (so do the end of input and Ctrl-C)

options (each accepts both "--opt VALUE" and "--opt=VALUE"):
  --system TEXT        a system message before the conversation
  --max-new-tokens N   tokens per reply at most (default: 64)
  --temperature T      sample from softmax(logits / T) (T > 0; default: greedy)
  --top-k K            with --temperature: keep the K most likely tokens
  --top-p P            with --temperature: keep the most likely tokens whose
                       probabilities sum to P (0 < P <= 1)
  --seed S             with --temperature: the sampler's seed (default: 0);
                       reply n draws with seed S + n
  --repetition-penalty R
                       Hugging Face's repetition penalty (R > 0, default 1)
  --tokenizer FILE.model
                       a SentencePiece model (spm_train's) whose pieces are the
                       model's vocabulary: the conversation is encoded and the
                       replies decoded with it, and a reply ends where its text
                       reaches "\nuser:"
  --ids                print each reply as its token ids separated by commas
                       (the stop that ended it included) instead of its text
  --threads T          CPU threads (default: the cores available)
)";

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "cleave-chat: error: %s\n", cleave::oneLineMessage(message).c_str());
  return 1;
}

std::atomic<int> gInterrupted{0};

void onInterrupt(int) { gInterrupted = 1; }

struct Options {
  std::string artifact, system, tokenizer;
  GenerateOptions generate;
  bool ids = false;
  cleave::tools::GenerationArgs args;
};

Status parseArgs(int argc, char **argv, Options *o) {
  o->generate.maxNewTokens = 64;
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
            cleave::tools::readGenerationOption(arg, value, &o->generate, &o->args)) {
      if (!error->empty())
        return invalidArgumentError(*error);
    } else if (arg == "--system") {
      o->system = value;
    } else if (arg == "--tokenizer") {
      o->tokenizer = value;
    } else {
      return invalidArgumentError("unknown option '" + arg + "' (see --help)");
    }
  }
  if (o->artifact.empty())
    return invalidArgumentError("no artifact given (see --help)");
  if (std::string error = cleave::tools::checkGenerationArgs(o->args); !error.empty())
    return invalidArgumentError(error);
  return Status();
}

/// A line of stdin without its newline; false at the end of input or on
/// Ctrl-C.
bool readLine(std::string *line) {
  line->clear();
  while (true) {
    int c = std::fgetc(stdin);
    if (c == EOF) {
      if (gInterrupted || !std::ferror(stdin) || errno != EINTR)
        return !line->empty() && !gInterrupted;
      std::clearerr(stdin);
      continue;
    }
    if (c == '\n')
      return true;
    line->push_back(static_cast<char>(c));
  }
}

std::vector<int64_t> bytesOf(const std::string &text) {
  std::vector<int64_t> ids;
  for (unsigned char c : text)
    ids.push_back(c);
  return ids;
}

Status runMain(int argc, char **argv) {
  Options o;
  Status status = parseArgs(argc, argv, &o);
  if (!status.ok())
    return status;
  std::unique_ptr<cleave::Tokenizer> tokenizer;
  if (!o.tokenizer.empty()) {
    StatusOr<std::unique_ptr<cleave::Tokenizer>> loaded =
        cleave::Tokenizer::loadSentencePiece(o.tokenizer);
    if (!loaded.ok())
      return loaded.status();
    tokenizer = std::move(loaded).value();
  }
  // Ctrl-C ends the reply in progress, or the wait for a line, and then the
  // chat (no SA_RESTART: a read in progress returns).
  struct sigaction action = {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  StatusOr<std::unique_ptr<cleave::Artifact>> artifact = cleave::Artifact::open(o.artifact);
  if (!artifact.ok())
    return artifact.status();
  std::shared_ptr<const cleave::Artifact> shared = std::move(artifact).value();
  StatusOr<std::unique_ptr<Generator>> created =
      Generator::create(shared, 1, cleave::SessionOptions(static_cast<int>(o.args.threads)));
  if (!created.ok())
    return created.status();
  Generator &g = **created;
  if (tokenizer && tokenizer->vocabSize() != g.vocabSize())
    return invalidArgumentError("tokenizer '" + o.tokenizer + "' has " +
                                std::to_string(tokenizer->vocabSize()) +
                                " pieces, the model's vocabulary " +
                                std::to_string(g.vocabSize()) + " tokens");
  if (!tokenizer && g.vocabSize() != 256)
    return invalidArgumentError("the model's vocabulary has " + std::to_string(g.vocabSize()) +
                                " tokens: a chat needs a byte-level one of 256 (or its "
                                "--tokenizer)");
  const std::string turnEnd = cleave::serve::kChatTurnEnd;
  // Byte-level: the turn's end is a stop sequence of tokens; with a
  // tokenizer, the reply's text is searched for it as it is decoded.
  if (!tokenizer)
    o.generate.stopSequences = {bytesOf(turnEnd)};
  auto encode = [&](const std::string &text) {
    return tokenizer ? tokenizer->encode(text) : bytesOf(text);
  };
  const bool terminal = isatty(STDIN_FILENO);
  std::vector<ChatMessage> messages;
  if (!o.system.empty())
    messages.push_back({"system", o.system});
  const size_t kept = messages.size(); // the system message stays
  const uint64_t seed = o.generate.sampling.seed;
  uint64_t replies = 0;
  std::string line;
  while (!gInterrupted) {
    if (terminal) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    if (!readLine(&line))
      break;
    if (line == "/quit")
      break;
    if (line == "/reset") {
      messages.resize(kept);
      std::fputs("(the conversation is forgotten)\n", stderr);
      continue;
    }
    if (line.empty())
      continue;
    messages.push_back({"user", line});
    // The prompt and the reply's tokens must fit the context: the oldest
    // messages go first.
    std::vector<int64_t> prompt = encode(renderChat(messages));
    size_t dropped = 0;
    while (static_cast<int64_t>(prompt.size()) + o.generate.maxNewTokens > g.maxSeqLen() &&
           messages.size() > kept + 1) {
      messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(kept));
      ++dropped;
      prompt = encode(renderChat(messages));
    }
    if (dropped > 0)
      std::fprintf(stderr, "(the context is full: the %zu oldest message(s) were dropped)\n",
                   dropped);
    GenerateOptions options = o.generate;
    options.sampling.seed = seed + replies++;
    Status joined = g.join(0, prompt, options);
    if (!joined.ok()) {
      // A message longer than the context: said once, and the chat goes on.
      std::fprintf(stderr, "cleave-chat: error: the message does not fit the context: %s\n",
                   cleave::oneLineMessage(joined.message()).c_str());
      messages.pop_back();
      continue;
    }
    TextStream text(turnEnd.size() - 1);
    std::unique_ptr<cleave::DecodeStream> decoded;
    if (tokenizer)
      decoded = std::make_unique<cleave::DecodeStream>(*tokenizer, turnEnd);
    std::vector<int64_t> reply;
    int64_t stopTokens = 0;
    bool finished = false;
    bool stopText = false; // with a tokenizer: the text reached the turn's end
    while (!finished && !stopText && !gInterrupted) {
      std::vector<Generator::SlotToken> tokens;
      Status stepped = g.step(&tokens);
      if (!stepped.ok())
        return stepped;
      for (const Generator::SlotToken &t : tokens) {
        reply.push_back(t.token);
        finished = t.finished;
        stopTokens = t.stopTokens;
        std::string piece;
        if (decoded) {
          piece = decoded->add({t.token});
          if (decoded->stopped())
            stopText = true;
          else if (t.finished)
            piece += decoded->finish();
        } else {
          piece = text.add(t.token, t.finished, t.stopTokens);
        }
        if (!o.ids) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
        }
      }
    }
    if (!finished) {
      g.leave(0); // Ctrl-C, or the reply's text reached the turn's end
      if (decoded && !stopText && !o.ids) {
        std::string rest = decoded->finish();
        std::fwrite(rest.data(), 1, rest.size(), stdout);
      }
    }
    if (o.ids)
      for (size_t i = 0; i < reply.size(); ++i)
        std::printf(i ? ",%lld" : "%lld", static_cast<long long>(reply[i]));
    std::fputc('\n', stdout);
    std::fflush(stdout);
    // The reply as the model wrote it, less the stop that ended it.
    std::string content =
        decoded ? decoded->text()
                : std::string(reply.begin(), reply.end() - static_cast<std::ptrdiff_t>(stopTokens));
    messages.push_back({"assistant", content});
  }
  if (terminal && gInterrupted)
    std::fputc('\n', stdout);
  return Status();
}

} // namespace

int main(int argc, char **argv) {
  return cleave::tools::guardedMain(runMain, argc, argv, fail);
}
