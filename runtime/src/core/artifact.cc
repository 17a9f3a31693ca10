//===- artifact.cc - Mapping and validating .cleave files -----------------===//
//
// The whole file is mapped read-only once; parameters are then used in place.
// Validation runs in file order (header, manifest, sections, parameters) so
// that the first message names the first damage.
//
//===----------------------------------------------------------------------===//

#include "cleave/runtime.h"

#include "core/crc32.h"
#include "core/manifest.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <algorithm>
#include <set>
#include <vector>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cleave {

namespace {

template <typename T> T readLE(const uint8_t *bytes) {
  T value; // hosts are little-endian, as the format is
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

/// "1.50 GB", for summaries.
std::string formatBytes(double bytes) {
  const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 4) {
    bytes /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit ? "%.2f %s" : "%.0f %s", bytes,
                units[unit]);
  return buf;
}

/// "3.63 GFLOP", for estimates.
std::string formatFlops(double count) {
  const char *units[] = {"", "K", "M", "G", "T", "P"};
  int unit = 0;
  while (count >= 1000 && unit < 5) {
    count /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit ? "%.2f %sFLOP" : "%.0f %sFLOP", count,
                units[unit]);
  return buf;
}

/// "1 input", "2 inputs".
std::string counted(int count, const char *noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}
} // namespace

/// Builds an Artifact; a friend so the public class stays a plain reader.
class ArtifactLoader {
public:
  static StatusOr<std::unique_ptr<Artifact>> load(const std::string &path,
                                                  int rank);

private:
  ArtifactLoader(const std::string &path, Artifact &artifact)
      : prefix_("artifact '" + path + "': "), artifact_(artifact) {}
  Status map(const std::string &path);
  Status checkHeader();
  Status readManifest();
  Status checkSections(int rank);
  Status checkParameters();

  std::string prefix_;
  Artifact &artifact_;
};

Status ArtifactLoader::map(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int openErrno = errno;
    std::string message = prefix_ + "cannot open: " + std::strerror(openErrno);
    return openErrno == ENOENT ? notFoundError(message)
                               : invalidArgumentError(message);
  }
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return invalidArgumentError(prefix_ + "not a regular file");
  }
  size_t size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    ::close(fd);
    return dataLossError(prefix_ + "file is empty");
  }
  void *base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd);
  if (base == MAP_FAILED)
    return internalError(prefix_ +
                         "cannot map file: " + std::strerror(mapErrno));
  artifact_.base_ = static_cast<const uint8_t *>(base);
  artifact_.fileSize_ = size;
  return Status();
}

Status ArtifactLoader::checkHeader() {
  const uint8_t *base = artifact_.base_;
  size_t size = artifact_.fileSize_;
  if (size >= CLEAVE_MAGIC_SIZE && std::memcmp(base, CLEAVE_MAGIC, CLEAVE_MAGIC_SIZE) != 0)
    return invalidArgumentError(prefix_ +
                                "not a Cleave artifact (bad magic bytes in the header)");
  if (size < CLEAVE_HEADER_SIZE)
    return dataLossError(prefix_ + "truncated header (" + std::to_string(size) +
                         " of 64 bytes)");
  uint32_t version = readLE<uint32_t>(base + CLEAVE_HEADER_VERSION_OFFSET);
  if (version != CLEAVE_FORMAT_VERSION)
    return failedPreconditionError(
        prefix_ + "header format version " + std::to_string(version) +
        " is not supported (this runtime reads version " +
        std::to_string(CLEAVE_FORMAT_VERSION) +
        "); recompile the model "
        "with a matching cleave-compile");
  if (readLE<uint32_t>(base + CLEAVE_HEADER_CRC_OFFSET) !=
      crc32(base, CLEAVE_HEADER_CRC_OFFSET))
    return dataLossError(prefix_ + "header checksum mismatch (file damaged?)");
  // The checksum stops at byte 36; the rest of the header must be zero so
  // that no byte of the file goes unchecked.
  for (size_t i = CLEAVE_HEADER_CRC_OFFSET + 4; i < CLEAVE_HEADER_SIZE; ++i)
    if (base[i] != 0)
      return dataLossError(prefix_ + "header byte " + std::to_string(i) +
                           " is not zero (file damaged?)");
  artifact_.manifestOffset_ = readLE<uint64_t>(base + CLEAVE_HEADER_MANIFEST_OFFSET_OFFSET);
  artifact_.manifestSize_ = readLE<uint64_t>(base + CLEAVE_HEADER_MANIFEST_SIZE_OFFSET);
  if (artifact_.manifestOffset_ < CLEAVE_HEADER_SIZE ||
      artifact_.manifestOffset_ > size ||
      artifact_.manifestSize_ > size - artifact_.manifestOffset_)
    return dataLossError(prefix_ + "manifest (offset " +
                         std::to_string(artifact_.manifestOffset_) + ", " +
                         std::to_string(artifact_.manifestSize_) +
                         " bytes) lies outside the file (" +
                         std::to_string(size) + " bytes; truncated?)");
  return Status();
}

Status ArtifactLoader::readManifest() {
  const uint8_t *manifest = artifact_.base_ + artifact_.manifestOffset_;
  if (readLE<uint32_t>(artifact_.base_ + CLEAVE_HEADER_MANIFEST_CRC_OFFSET) !=
      crc32(manifest, artifact_.manifestSize_))
    return dataLossError(prefix_ +
                         "manifest checksum mismatch (file damaged?)");
  StatusOr<Manifest> parsed = parseManifest(artifact_.manifestText());
  if (!parsed.ok())
    return Status(parsed.status().code(),
                  prefix_ + "manifest: " + parsed.status().message());
  Manifest &m = *parsed;
  if (m.provenance.formatVersion != CLEAVE_FORMAT_VERSION)
    return dataLossError(prefix_ + "manifest format_version " +
                         std::to_string(m.provenance.formatVersion) +
                         " differs from the header's " +
                         std::to_string(CLEAVE_FORMAT_VERSION));
  artifact_.provenance_ = std::move(m.provenance);
  artifact_.inputs_ = std::move(m.inputs);
  artifact_.outputs_ = std::move(m.outputs);
  artifact_.devices_ = std::move(m.devices);
  artifact_.parameters_ = std::move(m.parameters);
  artifact_.stages_ = std::move(m.stages);
  artifact_.sections_ = std::move(m.sections);
  artifact_.microbatches_ = m.microbatches;
  artifact_.dp_ = m.dp;
  artifact_.profileOps_ = m.profileOps;
  artifact_.variants_ = std::move(m.variants);
  artifact_.generation_ = std::move(m.generation);
  artifact_.tuning_ = std::move(m.tuning);
  return Status();
}

Status ArtifactLoader::checkSections(int rank) {
  uint64_t manifestEnd = artifact_.manifestOffset_ + artifact_.manifestSize_;
  for (const SectionDesc &section : artifact_.sections_) {
    std::string where = prefix_ + "section '" + section.name + "' ";
    if (section.offset % CLEAVE_SECTION_ALIGNMENT != 0)
      return dataLossError(where + "offset " + std::to_string(section.offset) +
                           " is not 4096-byte aligned");
    if (section.offset < manifestEnd)
      return dataLossError(where + "overlaps the header or manifest");
    if (section.offset > artifact_.fileSize_ ||
        section.size > artifact_.fileSize_ - section.offset)
      return dataLossError(
          where + "(offset " + std::to_string(section.offset) + ", " +
          std::to_string(section.size) + " bytes) lies outside the file (" +
          std::to_string(artifact_.fileSize_) + " bytes; truncated?)");
  }
  // No checksum covers the padding between the manifest and the sections:
  // it must be zero, sections must not overlap, and nothing may follow the
  // last one, so that every damaged or missing byte is detected.
  std::vector<const SectionDesc *> order;
  for (const SectionDesc &section : artifact_.sections_)
    order.push_back(&section);
  std::stable_sort(order.begin(), order.end(),
                   [](const SectionDesc *a, const SectionDesc *b) {
                     return a->offset < b->offset;
                   });
  uint64_t cursor = manifestEnd;
  std::string previous = "the manifest";
  for (const SectionDesc *section : order) {
    std::string where = prefix_ + "section '" + section->name + "' ";
    if (section->offset < cursor)
      return dataLossError(where + "overlaps " + previous);
    for (uint64_t i = cursor; i < section->offset; ++i)
      if (artifact_.base_[i] != 0)
        return dataLossError(where + "is preceded by padding that is not "
                                     "zero at byte " +
                             std::to_string(i) + " (file damaged?)");
    cursor = section->offset + section->size;
    previous = "section '" + section->name + "'";
  }
  if (cursor < artifact_.fileSize_)
    return dataLossError(prefix_ + std::to_string(artifact_.fileSize_ - cursor) +
                         " bytes follow the end of " + previous +
                         ", where the file should end (file damaged?)");
  // A rank of a distributed plan reads only the sections it uses.
  std::set<std::string> used;
  auto useStages = [&](const std::vector<StageDesc> &stages) {
    for (const StageDesc &stage : stages)
      if (stage.rank == rank) {
        used.insert(stage.code);
        if (stage.gpuProgram)
          for (const GpuBufferDesc &buffer : stage.gpuProgram->buffers)
            if (buffer.kind == GpuBufferDesc::Kind::Constant)
              used.insert(buffer.section);
      }
  };
  useStages(artifact_.stages_);
  for (const PlanVariant &variant : artifact_.variants_)
    useStages(variant.stages);
  for (const ParameterDesc &param : artifact_.parameters_)
    if (param.rank == rank)
      used.insert(param.section);
  for (const SectionDesc &section : artifact_.sections_)
    if ((rank == Artifact::kAllRanks || used.count(section.name)) &&
        crc32(artifact_.sectionData(section), section.size) != section.crc32)
      return dataLossError(prefix_ + "section '" + section.name +
                           "' checksum mismatch (file damaged?)");
  return Status();
}

Status ArtifactLoader::checkParameters() {
  for (const ParameterDesc &param : artifact_.parameters_) {
    const SectionDesc *section = artifact_.findSection(param.section);
    std::string where = prefix_ + "parameter '" + param.name + "' ";
    if (section->kind != CLEAVE_SECTION_PARAMS)
      return dataLossError(where + "lies in section '" + section->name +
                           "' of kind '" + section->kind +
                           "', expected 'params'");
    if (param.offset % CLEAVE_PARAMETER_ALIGNMENT != 0)
      return dataLossError(where + "offset " + std::to_string(param.offset) +
                           " is not 64-byte aligned");
    if (param.offset > section->size ||
        param.size > section->size - param.offset)
      return dataLossError(where + "(offset " + std::to_string(param.offset) +
                           ", " + std::to_string(param.size) +
                           " bytes) lies outside section '" + section->name +
                           "' (" + std::to_string(section->size) + " bytes)");
  }
  return Status();
}

StatusOr<std::unique_ptr<Artifact>>
ArtifactLoader::load(const std::string &path, int rank) {
  try {
    std::unique_ptr<Artifact> artifact(new Artifact());
    artifact->path_ = path;
    artifact->checkedRank_ = rank;
    ArtifactLoader loader(path, *artifact);
    Status status = loader.map(path);
    if (status.ok())
      status = loader.checkHeader();
    if (status.ok())
      status = loader.readManifest();
    if (status.ok())
      status = loader.checkSections(rank);
    if (status.ok())
      status = loader.checkParameters();
    if (!status.ok())
      return status;
    return artifact;
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("artifact '" + path +
                                  "': out of memory reading the manifest");
  }
}

StatusOr<std::unique_ptr<Artifact>> Artifact::open(const std::string &path,
                                                   int rank) {
  return ArtifactLoader::load(path, rank);
}

std::vector<int64_t> Artifact::batchSizes() const {
  std::vector<int64_t> sizes;
  if (inputs_.empty() || inputs_[0].shape.empty())
    return sizes;
  sizes.push_back(inputs_[0].shape[0]);
  for (const PlanVariant &variant : variants_)
    sizes.push_back(variant.batch);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

StatusOr<std::shared_ptr<const Artifact>>
Artifact::forBatch(std::shared_ptr<const Artifact> artifact, int64_t batch) {
  std::vector<int64_t> sizes = artifact->batchSizes();
  if (sizes.empty() || artifact->inputs_[0].shape[0] == batch)
    return artifact;
  for (const PlanVariant &variant : artifact->variants_) {
    if (variant.batch != batch)
      continue;
    std::shared_ptr<Artifact> view(new Artifact());
    view->path_ = artifact->path_;
    view->base_ = artifact->base_;
    view->fileSize_ = artifact->fileSize_;
    view->manifestOffset_ = artifact->manifestOffset_;
    view->manifestSize_ = artifact->manifestSize_;
    view->provenance_ = artifact->provenance_;
    view->inputs_ = variant.inputs;
    view->outputs_ = variant.outputs;
    view->devices_ = artifact->devices_;
    view->parameters_ = artifact->parameters_;
    view->stages_ = variant.stages;
    view->sections_ = artifact->sections_;
    view->microbatches_ = artifact->microbatches_;
    view->dp_ = artifact->dp_;
    view->profileOps_ = artifact->profileOps_;
    view->generation_ = artifact->generation_;
    view->tuning_ = artifact->tuning_;
    view->checkedRank_ = artifact->checkedRank_;
    view->owner_ = artifact->owner_ ? artifact->owner_ : artifact;
    return std::shared_ptr<const Artifact>(std::move(view));
  }
  std::string list;
  for (int64_t size : sizes)
    list += (list.empty() ? "" : ", ") + std::to_string(size);
  return notFoundError("artifact '" + artifact->path_ + "' has no plan for batch " +
                       std::to_string(batch) + " (batch sizes: " + list + ")");
}

Artifact::~Artifact() {
  if (base_ && !owner_)
    ::munmap(const_cast<uint8_t *>(base_), fileSize_);
}

std::string_view Artifact::manifestText() const {
  return std::string_view(
      reinterpret_cast<const char *>(base_) + manifestOffset_, manifestSize_);
}

const SectionDesc *Artifact::findSection(std::string_view name) const {
  for (const SectionDesc &section : sections_)
    if (section.name == name)
      return &section;
  return nullptr;
}

const ParameterDesc *Artifact::findParameter(std::string_view name) const {
  for (const ParameterDesc &param : parameters_)
    if (param.name == name)
      return &param;
  return nullptr;
}

const uint8_t *Artifact::sectionData(const SectionDesc &section) const {
  return base_ + section.offset;
}

const void *Artifact::parameterData(const ParameterDesc &param) const {
  const SectionDesc *section = findSection(param.section);
  return section ? sectionData(*section) + param.offset : nullptr;
}

const StageDesc *Artifact::findStage(int id) const {
  for (const StageDesc &stage : stages_)
    if (stage.id == id)
      return &stage;
  return nullptr;
}

const StageDesc *Artifact::stageOnRank(int rank) const {
  for (const StageDesc &stage : stages_)
    if (stage.rank == rank)
      return &stage;
  return nullptr;
}

uint64_t Artifact::totalParameterBytes() const {
  uint64_t total = 0;
  for (const ParameterDesc &param : parameters_)
    total += param.size;
  return total;
}

std::string Artifact::describe() const {
  const Provenance &p = provenance_;
  std::string out;
  auto line = [&out](const std::string &text) { out += text + "\n"; };
  line("artifact:    " + path_ + " (" + formatBytes(double(fileSize_)) + ")");
  line("format:      version " + std::to_string(p.formatVersion) +
       ", compiler " +
       (p.compilerVersion.empty() ? "unknown" : p.compilerVersion));
  std::string source = p.source.path.empty() ? "unknown" : p.source.path;
  if (p.source.opset)
    source += " (opset " + std::to_string(p.source.opset) + ")";
  if (!p.source.producer.empty())
    source += ", produced by " + p.source.producer;
  line("source:      " + source);
  if (!p.source.sha256.empty())
    line("  sha256:    " + p.source.sha256);
  std::string options;
  for (const auto &option : p.options)
    options +=
        (options.empty() ? "" : " ") + option.first + "=" + option.second;
  line("options:     " + (options.empty() ? std::string("(none)") : options));
  line("inputs:      " + std::to_string(inputs_.size()));
  for (const TensorDesc &input : inputs_)
    line("  " + input.toString());
  line("outputs:     " + std::to_string(outputs_.size()));
  for (const TensorDesc &output : outputs_)
    line("  " + output.toString());
  line("devices:     " + std::to_string(devices_.size()));
  for (const DeviceDesc &device : devices_)
    line("  rank " + std::to_string(device.rank) + ": " + device.kind + ":" +
         std::to_string(device.index));
  line("parameters:  " + std::to_string(parameters_.size()) + ", " +
       formatBytes(double(totalParameterBytes())) + " (" +
       std::to_string(totalParameterBytes()) + " bytes)");
  if (!variants_.empty()) {
    std::string sizes;
    for (int64_t size : batchSizes())
      sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
    line("batch sizes: " + sizes + " (the main plan below has batch " +
         std::to_string(inputs_[0].shape[0]) + ")");
    for (const PlanVariant &variant : variants_) {
      std::string codes;
      for (const StageDesc &stage : variant.stages)
        codes += (codes.empty() ? "" : ", ") + stage.code;
      line("  batch " + std::to_string(variant.batch) + ": " +
           std::to_string(variant.stages.size()) + " stage" +
           (variant.stages.size() == 1 ? "" : "s") + " in " + codes);
    }
  }
  line("stages:      " + std::to_string(stages_.size()) + ", " +
       std::to_string(microbatches_) +
       (microbatches_ == 1 ? " microbatch" : " microbatches") + " per run");
  for (const StageDesc &stage : stages_) {
    int counts[6] = {0, 0, 0, 0, 0, 0};
    for (const StageArg &arg : stage.args)
      ++counts[static_cast<int>(arg.kind)];
    std::string args = counted(counts[0], "input") + ", " +
                       counted(counts[1], "param") + ", " +
                       counted(counts[2], "output");
    if (counts[3])
      args += ", " + counted(counts[3], "recv");
    if (counts[4])
      args += ", " + counted(counts[4], "send");
    if (counts[5])
      args += ", " + counted(counts[5], "other arg");
    std::string group;
    if (stage.group.size() > 1) {
      for (int rank : stage.group)
        group += (group.empty() ? " (tensor-parallel group " : ", ") +
                 std::to_string(rank);
      group += ")";
    }
    line("  stage " + std::to_string(stage.id) + ": rank " +
         std::to_string(stage.rank) + group + ", device " +
         std::to_string(stage.device) + ", entry " + stage.entry + " in " +
         stage.code + "; " + args +
         (stage.estimatedFlops || stage.estimatedBytes
              ? "; estimate " + formatFlops(stage.estimatedFlops) + ", " +
                    formatBytes(stage.estimatedBytes)
              : std::string()));
    if (stage.gpuProgram) {
      uint64_t temp = 0, constant = 0;
      for (const GpuBufferDesc &buffer : stage.gpuProgram->buffers)
        (buffer.kind == GpuBufferDesc::Kind::Temp ? temp : constant) +=
            buffer.kind == GpuBufferDesc::Kind::Arg ? 0 : buffer.size;
      size_t collectives = 0;
      for (const GpuLaunch &launch : stage.gpuProgram->launches)
        collectives += launch.kind != GpuLaunch::Kind::Kernel;
      line("    gpu_program: " + std::to_string(stage.gpuProgram->kernels.size()) +
           " kernels, " +
           std::to_string(stage.gpuProgram->launches.size() - collectives) +
           " launches, " +
           (collectives ? std::to_string(collectives) +
                                (collectives == 1 ? " collective, " : " collectives, ")
                          : "") +
           std::to_string(stage.gpuProgram->buffers.size()) +
           " buffers (temporaries " + formatBytes(static_cast<double>(temp)) +
           ", constants " + formatBytes(static_cast<double>(constant)) + ")");
    }
    for (const StageArg &arg : stage.args) {
      if (arg.kind == StageArg::Kind::Recv)
        line("    recv " + arg.name + ": " + dtypeName(arg.dtype) +
             shapeToString(arg.shape) + " from stage " +
             std::to_string(arg.peer));
      else if (arg.kind == StageArg::Kind::Send)
        line("    send " + arg.name + ": " + dtypeName(arg.dtype) +
             shapeToString(arg.shape) + " to stage " +
             std::to_string(arg.peer));
    }
  }
  line("sections:    " + std::to_string(sections_.size()));
  for (const SectionDesc &section : sections_)
    line("  " + section.name + " (" + section.kind + "): offset " +
         std::to_string(section.offset) + ", " + std::to_string(section.size) +
         " bytes, crc32 " + std::to_string(section.crc32));
  if (tuning_) {
    const TuningReport &t = *tuning_;
    const TuningCandidate &c = t.candidates[static_cast<size_t>(t.chosen)];
    size_t measured = 0;
    for (const TuningCandidate &k : t.candidates)
      measured += k.measuredMs >= 0;
    line("tuning:      cleave-tune tried " + std::to_string(t.candidates.size()) +
         " candidate plan(s) and measured " + std::to_string(measured) + " on " +
         std::to_string(t.ranks) +
         " rank(s); this artifact holds candidate " + std::to_string(t.chosen + 1) +
         " (pp=" + std::to_string(c.pp) + " tp=" + std::to_string(c.tp) +
         " microbatches=" + std::to_string(c.microbatches) + ")");
    line("     #  pp  tp  microbatches  predicted ms  measured ms   error  status");
    for (size_t i = 0; i < t.candidates.size(); ++i) {
      const TuningCandidate &k = t.candidates[i];
      char row[160];
      if (k.measuredMs >= 0)
        std::snprintf(row, sizeof row, "  %4zu  %2lld  %2lld  %12lld  %12.3f  %11.3f  %+5.0f%%  ",
                      i + 1, (long long)k.pp, (long long)k.tp, (long long)k.microbatches,
                      k.predictedMs, k.measuredMs,
                      k.measuredMs > 0 ? (k.predictedMs - k.measuredMs) / k.measuredMs * 100
                                       : 0.0);
      else
        std::snprintf(row, sizeof row, "  %4zu  %2lld  %2lld  %12lld  %12.3f  %11s  %6s  ",
                      i + 1, (long long)k.pp, (long long)k.tp, (long long)k.microbatches,
                      k.predictedMs, "-", "-");
      line(row + k.status + (static_cast<int64_t>(i) == t.chosen ? "  <- chosen" : ""));
    }
  }
  return out;
}

} // namespace cleave
