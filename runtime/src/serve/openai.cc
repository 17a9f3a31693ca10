//===- openai.cc - cleave-serve's OpenAI-compatible generation endpoints --===//
//
// HTTP handler threads check a request, queue it and wait for its tokens;
// one thread (the one that called runGenerationServer) owns the Generator
// and runs the decode loop: between two steps it moves queued requests into
// free slots, then steps every occupied slot at once and hands each request
// its new token. A streamed answer writes each piece of text as it comes.
//
//===----------------------------------------------------------------------===//

#include "serve/openai.h"

#include "cleave/generate.h"
#include "serve/completion.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace cleave::serve {

using nlohmann::json;

namespace {

void printError(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "cleave-serve: error: %s\n", message.c_str());
  std::fflush(stderr);
}

/// An error in OpenAI's shape.
struct ApiError {
  int status = 400;
  std::string message;
  std::string param;
  std::string code;
  std::string body() const {
    json error{{"message", message},
               {"type", status >= 500 ? "server_error" : "invalid_request_error"},
               {"param", param.empty() ? json(nullptr) : json(param)},
               {"code", code.empty() ? json(nullptr) : json(code)}};
    return json{{"error", error}}.dump();
  }
};

/// One request in the running batch: the decode loop adds its tokens, the
/// handler thread sends them.
struct Completion {
  std::vector<int64_t> prompt;
  GenerateOptions options;
  std::mutex mutex;
  std::condition_variable changed;
  /// New tokens so far, with how the last one ended the sequence.
  std::vector<int64_t> tokens;
  bool finished = false;
  bool stopped = false;
  int64_t stopTokens = 0;
  /// Set when the sequence cannot go on (the step failed, the server stops).
  std::optional<ApiError> error;
  /// The client went away: the loop frees its slot.
  std::atomic<bool> cancelled{false};
  /// Joined, not stepped yet (loop thread only).
  bool fresh = true;
};

/// What a request asked for, checked.
struct Parsed {
  bool chat = false;
  bool stream = false;
  std::vector<int64_t> prompt;
  GenerateOptions options;
};

/// "'name' must be ...": the request's field has the wrong type or value.
ApiError badField(const std::string &name, const std::string &what) {
  return ApiError{400, "'" + name + "' must be " + what, name, ""};
}

std::string typeName(const json &value) {
  switch (value.type()) {
  case json::value_t::string:
    return "a string";
  case json::value_t::boolean:
    return "a boolean";
  case json::value_t::array:
    return "an array";
  case json::value_t::object:
    return "an object";
  case json::value_t::number_float:
    return "a number";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
    return "an integer";
  default:
    return "null";
  }
}

class GenerationServer {
public:
  GenerationServer(const ServeOptions &options, std::shared_ptr<const Artifact> artifact,
                   std::unique_ptr<Generator> generator, std::string name, int64_t slots)
      : options_(options), artifact_(std::move(artifact)),
        generator_(std::move(generator)), name_(std::move(name)), slots_(slots),
        active_(static_cast<size_t>(slots)), created_(std::time(nullptr)),
        stepsWith_(static_cast<size_t>(slots) + 1) {}

  Status start();
  int serve(const std::atomic<int> &stopSignal);

private:
  void routes();
  /// Checks a completion request's body.
  std::optional<ApiError> parse(const std::string &body, bool chat, Parsed *out) const;
  void complete(const httplib::Request &req, httplib::Response &res, bool chat);
  void answerError(httplib::Response &res, const ApiError &error) {
    res.status = error.status;
    res.set_content(error.body(), "application/json");
  }
  /// The JSON of one answer: a whole completion, or (stream) one chunk.
  json answerJson(const std::string &id, int64_t created, bool chat, bool chunk,
                  const std::string &text, const std::vector<int64_t> &ids,
                  const char *finishReason) const;
  /// Between steps: frees the slots of cancelled requests and fills the free
  /// ones from the queue. Returns whether any slot is busy.
  bool admit();
  void failAll(const ApiError &error);

  ServeOptions options_;
  std::shared_ptr<const Artifact> artifact_;
  std::unique_ptr<Generator> generator_;
  std::string name_;
  int64_t slots_;
  httplib::Server http_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> nextId_{1};

  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<std::shared_ptr<Completion>> queue_;
  /// No handler can queue more: the listener returned.
  bool closed_ = false;
  /// Per slot, the request in it (loop thread only).
  std::vector<std::shared_ptr<Completion>> active_;
  std::time_t created_;
  /// For /metrics: steps by the number of sequences in them, new tokens,
  /// sequences that joined an idle batch or one running.
  std::vector<std::atomic<uint64_t>> stepsWith_;
  std::atomic<uint64_t> tokens_{0}, joinedIdle_{0}, joinedRunning_{0};
};

Status GenerationServer::start() {
  routes();
  http_.set_payload_max_length(options_.maxBodyBytes);
  http_.set_keep_alive_timeout(2);
  http_.set_tcp_nodelay(true);
  http_.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http_.new_task_queue = [] { return new httplib::ThreadPool(64); };
  if (options_.port == 0) {
    port_ = http_.bind_to_any_port(options_.host);
    if (port_ < 0)
      return failedPreconditionError("cannot listen on " + options_.host);
  } else {
    if (!http_.bind_to_port(options_.host, options_.port))
      return failedPreconditionError("cannot listen on " + options_.host + ":" +
                                     std::to_string(options_.port) +
                                     " (in use, or not an address of this machine)");
    port_ = options_.port;
  }
  return Status();
}

json GenerationServer::answerJson(const std::string &id, int64_t created, bool chat,
                                  bool chunk, const std::string &text,
                                  const std::vector<int64_t> &ids,
                                  const char *finishReason) const {
  json choice{{"index", 0}};
  if (chat) {
    json message{{"content", text}};
    if (!chunk)
      message["role"] = "assistant";
    choice[chunk ? "delta" : "message"] = message;
  } else {
    choice["text"] = text;
    choice["logprobs"] = nullptr;
  }
  // The tokens themselves: a byte-level vocabulary's text can hold bytes
  // that are not UTF-8, which the text shows as U+FFFD.
  choice["token_ids"] = ids;
  choice["finish_reason"] = finishReason ? json(finishReason) : json(nullptr);
  return json{{"id", id},
              {"object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                              : "text_completion"},
              {"created", created},
              {"model", name_},
              {"choices", json::array({choice})}};
}

std::optional<ApiError> GenerationServer::parse(const std::string &body, bool chat,
                                                Parsed *out) const {
  json request;
  try {
    request = json::parse(body);
  } catch (const json::exception &error) {
    return ApiError{400, std::string("the body is not valid JSON: ") + error.what(), "", ""};
  }
  if (!request.is_object())
    return ApiError{400, "the body must be a JSON object, got " + typeName(request), "", ""};
  out->chat = chat;
  auto field = [&](const char *name) -> const json * {
    auto it = request.find(name);
    return it == request.end() || it->is_null() ? nullptr : &*it;
  };
  if (const json *model = field("model")) {
    if (!model->is_string())
      return badField("model", "a string, got " + typeName(*model));
    if (model->get<std::string>() != name_)
      return ApiError{404,
                      "the model '" + model->get<std::string>() +
                          "' does not exist (this server has '" + name_ + "')",
                      "model", "model_not_found"};
  }
  std::vector<std::vector<int64_t>> stops;
  if (chat) {
    const json *messages = field("messages");
    if (!messages)
      return ApiError{400, "'messages' is required", "messages", ""};
    if (!messages->is_array() || messages->empty())
      return badField("messages", "a non-empty array of messages, got " + typeName(*messages));
    std::vector<ChatMessage> chatMessages;
    for (const json &message : *messages) {
      if (!message.is_object())
        return badField("messages", "an array of objects, one holds " + typeName(message));
      auto role = message.find("role");
      auto content = message.find("content");
      if (role == message.end() || !role->is_string() ||
          (*role != "system" && *role != "user" && *role != "assistant"))
        return badField("messages", "messages whose 'role' is \"system\", \"user\" or "
                                    "\"assistant\"");
      if (content == message.end() || !content->is_string())
        return badField("messages", "messages whose 'content' is a string");
      chatMessages.push_back({role->get<std::string>(), content->get<std::string>()});
    }
    std::string text = renderChat(chatMessages);
    out->prompt.assign(text.begin(), text.end());
    for (int64_t &id : out->prompt)
      id = static_cast<unsigned char>(id);
    std::string end = kChatTurnEnd;
    stops.push_back(std::vector<int64_t>(end.begin(), end.end()));
  } else {
    const json *prompt = field("prompt");
    if (!prompt)
      return ApiError{400, "'prompt' is required", "prompt", ""};
    if (prompt->is_string()) {
      for (unsigned char c : prompt->get<std::string>())
        out->prompt.push_back(c);
    } else if (prompt->is_array() && !prompt->empty() &&
               std::all_of(prompt->begin(), prompt->end(),
                           [](const json &id) { return id.is_number_integer(); })) {
      for (const json &id : *prompt) {
        int64_t value = id.get<int64_t>();
        if (value < 0 || value >= generator_->vocabSize())
          return badField("prompt", "token ids in [0, " +
                                        std::to_string(generator_->vocabSize()) + "), got " +
                                        std::to_string(value));
        out->prompt.push_back(value);
      }
    } else {
      return badField("prompt", "a string or an array of token ids, got " +
                                    typeName(*prompt));
    }
    if (out->prompt.empty())
      return badField("prompt", "non-empty");
  }
  if (const json *n = field("n"))
    if (!n->is_number_integer() || n->get<int64_t>() != 1)
      return ApiError{400, "'n' must be 1: one choice per request", "n", ""};
  if (const json *stream = field("stream")) {
    if (!stream->is_boolean())
      return badField("stream", "a boolean, got " + typeName(*stream));
    out->stream = stream->get<bool>();
  }
  GenerateOptions &options = out->options;
  const int64_t room = generator_->maxSeqLen() - static_cast<int64_t>(out->prompt.size());
  // Completions default to 16 new tokens, as OpenAI's; a chat reply may fill
  // the context.
  options.maxNewTokens = chat ? std::max<int64_t>(room, 1) : 16;
  for (const char *name : {"max_tokens", "max_completion_tokens"})
    if (const json *max = field(name)) {
      if (!max->is_number_integer() || max->get<int64_t>() < 1)
        return badField(name, "a positive integer, got " +
                                  (max->is_number() ? max->dump() : typeName(*max)));
      options.maxNewTokens = max->get<int64_t>();
    }
  if (room < 1 || options.maxNewTokens > room)
    return ApiError{400,
                    "the prompt has " + std::to_string(out->prompt.size()) + " tokens: with " +
                        std::to_string(options.maxNewTokens) + " new tokens it needs " +
                        std::to_string(out->prompt.size() + options.maxNewTokens) +
                        " positions, more than the model's context of " +
                        std::to_string(generator_->maxSeqLen()) + " (--max-seq-len)",
                    chat ? "messages" : "prompt", "context_length_exceeded"};
  // OpenAI's defaults: temperature 1, top_p 1; temperature 0 is greedy.
  double temperature = 1;
  if (const json *t = field("temperature")) {
    if (!t->is_number() || t->get<double>() < 0 || t->get<double>() > 2)
      return badField("temperature", "a number from 0 to 2, got " +
                                         (t->is_number() ? t->dump() : typeName(*t)));
    temperature = t->get<double>();
  }
  options.sampling.temperature = temperature;
  if (const json *p = field("top_p")) {
    if (!p->is_number() || !(p->get<double>() > 0) || p->get<double>() > 1)
      return badField("top_p", "a number in (0, 1], got " +
                                   (p->is_number() ? p->dump() : typeName(*p)));
    options.sampling.topP = p->get<double>();
  }
  if (const json *k = field("top_k")) {
    if (!k->is_number_integer() || k->get<int64_t>() < 0)
      return badField("top_k", "a non-negative integer (0: all tokens), got " +
                                   (k->is_number() ? k->dump() : typeName(*k)));
    options.sampling.topK = k->get<int64_t>();
  }
  if (const json *r = field("repetition_penalty")) {
    if (!r->is_number() || !(r->get<double>() > 0) || r->get<double>() > 1e30)
      return badField("repetition_penalty", "a positive number, got " +
                                                (r->is_number() ? r->dump() : typeName(*r)));
    options.sampling.repetitionPenalty = r->get<double>();
  }
  if (const json *seed = field("seed")) {
    if (!seed->is_number_integer())
      return badField("seed", "an integer, got " + typeName(*seed));
    options.sampling.seed = seed->is_number_unsigned() ? seed->get<uint64_t>()
                                                       : static_cast<uint64_t>(seed->get<int64_t>());
  } else {
    // Without a seed, each request draws its own, as OpenAI's do.
    std::random_device device;
    options.sampling.seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  if (const json *stop = field("stop")) {
    std::vector<std::string> texts;
    if (stop->is_string()) {
      texts.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 4 &&
               std::all_of(stop->begin(), stop->end(),
                           [](const json &s) { return s.is_string(); })) {
      for (const json &s : *stop)
        texts.push_back(s.get<std::string>());
    } else {
      return badField("stop", "a string or an array of at most 4 strings, got " +
                                  typeName(*stop));
    }
    for (const std::string &text : texts) {
      if (text.empty())
        return badField("stop", "non-empty text");
      std::vector<int64_t> ids;
      for (unsigned char c : text)
        ids.push_back(c);
      stops.push_back(std::move(ids));
    }
  }
  options.stopSequences = std::move(stops);
  Status checked = generator_->check(out->prompt, options);
  if (!checked.ok())
    return ApiError{400, checked.message(), "", ""};
  return std::nullopt;
}

void GenerationServer::complete(const httplib::Request &req, httplib::Response &res,
                                bool chat) {
  Parsed parsed;
  if (std::optional<ApiError> error = parse(req.body, chat, &parsed)) {
    answerError(res, *error);
    return;
  }
  auto completion = std::make_shared<Completion>();
  completion->prompt = std::move(parsed.prompt);
  completion->options = std::move(parsed.options);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || closed_) {
      answerError(res, ApiError{503, "the server is shutting down", "", ""});
      return;
    }
    queue_.push_back(completion);
  }
  queued_.notify_all();
  const std::string id =
      std::string(chat ? "chatcmpl-" : "cmpl-") + std::to_string(nextId_++);
  // Every chunk of an answer has the same id and time.
  const int64_t created = static_cast<int64_t>(std::time(nullptr));
  size_t hold = 0;
  for (const std::vector<int64_t> &stop : completion->options.stopSequences)
    hold = std::max(hold, stop.size() - 1);
  auto text = std::make_shared<TextStream>(hold);
  const int64_t promptTokens = static_cast<int64_t>(completion->prompt.size());
  auto usage = [promptTokens](int64_t generated) {
    return json{{"prompt_tokens", promptTokens},
                {"completion_tokens", generated},
                {"total_tokens", promptTokens + generated}};
  };
  if (!parsed.stream) {
    std::unique_lock<std::mutex> lock(completion->mutex);
    completion->changed.wait(lock, [&] { return completion->finished || completion->error; });
    if (completion->error) {
      answerError(res, *completion->error);
      return;
    }
    for (size_t i = 0; i < completion->tokens.size(); ++i)
      text->add(completion->tokens[i], i + 1 == completion->tokens.size(),
                completion->stopTokens);
    json answer = answerJson(id, created, chat, false, text->text(), completion->tokens,
                             completion->stopped ? "stop" : "length");
    answer["usage"] = usage(static_cast<int64_t>(completion->tokens.size()));
    res.set_content(answer.dump(), "application/json");
    return;
  }
  // Server-sent events: one "data: {chunk}" per piece of text, the last with
  // the finish reason and the usage, then "data: [DONE]".
  auto sent = std::make_shared<size_t>(0);
  auto started = std::make_shared<bool>(false);
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, completion, text, sent, started, id, created, chat,
       usage](size_t, httplib::DataSink &sink) {
        auto event = [&](const json &data) {
          std::string line = "data: " + data.dump() + "\n\n";
          return sink.write(line.data(), line.size());
        };
        if (chat && !*started) {
          // The first chunk of a chat says who speaks.
          json first = answerJson(id, created, true, true, "", {}, nullptr);
          first["choices"][0]["delta"] = json{{"role", "assistant"}, {"content", ""}};
          *started = true;
          if (!event(first)) {
            completion->cancelled = true;
            return false;
          }
        }
        std::vector<int64_t> fresh;
        bool finished = false, stopped = false;
        int64_t stopTokens = 0;
        std::optional<ApiError> error;
        {
          std::unique_lock<std::mutex> lock(completion->mutex);
          completion->changed.wait(lock, [&] {
            return completion->tokens.size() > *sent || completion->finished ||
                   completion->error;
          });
          fresh.assign(completion->tokens.begin() + static_cast<std::ptrdiff_t>(*sent),
                       completion->tokens.end());
          *sent = completion->tokens.size();
          finished = completion->finished;
          stopped = completion->stopped;
          stopTokens = completion->stopTokens;
          error = completion->error;
        }
        if (error) {
          std::string line = "data: " + error->body() + "\n\n";
          sink.write(line.data(), line.size());
          sink.done();
          return true;
        }
        // One chunk per token, as OpenAI's; the last one says why it ended.
        for (size_t i = 0; i < fresh.size(); ++i) {
          const bool last = finished && i + 1 == fresh.size();
          std::string piece = text->add(fresh[i], last, stopTokens);
          json chunk = answerJson(id, created, chat, true, piece, {fresh[i]},
                                  last ? (stopped ? "stop" : "length") : nullptr);
          if (last)
            chunk["usage"] = usage(static_cast<int64_t>(*sent));
          if (!event(chunk)) {
            completion->cancelled = true;
            return false;
          }
        }
        if (finished) {
          const std::string done = "data: [DONE]\n\n";
          if (!sink.write(done.data(), done.size())) {
            completion->cancelled = true;
            return false;
          }
          sink.done();
        }
        return true;
      },
      [completion](bool success) {
        if (!success)
          completion->cancelled = true;
      });
}

void GenerationServer::routes() {
  http_.Get("/v2/health/live", [](const httplib::Request &, httplib::Response &res) {
    res.set_content(R"({"live": true})", "application/json");
  });
  http_.Get("/v2/health/ready", [this](const httplib::Request &, httplib::Response &res) {
    bool ready = !stopping_;
    res.status = ready ? 200 : 503;
    res.set_content(json{{"ready", ready}}.dump(), "application/json");
  });
  auto modelJson = [this] {
    return json{{"id", name_},
                {"object", "model"},
                {"created", static_cast<int64_t>(created_)},
                {"owned_by", "cleave"},
                {"max_model_len", generator_->maxSeqLen()}};
  };
  http_.Get("/v1/models", [modelJson](const httplib::Request &, httplib::Response &res) {
    res.set_content(json{{"object", "list"}, {"data", json::array({modelJson()})}}.dump(),
                    "application/json");
  });
  http_.Get(R"(/v1/models/([^/]+))",
            [this, modelJson](const httplib::Request &req, httplib::Response &res) {
              std::string name = req.matches[1];
              if (name != name_)
                answerError(res, ApiError{404,
                                          "the model '" + name +
                                              "' does not exist (this server has '" + name_ +
                                              "')",
                                          "model", "model_not_found"});
              else
                res.set_content(modelJson().dump(), "application/json");
            });
  http_.Get("/metrics", [this](const httplib::Request &, httplib::Response &res) {
    std::string text =
        "# HELP cleave_generation_steps_total Decode steps, by the number of sequences in "
        "them.\n# TYPE cleave_generation_steps_total counter\n";
    for (size_t busy = 1; busy < stepsWith_.size(); ++busy)
      text += "cleave_generation_steps_total{sequences=\"" + std::to_string(busy) + "\"} " +
              std::to_string(stepsWith_[busy].load()) + "\n";
    text += "# HELP cleave_generation_tokens_total New tokens generated.\n"
            "# TYPE cleave_generation_tokens_total counter\n"
            "cleave_generation_tokens_total " + std::to_string(tokens_.load()) + "\n"
            "# HELP cleave_generation_joins_total Sequences that took a slot, into an idle "
            "batch or one running.\n# TYPE cleave_generation_joins_total counter\n"
            "cleave_generation_joins_total{batch=\"idle\"} " +
            std::to_string(joinedIdle_.load()) + "\n" +
            "cleave_generation_joins_total{batch=\"running\"} " +
            std::to_string(joinedRunning_.load()) + "\n" +
            "# HELP cleave_generation_slots Sequences the running batch holds at most.\n"
            "# TYPE cleave_generation_slots gauge\ncleave_generation_slots " +
            std::to_string(slots_) + "\n";
    res.set_content(text, "text/plain; version=0.0.4");
  });
  http_.Post("/v1/completions", [this](const httplib::Request &req, httplib::Response &res) {
    complete(req, res, false);
  });
  http_.Post("/v1/chat/completions",
             [this](const httplib::Request &req, httplib::Response &res) {
               complete(req, res, true);
             });
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request &req, httplib::Response &res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        if (res.status == 413)
          message = "request body larger than " + std::to_string(options_.maxBodyBytes) +
                    " bytes";
        else if (res.status == 404)
          message = "no route " + req.method + " " + req.path +
                    " (a model compiled with --generate is served on /v1/completions, "
                    "/v1/chat/completions and /v1/models)";
        else
          message = "HTTP status " + std::to_string(res.status);
        res.set_content(ApiError{res.status, message, "", ""}.body(), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_exception_handler(
      [this](const httplib::Request &, httplib::Response &res, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception &caught) {
          message = std::string("internal error: ") + caught.what();
        } catch (...) {
        }
        answerError(res, ApiError{500, message, "", ""});
      });
}

bool GenerationServer::admit() {
  std::lock_guard<std::mutex> lock(mutex_);
  bool busy = false;
  for (int64_t slot = 0; slot < slots_; ++slot) {
    std::shared_ptr<Completion> &in = active_[slot];
    if (in && in->cancelled) {
      generator_->leave(slot);
      in.reset();
    }
    while (!in && !queue_.empty()) {
      std::shared_ptr<Completion> next = std::move(queue_.front());
      queue_.pop_front();
      if (next->cancelled)
        continue;
      Status joined = generator_->join(slot, next->prompt, next->options);
      if (!joined.ok()) {
        {
          std::lock_guard<std::mutex> own(next->mutex);
          next->error = ApiError{500, joined.message(), "", ""};
        }
        next->changed.notify_all();
        continue;
      }
      // Running: another slot holds a sequence that has stepped already.
      bool running = false;
      for (int64_t other = 0; other < slots_; ++other)
        running |= other != slot && active_[other] && !active_[other]->fresh;
      (running ? joinedRunning_ : joinedIdle_)++;
      in = std::move(next);
    }
    busy |= in != nullptr;
  }
  return busy;
}

void GenerationServer::failAll(const ApiError &error) {
  for (int64_t slot = 0; slot < slots_; ++slot) {
    std::shared_ptr<Completion> &in = active_[slot];
    if (!in)
      continue;
    generator_->leave(slot);
    {
      std::lock_guard<std::mutex> own(in->mutex);
      in->error = error;
    }
    in->changed.notify_all();
    in.reset();
  }
}

int GenerationServer::serve(const std::atomic<int> &stopSignal) {
  std::thread listener([this] {
    http_.listen_after_bind();
    // Every handler has returned: nothing more can be queued.
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    queued_.notify_all();
  });
  std::printf("cleave-serve: serving model '%s' from %s on http://%s:%d "
              "(OpenAI API: /v1/completions, /v1/chat/completions; %lld sequence(s) at once)\n",
              name_.c_str(), options_.artifact.c_str(), options_.host.c_str(), port_,
              static_cast<long long>(slots_));
  std::fflush(stdout);
  std::vector<Generator::SlotToken> tokens;
  while (true) {
    if (stopSignal && !stopping_) {
      stopping_ = true;
      std::printf("cleave-serve: signal %d: finishing the requests in flight\n",
                  stopSignal.load());
      std::fflush(stdout);
      http_.stop();
    }
    if (!admit()) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (closed_ && queue_.empty())
        break;
      queued_.wait_for(lock, std::chrono::milliseconds(100),
                       [&] { return !queue_.empty() || closed_; });
      continue;
    }
    tokens.clear();
    int64_t busy = 0;
    for (std::shared_ptr<Completion> &in : active_)
      if (in) {
        ++busy;
        in->fresh = false;
      }
    stepsWith_[busy]++;
    Status stepped = generator_->step(&tokens);
    if (!stepped.ok()) {
      failAll(ApiError{500, "a decode step failed: " + stepped.message(), "", ""});
      continue;
    }
    tokens_ += tokens.size();
    for (const Generator::SlotToken &t : tokens) {
      std::shared_ptr<Completion> &in = active_[t.slot];
      if (!in)
        continue;
      {
        std::lock_guard<std::mutex> own(in->mutex);
        in->tokens.push_back(t.token);
        in->finished = t.finished;
        in->stopped = t.stopped;
        in->stopTokens = t.stopTokens;
      }
      in->changed.notify_all();
      if (t.finished)
        in.reset();
    }
  }
  listener.join();
  std::printf("cleave-serve: stopped after answering every request\n");
  std::fflush(stdout);
  return 0;
}

} // namespace

int runGenerationServer(const ServeOptions &options, std::shared_ptr<const Artifact> artifact,
                        const std::atomic<int> &stopSignal) {
  auto fail = [](const std::string &message) {
    printError(message);
    return 1;
  };
  // Options of the KServe server that have no meaning here.
  std::string unused = options.grpcPort >= 0       ? "--grpc-port"
                       : options.instances > 1     ? "--instances"
                       : !options.trace.empty()    ? "--trace"
                       : !options.auditLog.empty() ? "--audit-log"
                                                   : "";
  if (!unused.empty())
    return fail(unused + " does not apply to a model compiled with --generate (it is served "
                         "with the OpenAI API, /v1/completions)");
  std::string name = options.modelName;
  if (name.empty())
    name = std::filesystem::path(options.artifact).stem().string();
  if (name.empty() || name.find('/') != std::string::npos)
    return fail("model name '" + name + "' must be non-empty and without '/'");
  std::vector<int64_t> sizes = artifact->batchSizes();
  int64_t sequences = sizes.empty() ? 1 : sizes.back();
  if (options.maxBatch > 0)
    sequences = std::min(sequences, options.maxBatch);
  StatusOr<std::unique_ptr<Generator>> generator =
      Generator::create(artifact, sequences, SessionOptions(options.threads));
  if (!generator.ok())
    return fail(generator.status().message());
  if ((*generator)->vocabSize() != 256)
    return fail("the model's vocabulary has " + std::to_string((*generator)->vocabSize()) +
                " tokens: the OpenAI endpoints need a byte-level one of 256 (text in, text "
                "out); use cleave-generate --prompt-ids");
  GenerationServer server(options, std::move(artifact), std::move(generator).value(), name,
                          sequences);
  Status started = server.start();
  if (!started.ok())
    return fail(started.message());
  return server.serve(stopSignal);
}

} // namespace cleave::serve
