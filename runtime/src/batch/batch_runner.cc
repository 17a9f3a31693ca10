//===- batch_runner.cc - cleave-batch: offline inference over a dataset ---===//

#include "batch/batch_runner.h"

#include "cleave/runtime.h"
#include "comm/transport.h"
#include "io/npy.h"
#include "io/npz.h"
#include "serve/model_runner.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <memory>
#include <sched.h>
#include <set>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cleave::batch {

namespace fs = std::filesystem;

namespace {

constexpr char kJournalName[] = "cleave-batch.journal";
constexpr char kTempPrefix[] = ".cleave-batch-tmp.";
/// A replica that dies is started again at most this many times.
constexpr int kMaxRestarts = 3;

using Clock = std::chrono::steady_clock;

void printError(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "cleave-batch: error: %s\n", message.c_str());
  std::fflush(stderr);
}

std::string oneLine(std::string text) {
  for (char &c : text)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  return text;
}

/// What the job needs to know about the model.
struct Model {
  std::vector<TensorDesc> inputs;
  std::vector<TensorDesc> outputs;
  /// The compiled batch sizes, ascending.
  std::vector<int64_t> batches;
};

Shape rowShape(const TensorDesc &desc) {
  return Shape(desc.shape.begin() + 1, desc.shape.end());
}

std::string names(const std::vector<TensorDesc> &descs) {
  std::string text;
  for (const TensorDesc &desc : descs)
    text += (text.empty() ? "" : ", ") + desc.name;
  return text;
}

/// Checks that every input and output has the batch dim.
Status checkBatchDim(const Artifact &artifact, const std::string &path) {
  int64_t batch = -1;
  for (const auto *descs : {&artifact.inputs(), &artifact.outputs()})
    for (const TensorDesc &desc : *descs) {
      if (desc.shape.empty() || (batch >= 0 && desc.shape[0] != batch))
        return failedPreconditionError(
            "artifact '" + path +
            "': the model has no batch dim (every input and output must have "
            "the same dim 0), which cleave-batch needs to stack samples");
      batch = desc.shape[0];
    }
  return Status();
}

Model modelOf(const Artifact &artifact, std::vector<int64_t> batches) {
  Model model{artifact.inputs(), artifact.outputs(), std::move(batches)};
  std::sort(model.batches.begin(), model.batches.end());
  return model;
}

/// One sample: a file of the input directory, or a row of the input file.
struct Sample {
  std::string name;   ///< the journal's key and what messages call it
  std::string path;   ///< the file (directory mode)
  int64_t row = -1;   ///< the row (one-file mode)
  std::string output; ///< the output file's name in the output directory
};

/// The dataset: its samples and, for one .npy file, its header.
struct Dataset {
  std::vector<Sample> samples;
  bool rows = false;
  io::NpyHeaderInfo header;
};

bool hasSuffix(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Accepts `dtype` for an input of `expected` (bfloat16 as uint16 bits).
bool dtypeFits(DType dtype, DType expected) {
  return dtype == expected ||
         (expected == DType::BFloat16 && dtype == DType::UInt16);
}

StatusOr<Dataset> listSamples(const BatchOptions &options, const Model &model) {
  Dataset dataset;
  std::error_code error;
  std::string outputExtension = model.outputs.size() == 1 ? ".npy" : ".npz";
  if (fs::is_directory(options.input, error)) {
    std::vector<std::string> files;
    for (const fs::directory_entry &entry :
         fs::directory_iterator(options.input, error)) {
      // Anything but a directory: a link that leads nowhere, or a pipe that
      // nothing writes, is a sample that fails or waits when it is read.
      std::string name = entry.path().filename().string();
      std::error_code entryError;
      if ((hasSuffix(name, ".npy") || hasSuffix(name, ".npz")) &&
          !entry.is_directory(entryError))
        files.push_back(name);
    }
    if (error)
      return invalidArgumentError("cannot list '" + options.input +
                                  "': " + error.message());
    std::sort(files.begin(), files.end());
    std::map<std::string, std::string> outputs;
    for (const std::string &name : files) {
      if (name.find_first_of("\t\n\r") != std::string::npos)
        return invalidArgumentError("sample file name '" + oneLine(name) +
                                    "' holds a tab or a line break");
      std::string output = name.substr(0, name.size() - 4) + outputExtension;
      auto [it, added] = outputs.emplace(output, name);
      if (!added)
        return invalidArgumentError("samples '" + it->second + "' and '" +
                                    name + "' would both write '" + output +
                                    "'");
      dataset.samples.push_back(
          {name, (fs::path(options.input) / name).string(), -1, output});
    }
    if (dataset.samples.empty())
      return invalidArgumentError("no .npy or .npz samples in '" +
                                  options.input + "'");
    return dataset;
  }
  if (!fs::exists(options.input, error))
    return notFoundError("input '" + options.input + "' does not exist");
  if (!hasSuffix(options.input, ".npy"))
    return invalidArgumentError("input '" + options.input +
                                "' is neither a directory nor a .npy file");
  if (model.inputs.size() != 1)
    return invalidArgumentError(
        "the model takes " + std::to_string(model.inputs.size()) + " inputs (" +
        names(model.inputs) + "): give a directory with one .npz per sample");
  std::FILE *file = std::fopen(options.input.c_str(), "rb");
  if (!file)
    return notFoundError("cannot open '" + options.input +
                         "': " + std::strerror(errno));
  std::vector<uint8_t> head(io::kMaxNpyHeaderLength + 16);
  head.resize(std::fread(head.data(), 1, head.size(), file));
  std::fclose(file);
  StatusOr<io::NpyHeaderInfo> header =
      io::parseNpyHeader(head.data(), head.size());
  if (!header.ok())
    return invalidArgumentError("'" + options.input +
                                "': " + header.status().message());
  const TensorDesc &input = model.inputs[0];
  Shape row = rowShape(input);
  if (!dtypeFits(header->dtype, input.dtype) || header->shape.empty() ||
      Shape(header->shape.begin() + 1, header->shape.end()) != row)
    return invalidArgumentError(
        "'" + options.input + "': " + dtypeName(header->dtype) +
        shapeToString(header->shape) + ", the model's input '" + input.name +
        "' takes rows of " + dtypeName(input.dtype) + shapeToString(row) +
        " (an array of N such rows)");
  if (fs::file_size(options.input, error) <
      header->dataOffset + header->dataBytes)
    return invalidArgumentError("'" + options.input +
                                "': the file ends before its data");
  dataset.rows = true;
  dataset.header = *header;
  int64_t count = header->shape[0];
  int width = std::max<int>(6, int(std::to_string(count - 1).size()));
  for (int64_t i = 0; i < count; ++i) {
    std::string digits = std::to_string(i);
    std::string name =
        "row_" + std::string(width - digits.size(), '0') + digits;
    dataset.samples.push_back({name, options.input, i, name + outputExtension});
  }
  if (dataset.samples.empty())
    return invalidArgumentError("'" + options.input + "' holds no rows");
  return dataset;
}

/// Checks one array against an input and gives it the row shape.
StatusOr<Tensor> fitInput(Tensor tensor, const TensorDesc &input) {
  Shape row = rowShape(input);
  Shape withOne = row;
  withOne.insert(withOne.begin(), 1);
  if (!dtypeFits(tensor.dtype(), input.dtype) ||
      (tensor.shape() != row && tensor.shape() != withOne))
    return invalidArgumentError(
        "input '" + input.name + "': " + dtypeName(tensor.dtype()) +
        shapeToString(tensor.shape()) + ", the model takes " +
        dtypeName(input.dtype) + shapeToString(row) + " per sample");
  return tensor;
}

/// Reads one sample's inputs, in the model's order.
StatusOr<std::vector<Tensor>>
loadSample(const Sample &sample, const Dataset &dataset, const Model &model) {
  std::vector<Tensor> inputs;
  if (dataset.rows) {
    const TensorDesc &input = model.inputs[0];
    StatusOr<Tensor> tensor =
        Tensor::create(dataset.header.dtype, rowShape(input));
    if (!tensor.ok())
      return tensor.status();
    int fd = ::open(sample.path.c_str(), O_RDONLY);
    if (fd < 0)
      return notFoundError("cannot open '" + sample.path +
                           "': " + std::strerror(errno));
    size_t bytes = tensor->byteSize();
    ssize_t got =
        ::pread(fd, tensor->data(), bytes,
                off_t(dataset.header.dataOffset + sample.row * bytes));
    ::close(fd);
    if (got != ssize_t(bytes))
      return dataLossError("'" + sample.path + "': cannot read row " +
                           std::to_string(sample.row));
    inputs.push_back(std::move(tensor).value());
    return inputs;
  }
  uint64_t largest = 0;
  for (const TensorDesc &input : model.inputs)
    largest = std::max<uint64_t>(largest, input.byteSize() * 8);
  if (hasSuffix(sample.path, ".npy")) {
    if (model.inputs.size() != 1)
      return invalidArgumentError(
          "the model takes " + std::to_string(model.inputs.size()) +
          " inputs (" + names(model.inputs) +
          "): give the sample as a .npz with one array per input");
    StatusOr<Tensor> tensor = io::readNpyFile(sample.path, largest);
    if (!tensor.ok())
      return tensor.status();
    StatusOr<Tensor> fitted =
        fitInput(std::move(tensor).value(), model.inputs[0]);
    if (!fitted.ok())
      return fitted.status();
    inputs.push_back(std::move(fitted).value());
    return inputs;
  }
  StatusOr<std::vector<io::NamedTensor>> arrays =
      io::readNpz(sample.path, largest);
  if (!arrays.ok())
    return arrays.status();
  // Arrays are named after the inputs, or arr_0, arr_1, ... in input order
  // (numpy.savez's names for positional arrays).
  std::vector<Tensor> bound(model.inputs.size());
  std::vector<bool> seen(model.inputs.size(), false);
  for (io::NamedTensor &array : *arrays) {
    size_t index = model.inputs.size();
    for (size_t i = 0; i < model.inputs.size(); ++i)
      if (array.first == model.inputs[i].name ||
          array.first == "arr_" + std::to_string(i))
        index = i;
    if (index == model.inputs.size())
      return invalidArgumentError(
          "array '" + array.first +
          "' is no model input (inputs: " + names(model.inputs) + ")");
    if (seen[index])
      return invalidArgumentError("input '" + model.inputs[index].name +
                                  "' given twice");
    seen[index] = true;
    StatusOr<Tensor> fitted =
        fitInput(std::move(array.second), model.inputs[index]);
    if (!fitted.ok())
      return fitted.status();
    bound[index] = std::move(fitted).value();
  }
  for (size_t i = 0; i < model.inputs.size(); ++i)
    if (!seen[i])
      return invalidArgumentError("missing input '" + model.inputs[i].name +
                                  "'");
  return bound;
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename, so
/// that the name holds either nothing or the whole file.
Status writeAtomically(const std::string &dir, const std::string &name,
                       const std::vector<uint8_t> &bytes) {
  std::string final = (fs::path(dir) / name).string();
  std::string temp =
      (fs::path(dir) / (kTempPrefix + std::to_string(::getpid()) + "." + name))
          .string();
  std::FILE *file = std::fopen(temp.c_str(), "wb");
  if (!file)
    return internalError("cannot write '" + temp +
                         "': " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  ok = std::fclose(file) == 0 && ok;
  if (!ok || std::rename(temp.c_str(), final.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(temp.c_str());
    return internalError("cannot write '" + final + "': " + why);
  }
  return Status();
}

//===----------------------------------------------------------------------===//
// The journal: a header line naming the job, then one line per sample,
// "done\tNAME" or "failed\tNAME\tREASON", appended after the output was
// renamed into place. A line without its line break (a crash while writing)
// does not count.
//===----------------------------------------------------------------------===//

struct JournalState {
  std::set<std::string> done;
  std::map<std::string, std::string> failed;
  size_t complete = 0; ///< bytes up to the last line break
};

std::string journalHeader(const BatchOptions &options) {
  std::error_code error;
  fs::path input = fs::weakly_canonical(options.input, error);
  fs::path artifact = fs::weakly_canonical(options.artifact, error);
  return "cleave-batch journal 1 input=" + input.string() +
         " artifact=" + artifact.string();
}

/// Applies the complete lines of `text` from `from` on; returns where the
/// first incomplete line starts.
size_t applyLines(const std::string &text, size_t from, JournalState *state,
                  int64_t *done, int64_t *failed) {
  size_t at = from;
  while (true) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos)
      return at;
    std::string line = text.substr(at, end - at);
    at = end + 1;
    size_t tab = line.find('\t');
    if (tab == std::string::npos)
      continue;
    std::string kind = line.substr(0, tab);
    std::string rest = line.substr(tab + 1);
    if (kind == "done") {
      if (state) {
        state->done.insert(rest);
        state->failed.erase(rest);
      }
      if (done)
        ++*done;
    } else if (kind == "failed") {
      size_t reason = rest.find('\t');
      if (state)
        state->failed[rest.substr(0, reason)] =
            reason == std::string::npos ? "" : rest.substr(reason + 1);
      if (failed)
        ++*failed;
    }
  }
}

StatusOr<std::string> readFile(const std::string &path) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return errno == ENOENT
               ? std::string()
               : StatusOr<std::string>(internalError(
                     "cannot read '" + path + "': " + std::strerror(errno)));
  std::string text;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    text.append(buffer, got);
  std::fclose(file);
  return text;
}

/// Reads the journal at `path`; a journal of another job is refused.
StatusOr<JournalState> readJournal(const std::string &path,
                                   const std::string &header,
                                   const std::string &outputDir) {
  StatusOr<std::string> text = readFile(path);
  if (!text.ok())
    return text.status();
  JournalState state;
  size_t first = text->find('\n');
  if (first == std::string::npos)
    return state; // new, or the header itself was cut short
  if (text->compare(0, first, header) != 0)
    return failedPreconditionError(
        "'" + outputDir + "' holds the journal of another job (" +
        text->substr(0, first) +
        "): use another --output-dir, or remove it to start over");
  state.complete = applyLines(*text, first + 1, &state, nullptr, nullptr);
  return state;
}

/// Opens the journal for appending, first cutting off an incomplete last
/// line (or writing the header to a new journal).
StatusOr<int> openJournal(const std::string &path, const std::string &header,
                          const JournalState &state) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0)
    return internalError("cannot open '" + path + "': " + std::strerror(errno));
  bool ok = true;
  if (state.complete == 0) {
    std::string line = header + "\n";
    ok = ::ftruncate(fd, 0) == 0 &&
         ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  } else {
    ok = ::ftruncate(fd, off_t(state.complete)) == 0;
  }
  if (!ok) {
    ::close(fd);
    return internalError("cannot write '" + path +
                         "': " + std::strerror(errno));
  }
  return fd;
}

/// One write per call, so that replicas appending together never interleave
/// within a line.
Status appendJournal(int fd, const std::string &lines,
                     const std::string &path) {
  if (lines.empty())
    return Status();
  if (::write(fd, lines.data(), lines.size()) != ssize_t(lines.size()))
    return internalError("cannot write '" + path +
                         "': " + std::strerror(errno));
  return Status();
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

struct Progress {
  bool show = false;
  int64_t total = 0;   ///< samples in the dataset
  int64_t before = 0;  ///< done before this run
  int64_t pending = 0; ///< to do in this run
  int64_t done = 0;    ///< written in this run
  int64_t failed = 0;  ///< recorded as failed in this run
  Clock::time_point start = Clock::now();
  Clock::time_point last;

  double rate() const {
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    return seconds > 0 ? (done + failed) / seconds : 0;
  }

  void update(bool force = false) {
    if (!show)
      return;
    Clock::time_point now = Clock::now();
    if (!force && now - last < std::chrono::milliseconds(250))
      return;
    last = now;
    double perSecond = rate();
    int64_t left = pending - done - failed;
    std::string eta = "?";
    if (perSecond > 0) {
      int64_t seconds = int64_t(left / perSecond + 0.5);
      char text[32];
      std::snprintf(text, sizeof(text), "%lld:%02lld",
                    (long long)(seconds / 60), (long long)(seconds % 60));
      eta = text;
    }
    std::fprintf(stderr,
                 "\rcleave-batch: %lld/%lld samples, %lld failed, %.1f "
                 "samples/s, ETA %s   ",
                 (long long)(before + done), (long long)total,
                 (long long)failed, perSecond, eta.c_str());
    std::fflush(stderr);
  }

  void finish() {
    if (show) {
      update(true);
      std::fputc('\n', stderr);
    }
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("cleave-batch: %lld samples: %lld written now, %lld before, "
                "%lld failed; %.1f samples/s over %.2f s\n",
                (long long)total, (long long)done, (long long)before,
                (long long)failed, rate(), seconds);
    std::fflush(stdout);
  }
};

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

/// Runs a share of the samples on one session and journals each.
class Worker {
public:
  Worker(const BatchOptions &options, const Model &model,
         const Dataset &dataset, serve::ModelRunner &runner, int journal,
         std::string journalPath, Progress *progress)
      : options_(options), model_(model), dataset_(dataset), runner_(runner),
        journal_(journal), journalPath_(std::move(journalPath)),
        progress_(progress) {}

  /// Runs `samples` (indices into the dataset), `options.batch` at a time.
  Status run(const std::vector<size_t> &samples) {
    for (size_t first = 0; first < samples.size();
         first += size_t(options_.batch)) {
      size_t end = std::min(samples.size(), first + size_t(options_.batch));
      std::vector<size_t> loaded;
      std::vector<std::vector<Tensor>> inputs;
      std::string lines;
      for (size_t k = first; k < end; ++k) {
        const Sample &sample = dataset_.samples[samples[k]];
        Status status;
        for (int attempt = 0; attempt <= options_.retries; ++attempt) {
          StatusOr<std::vector<Tensor>> read =
              loadSample(sample, dataset_, model_);
          status = read.status();
          if (read.ok()) {
            loaded.push_back(samples[k]);
            inputs.push_back(std::move(read).value());
            break;
          }
        }
        if (!status.ok())
          lines += failure(sample, status);
      }
      Status journaled = appendJournal(journal_, lines, journalPath_);
      if (!journaled.ok())
        return journaled;
      Status ran = runLoaded(loaded, inputs);
      if (!ran.ok())
        return ran;
    }
    return Status();
  }

private:
  std::string failure(const Sample &sample, const Status &status) {
    std::string reason = oneLine(status.message()) + " (after " +
                         std::to_string(options_.retries + 1) + " tries)";
    std::fprintf(stderr, "%scleave-batch: sample '%s' failed: %s\n",
                 progress_ && progress_->show ? "\n" : "", sample.name.c_str(),
                 reason.c_str());
    if (progress_)
      ++progress_->failed;
    return "failed\t" + sample.name + "\t" + reason + "\n";
  }

  /// The plan for `rows` rows: the smallest batch that holds them, else the
  /// largest.
  size_t planFor(size_t rows) const {
    for (size_t i = 0; i < model_.batches.size(); ++i)
      if (model_.batches[i] >= int64_t(rows))
        return i;
    return model_.batches.size() - 1;
  }

  /// Runs `count` loaded samples from `first` as one padded batch.
  Status runPiece(const std::vector<std::vector<Tensor>> &inputs, size_t first,
                  size_t count, std::vector<Tensor> *outputs) {
    size_t plan = planFor(count);
    int64_t batch = model_.batches[plan];
    std::vector<Tensor> stacked;
    for (size_t i = 0; i < model_.inputs.size(); ++i) {
      Shape shape = model_.inputs[i].shape;
      shape[0] = batch;
      StatusOr<Tensor> tensor = Tensor::create(model_.inputs[i].dtype, shape);
      if (!tensor.ok())
        return tensor.status();
      uint8_t *data = tensor->dataAs<uint8_t>();
      size_t rowBytes = tensor->byteSize() / size_t(batch);
      std::memset(data, 0, tensor->byteSize());
      for (size_t k = 0; k < count; ++k)
        std::memcpy(data + k * rowBytes, inputs[first + k][i].data(), rowBytes);
      stacked.push_back(std::move(tensor).value());
    }
    Status status;
    for (int attempt = 0; attempt <= options_.retries; ++attempt) {
      status = runner_.run(plan, stacked, outputs);
      if (status.ok())
        return status;
    }
    return status;
  }

  /// Writes the outputs of `count` samples from `first`; returns their
  /// journal lines.
  StatusOr<std::string> write(const std::vector<size_t> &loaded, size_t first,
                              size_t count,
                              const std::vector<Tensor> &outputs) {
    std::string lines;
    for (size_t k = 0; k < count; ++k) {
      const Sample &sample = dataset_.samples[loaded[first + k]];
      std::vector<io::NamedTensor> rows;
      for (size_t o = 0; o < outputs.size(); ++o) {
        const Tensor &output = outputs[o];
        size_t rowBytes = output.byteSize() / size_t(output.shape()[0]);
        StatusOr<Tensor> row = Tensor::fromBytes(
            output.dtype(),
            Shape(output.shape().begin() + 1, output.shape().end()),
            output.dataAs<uint8_t>() + k * rowBytes, rowBytes);
        if (!row.ok())
          return row.status();
        rows.emplace_back(model_.outputs[o].name, std::move(row).value());
      }
      std::vector<uint8_t> bytes = rows.size() == 1
                                       ? io::encodeNpy(rows[0].second)
                                       : io::encodeNpz(rows);
      Status written =
          writeAtomically(options_.outputDir, sample.output, bytes);
      if (!written.ok())
        return written;
      lines += "done\t" + sample.name + "\n";
      if (progress_)
        ++progress_->done;
    }
    return lines;
  }

  Status runLoaded(const std::vector<size_t> &loaded,
                   const std::vector<std::vector<Tensor>> &inputs) {
    size_t largest = size_t(model_.batches.back());
    for (size_t first = 0; first < loaded.size();) {
      size_t count = std::min(largest, loaded.size() - first);
      std::vector<Tensor> outputs;
      Status status = runPiece(inputs, first, count, &outputs);
      std::string lines;
      if (status.ok()) {
        StatusOr<std::string> written = write(loaded, first, count, outputs);
        if (!written.ok())
          return written.status();
        lines = *written;
      } else {
        // Find the sample that fails: each alone.
        for (size_t k = 0; k < count; ++k) {
          Status alone =
              count == 1 ? status : runPiece(inputs, first + k, 1, &outputs);
          StatusOr<std::string> written =
              alone.ok() ? write(loaded, first + k, 1, outputs)
                         : StatusOr<std::string>(failure(
                               dataset_.samples[loaded[first + k]], alone));
          if (!written.ok())
            return written.status();
          lines += *written;
        }
      }
      Status journaled = appendJournal(journal_, lines, journalPath_);
      if (!journaled.ok())
        return journaled;
      if (progress_)
        progress_->update();
      first += count;
    }
    return Status();
  }

  const BatchOptions &options_;
  const Model &model_;
  const Dataset &dataset_;
  serve::ModelRunner &runner_;
  int journal_;
  std::string journalPath_;
  Progress *progress_;
};

/// Removes the temporary files whose names start with `prefix`: those of a
/// process that was stopped before it could rename them.
void removeTemporaries(const std::string &outputDir,
                       const std::string &prefix) {
  std::error_code error;
  for (const fs::directory_entry &entry :
       fs::directory_iterator(outputDir, error))
    if (entry.path().filename().string().rfind(prefix, 0) == 0)
      fs::remove(entry.path(), error);
}

int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
  return std::max(1u, std::thread::hardware_concurrency());
}

/// Prepares the output directory and the journal; fills `pending` with the
/// samples not yet written.
StatusOr<int> prepare(const BatchOptions &options, const Dataset &dataset,
                      JournalState *state, std::vector<size_t> *pending,
                      Progress *progress) {
  std::error_code error;
  fs::create_directories(options.outputDir, error);
  if (error || !fs::is_directory(options.outputDir, error))
    return invalidArgumentError("cannot create the output directory '" +
                                options.outputDir + "'");
  if (fs::equivalent(options.outputDir, options.input, error))
    return invalidArgumentError(
        "the output directory must not be the input directory");
  removeTemporaries(options.outputDir, kTempPrefix);
  std::string path = (fs::path(options.outputDir) / kJournalName).string();
  std::string header = journalHeader(options);
  StatusOr<JournalState> read = readJournal(path, header, options.outputDir);
  if (!read.ok())
    return read.status();
  *state = std::move(read).value();
  StatusOr<int> fd = openJournal(path, header, *state);
  if (!fd.ok())
    return fd.status();
  progress->total = int64_t(dataset.samples.size());
  for (size_t i = 0; i < dataset.samples.size(); ++i) {
    if (state->done.count(dataset.samples[i].name))
      ++progress->before;
    else
      pending->push_back(i);
  }
  progress->pending = int64_t(pending->size());
  return fd;
}

int finish(Progress &progress, const std::string &outputDir) {
  progress.finish();
  if (progress.failed == 0)
    return 0;
  printError(std::to_string(progress.failed) +
             " samples failed; their reasons are in '" +
             (fs::path(outputDir) / kJournalName).string() +
             "' (running the command again retries them)");
  return 1;
}

/// Leaders of the other replicas (their rank 0) learn from replica 0's
/// whether the output directory and journal are ready; tag 1 on the job's
/// transport.
Status shareStatus(serve::ModelRunner &runner, const Status &status) {
  Transport &job = *runner.job();
  int plan = runner.artifact().ranks();
  int32_t ok = status.ok() ? 1 : 0;
  std::vector<TransportRequest> requests;
  if (runner.replica() == 0) {
    for (int r = 1; r < runner.replicas(); ++r) {
      StatusOr<TransportRequest> sent = job.send(&ok, sizeof(ok), r * plan, 1);
      if (!sent.ok())
        return sent.status();
      requests.push_back(*sent);
    }
  } else {
    StatusOr<TransportRequest> received = job.recv(&ok, sizeof(ok), 0, 1);
    if (!received.ok())
      return received.status();
    requests.push_back(*received);
  }
  for (TransportRequest request : requests) {
    Status waited = job.wait(request);
    if (!waited.ok())
      return waited;
  }
  if (!status.ok())
    return status;
  return ok ? Status() : internalError("");
}

/// Replica 0's leader adds up what every replica wrote and failed (tag 2).
Status gatherCounts(serve::ModelRunner &runner, Progress *progress,
                    bool *failedRun) {
  Transport &job = *runner.job();
  int plan = runner.artifact().ranks();
  if (runner.replica() != 0) {
    int64_t counts[3] = {progress->done, progress->failed, *failedRun ? 1 : 0};
    StatusOr<TransportRequest> sent = job.send(counts, sizeof(counts), 0, 2);
    return sent.ok() ? job.wait(*sent) : sent.status();
  }
  std::string written = std::to_string(progress->done);
  for (int r = 1; r < runner.replicas(); ++r) {
    int64_t counts[3] = {0, 0, 0};
    StatusOr<TransportRequest> received =
        job.recv(counts, sizeof(counts), r * plan, 2);
    if (!received.ok())
      return received.status();
    Status waited = job.wait(*received);
    if (!waited.ok())
      return waited;
    progress->done += counts[0];
    progress->failed += counts[1];
    *failedRun = *failedRun || counts[2] != 0;
    written += ", " + std::to_string(counts[0]);
  }
  std::printf("cleave-batch: replicas 0..%d wrote %s samples\n",
              runner.replicas() - 1, written.c_str());
  return Status();
}

/// One process, the ranks of one distributed plan, or the replicas of a plan
/// compiled with --dp, under mpirun. Under mpirun with replicas, each
/// replica's rank 0 runs its share of the batches (whole batches in turn, by
/// position in the dataset, so that every replica finds its share alone);
/// replica 0's prepares the output directory first and prints the summary.
int runInProcess(const BatchOptions &options) {
  StatusOr<std::unique_ptr<serve::ModelRunner>> opened =
      serve::ModelRunner::open(options.artifact, options.threads,
                               "cleave-batch");
  if (!opened.ok()) {
    if (detectMpiLaunch().rank == 0)
      printError(opened.status().message());
    return 1;
  }
  serve::ModelRunner &runner = **opened;
  if (runner.rank() != 0) {
    Status followed = runner.follow();
    if (!followed.ok()) {
      printError("rank " + std::to_string(runner.rank()) + ": " +
                 followed.message());
      return 1;
    }
    return 0;
  }
  const bool leader = runner.replica() == 0;
  const bool replicated = runner.replicas() > 1;
  auto fail = [&](const Status &status) {
    runner.stop();
    if (leader && !status.message().empty())
      printError(status.message());
    return 1;
  };
  Status status = checkBatchDim(runner.artifact(), options.artifact);
  Model model = modelOf(runner.artifact(), runner.batches());
  StatusOr<Dataset> dataset =
      status.ok() ? listSamples(options, model) : StatusOr<Dataset>(status);
  Progress progress;
  progress.show = options.progress && !replicated;
  JournalState state;
  std::vector<size_t> pending;
  std::string journalPath =
      (fs::path(options.outputDir) / kJournalName).string();
  int journal = -1;
  if (dataset.ok() && leader) {
    StatusOr<int> prepared =
        prepare(options, *dataset, &state, &pending, &progress);
    status = prepared.status();
    if (prepared.ok())
      journal = *prepared;
  } else if (!dataset.ok()) {
    status = dataset.status();
  }
  if (replicated) {
    status = shareStatus(runner, status);
    if (status.ok() && !leader) {
      StatusOr<JournalState> read =
          readJournal(journalPath, journalHeader(options), options.outputDir);
      status = read.status();
      if (read.ok())
        state = std::move(read).value();
      journal = ::open(journalPath.c_str(), O_WRONLY | O_APPEND);
      if (status.ok() && journal < 0)
        status = internalError("cannot open '" + journalPath +
                               "': " + std::strerror(errno));
    }
    if (status.ok()) {
      pending.clear();
      for (size_t i = 0; i < dataset->samples.size(); ++i)
        if (int((i / size_t(options.batch)) % size_t(runner.replicas())) ==
                runner.replica() &&
            !state.done.count(dataset->samples[i].name))
          pending.push_back(i);
    }
  }
  if (!status.ok()) {
    if (journal >= 0)
      ::close(journal);
    return fail(status);
  }
  Worker worker(options, model, *dataset, runner, journal, journalPath,
                &progress);
  Status ran = worker.run(pending);
  ::close(journal);
  Status stopped = runner.stop();
  if (ran.ok())
    ran = stopped;
  bool failedRun = !ran.ok();
  if (!ran.ok())
    printError((replicated
                    ? "replica " + std::to_string(runner.replica()) + ": "
                    : std::string()) +
               ran.message());
  if (replicated) {
    Status gathered = gatherCounts(runner, &progress, &failedRun);
    if (!gathered.ok()) {
      printError(gathered.message());
      return 1;
    }
    if (!leader)
      return failedRun ? 1 : 0;
  }
  if (failedRun)
    return 1;
  return finish(progress, options.outputDir);
}

/// A replica process: runs its share of the batches minus what the journal
/// says is done (it may be a restart). Returns the exit status.
int runReplica(const BatchOptions &options, const Model &model,
               const Dataset &dataset, const std::vector<size_t> &share,
               int threads) {
  std::string path = (fs::path(options.outputDir) / kJournalName).string();
  StatusOr<JournalState> state =
      readJournal(path, journalHeader(options), options.outputDir);
  if (!state.ok()) {
    printError(state.status().message());
    return 1;
  }
  std::vector<size_t> left;
  for (size_t i : share)
    if (!state->done.count(dataset.samples[i].name))
      left.push_back(i);
  if (left.empty())
    return 0;
  StatusOr<std::unique_ptr<serve::ModelRunner>> runner =
      serve::ModelRunner::open(options.artifact, threads, "cleave-batch");
  if (!runner.ok()) {
    printError(runner.status().message());
    return 1;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) {
    printError("cannot open '" + path + "': " + std::strerror(errno));
    return 1;
  }
  Worker worker(options, model, dataset, **runner, fd, path, nullptr);
  Status ran = worker.run(left);
  ::close(fd);
  if (!ran.ok()) {
    printError(ran.message());
    return 1;
  }
  return 0;
}

/// Replicas as child processes; this process watches them and the journal.
int runReplicas(const BatchOptions &options) {
  if (detectMpiLaunch().underMpirun) {
    printError("--replicas runs its own processes: start cleave-batch "
               "without mpirun");
    return 1;
  }
  StatusOr<std::unique_ptr<Artifact>> artifact =
      Artifact::open(options.artifact);
  if (!artifact.ok()) {
    printError(artifact.status().message());
    return 1;
  }
  if ((*artifact)->ranks() > 1) {
    printError("artifact '" + options.artifact + "': the plan needs " +
               std::to_string((*artifact)->ranks()) +
               " ranks; --replicas runs plans on one rank");
    return 1;
  }
  Status checked = checkBatchDim(**artifact, options.artifact);
  if (!checked.ok()) {
    printError(checked.message());
    return 1;
  }
  std::vector<int64_t> batches = (*artifact)->batchSizes();
  if (batches.empty())
    batches = {(*artifact)->inputs()[0].shape[0]};
  Model model = modelOf(**artifact, batches);
  artifact->reset();
  StatusOr<Dataset> dataset = listSamples(options, model);
  if (!dataset.ok()) {
    printError(dataset.status().message());
    return 1;
  }
  Progress progress;
  progress.show = options.progress;
  JournalState state;
  std::vector<size_t> pending;
  StatusOr<int> journal =
      prepare(options, *dataset, &state, &pending, &progress);
  if (!journal.ok()) {
    printError(journal.status().message());
    return 1;
  }
  ::close(*journal);
  // Whole batches, dealt out in turn.
  std::vector<std::vector<size_t>> shares(options.replicas);
  for (size_t i = 0; i < pending.size(); ++i)
    shares[(i / size_t(options.batch)) % size_t(options.replicas)].push_back(
        pending[i]);
  int threads = options.threads > 0
                    ? options.threads
                    : std::max(1, availableCores() / options.replicas);
  std::string path = (fs::path(options.outputDir) / kJournalName).string();
  StatusOr<std::string> text = readFile(path);
  size_t seen = text.ok() ? text->size() : 0;

  std::map<pid_t, int> children; // pid -> replica
  std::vector<int> restarts(options.replicas, 0);
  auto spawn = [&](int replica) -> bool {
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0)
      return false;
    if (pid == 0)
      ::_exit(runReplica(options, model, *dataset, shares[replica], threads));
    children[pid] = replica;
    return true;
  };
  auto killAll = [&]() {
    for (auto &child : children)
      ::kill(child.first, SIGKILL);
    for (auto &child : children)
      ::waitpid(child.first, nullptr, 0);
    children.clear();
  };
  for (int r = 0; r < options.replicas; ++r)
    if (!shares[r].empty() && !spawn(r)) {
      killAll();
      printError(std::string("cannot start a replica: ") +
                 std::strerror(errno));
      return 1;
    }
  int status = 0;
  while (!children.empty()) {
    int code = 0;
    pid_t pid = ::waitpid(-1, &code, WNOHANG);
    if (pid == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } else if (pid > 0 && children.count(pid)) {
      int replica = children[pid];
      children.erase(pid);
      if (WIFEXITED(code) && WEXITSTATUS(code) != 0) {
        // The replica printed why; its error would hit the others too.
        killAll();
        status = 1;
        break;
      }
      if (WIFSIGNALED(code)) {
        removeTemporaries(options.outputDir,
                          kTempPrefix + std::to_string(pid) + ".");
        if (++restarts[replica] > kMaxRestarts) {
          killAll();
          printError("replica " + std::to_string(replica) + " died " +
                     std::to_string(kMaxRestarts + 1) + " times (signal " +
                     std::to_string(WTERMSIG(code)) + ")");
          status = 1;
          break;
        }
        std::fprintf(stderr,
                     "%scleave-batch: replica %d died (signal %d); starting it "
                     "again on its unfinished samples\n",
                     progress.show ? "\n" : "", replica, WTERMSIG(code));
        if (!spawn(replica)) {
          killAll();
          printError(std::string("cannot start a replica: ") +
                     std::strerror(errno));
          status = 1;
          break;
        }
      }
    }
    StatusOr<std::string> now = readFile(path);
    if (now.ok() && now->size() > seen)
      seen = applyLines(*now, seen, nullptr, &progress.done, &progress.failed);
    progress.update();
  }
  StatusOr<std::string> now = readFile(path);
  if (now.ok() && now->size() > seen)
    applyLines(*now, seen, nullptr, &progress.done, &progress.failed);
  if (status != 0)
    return status;
  return finish(progress, options.outputDir);
}

} // namespace

int runBatch(const BatchOptions &options) {
  setWaitTimeout(options.rankTimeoutSeconds, "cleave-batch");
  return options.replicas > 1 ? runReplicas(options) : runInProcess(options);
}

} // namespace cleave::batch
