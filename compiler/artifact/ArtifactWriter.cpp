// Writes `.cleave` artifacts (docs/artifact-format.md): the format's one writer.
#include "compiler/artifact/ArtifactWriter.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

using namespace cleave::artifact;
using Json = nlohmann::ordered_json;

namespace {

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

uint32_t crc(const char *data, size_t size) {
  uLong value = crc32(0L, Z_NULL, 0);
  // zlib takes at most 4 GiB per call.
  while (size > 0) {
    auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    value = crc32(value, reinterpret_cast<const Bytef *>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(value);
}

template <typename T> void putLE(std::string &out, size_t offset, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out[offset + i] = static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff);
}

const char *dtypeName(cleave_dtype dtype) {
  const char *name = cleave_dtype_name(dtype);
  return name ? name : "unknown";
}

Json tensorJson(const Tensor &t) {
  return Json{{CLEAVE_KEY_NAME, t.name},
              {CLEAVE_KEY_DTYPE, dtypeName(t.dtype)},
              {CLEAVE_KEY_SHAPE, t.shape}};
}

const char *argKindName(ArgKind kind) {
  switch (kind) {
  case ArgKind::Input:
    return CLEAVE_ARG_INPUT;
  case ArgKind::Param:
    return CLEAVE_ARG_PARAM;
  case ArgKind::Output:
    return CLEAVE_ARG_OUTPUT;
  case ArgKind::Recv:
    return CLEAVE_ARG_RECV;
  case ArgKind::Send:
    return CLEAVE_ARG_SEND;
  }
  return "";
}

const char *kernelArgTypeName(GpuKernelArg::Type type) {
  switch (type) {
  case GpuKernelArg::Type::Ptr:
    return CLEAVE_KERNEL_ARG_PTR;
  case GpuKernelArg::Type::I64:
    return CLEAVE_KERNEL_ARG_I64;
  case GpuKernelArg::Type::I32:
    return CLEAVE_KERNEL_ARG_I32;
  case GpuKernelArg::Type::I16:
    return CLEAVE_KERNEL_ARG_I16;
  case GpuKernelArg::Type::I8:
    return CLEAVE_KERNEL_ARG_I8;
  case GpuKernelArg::Type::I1:
    return CLEAVE_KERNEL_ARG_I1;
  case GpuKernelArg::Type::F32:
    return CLEAVE_KERNEL_ARG_F32;
  case GpuKernelArg::Type::F64:
    return CLEAVE_KERNEL_ARG_F64;
  }
  return "";
}

Json gpuProgramJson(const GpuProgram &program) {
  Json buffers = Json::array(), launches = Json::array();
  for (const GpuBuffer &b : program.buffers) {
    switch (b.kind) {
    case GpuBuffer::Kind::Arg:
      buffers.push_back({{CLEAVE_KEY_KIND, CLEAVE_BUFFER_ARG}, {CLEAVE_KEY_INDEX, b.index}});
      break;
    case GpuBuffer::Kind::Temp:
      buffers.push_back({{CLEAVE_KEY_KIND, CLEAVE_BUFFER_TEMP}, {CLEAVE_KEY_SIZE, b.size}});
      break;
    case GpuBuffer::Kind::Constant:
      buffers.push_back({{CLEAVE_KEY_KIND, CLEAVE_BUFFER_CONSTANT},
                         {CLEAVE_KEY_SECTION, b.section},
                         {CLEAVE_KEY_OFFSET, b.offset},
                         {CLEAVE_KEY_SIZE, b.size}});
      break;
    }
  }
  for (const GpuStep &step : program.launches) {
    if (!step.collective.empty()) {
      launches.push_back({{CLEAVE_KEY_COLLECTIVE, step.collective},
                          {CLEAVE_KEY_IN, step.in},
                          {CLEAVE_KEY_OUT, step.out},
                          {CLEAVE_KEY_COUNT, step.count},
                          {CLEAVE_KEY_DTYPE, static_cast<int64_t>(step.dtype)}});
      continue;
    }
    Json args = Json::array();
    for (const GpuKernelArg &a : step.args) {
      Json arg{{CLEAVE_KEY_TYPE, kernelArgTypeName(a.type)}};
      switch (a.type) {
      case GpuKernelArg::Type::Ptr:
        arg[CLEAVE_KEY_BUFFER] = a.buffer;
        break;
      case GpuKernelArg::Type::F32:
      case GpuKernelArg::Type::F64:
        arg[CLEAVE_KEY_BITS] = a.bits;
        break;
      default:
        arg[CLEAVE_KEY_VALUE] = a.value;
        break;
      }
      args.push_back(std::move(arg));
    }
    launches.push_back({{CLEAVE_KEY_KERNEL, step.kernel},
                        {CLEAVE_KEY_GRID, step.grid},
                        {CLEAVE_KEY_BLOCK, step.block},
                        {CLEAVE_KEY_ARGS, std::move(args)}});
  }
  return Json{{CLEAVE_KEY_KERNELS, program.kernels},
              {CLEAVE_KEY_BUFFERS, std::move(buffers)},
              {CLEAVE_KEY_LAUNCHES, std::move(launches)}};
}

Json stageJson(const Stage &s) {
  Json args = Json::array();
  for (const Arg &a : s.args) {
    Json arg{{CLEAVE_KEY_KIND, argKindName(a.kind)}, {CLEAVE_KEY_NAME, a.name}};
    if (a.kind == ArgKind::Send || a.kind == ArgKind::Recv) {
      arg[a.kind == ArgKind::Send ? CLEAVE_KEY_TO : CLEAVE_KEY_FROM] = a.peer;
      arg[CLEAVE_KEY_DTYPE] = dtypeName(a.tensor.dtype);
      arg[CLEAVE_KEY_SHAPE] = a.tensor.shape;
    }
    args.push_back(std::move(arg));
  }
  Json estimate{{CLEAVE_KEY_FLOPS, s.flops}, {CLEAVE_KEY_BYTES, s.bytes}};
  if (s.seconds > 0)
    estimate[CLEAVE_KEY_SECONDS] = s.seconds;
  if (s.computeSeconds > 0)
    estimate[CLEAVE_KEY_COMPUTE_SECONDS] = s.computeSeconds;
  if (s.sendSeconds > 0)
    estimate[CLEAVE_KEY_SEND_SECONDS] = s.sendSeconds;
  Json stage{{CLEAVE_KEY_ID, s.id},
             {CLEAVE_KEY_RANK, s.rank},
             {CLEAVE_KEY_DEVICE, s.device},
             {CLEAVE_KEY_CODE, s.code},
             {CLEAVE_KEY_ENTRY, s.entry},
             {CLEAVE_KEY_ARGS, std::move(args)},
             {CLEAVE_KEY_ESTIMATE, std::move(estimate)}};
  if (s.gpuProgram)
    stage[CLEAVE_KEY_GPU_PROGRAM] = gpuProgramJson(*s.gpuProgram);
  if (s.group.size() > 1) {
    Json shardings = Json::array(), collectives = Json::array();
    for (const Sharding &sh : s.shardings)
      shardings.push_back(
          {{CLEAVE_KEY_NODE, sh.node}, {CLEAVE_KEY_SPLIT, sh.split}, {CLEAVE_KEY_WEIGHT, sh.weight}});
    for (const CollectiveNote &c : s.collectives)
      collectives.push_back({{CLEAVE_KEY_KIND, c.kind},
                             {CLEAVE_KEY_AFTER, c.after},
                             {CLEAVE_KEY_ELEMENTS, c.elements}});
    stage[CLEAVE_KEY_GROUP] = s.group;
    stage[CLEAVE_KEY_SHARDINGS] = std::move(shardings);
    stage[CLEAVE_KEY_COLLECTIVES] = std::move(collectives);
  }
  if (!s.opGroups.empty()) {
    Json groups = Json::array();
    for (const OpGroup &g : s.opGroups)
      groups.push_back({{CLEAVE_KEY_ID, g.id},
                        {CLEAVE_KEY_NAME, g.name},
                        {CLEAVE_KEY_NODES, g.nodes},
                        {CLEAVE_KEY_OPS, g.ops}});
    stage[CLEAVE_KEY_OP_GROUPS] = std::move(groups);
  }
  return stage;
}

/// The manifest of `spec` with `parameters` (their placement inside the parameter
/// sections) and the file's `sections`.
std::string manifestText(const Spec &spec, const Json &parameters,
                         const std::vector<Placement> &sections) {
  Json inputs = Json::array(), outputs = Json::array(), devices = Json::array(),
       stages = Json::array(), sectionList = Json::array();
  for (const Tensor &t : spec.inputs)
    inputs.push_back(tensorJson(t));
  for (const Tensor &t : spec.outputs)
    outputs.push_back(tensorJson(t));
  for (const Device &d : spec.devices)
    devices.push_back(
        {{CLEAVE_KEY_RANK, d.rank}, {CLEAVE_KEY_KIND, d.kind}, {CLEAVE_KEY_INDEX, d.index}});
  for (const Stage &s : spec.stages)
    stages.push_back(stageJson(s));
  for (const Placement &p : sections)
    sectionList.push_back({{CLEAVE_KEY_NAME, p.name},
                           {CLEAVE_KEY_KIND, p.kind},
                           {CLEAVE_KEY_OFFSET, p.offset},
                           {CLEAVE_KEY_SIZE, p.size},
                           {CLEAVE_KEY_CRC32, p.crc32}});
  const Options &o = spec.options;
  Json variants = Json::array();
  for (const Variant &v : spec.variants) {
    Json vInputs = Json::array(), vOutputs = Json::array(), vStages = Json::array();
    for (const Tensor &t : v.inputs)
      vInputs.push_back(tensorJson(t));
    for (const Tensor &t : v.outputs)
      vOutputs.push_back(tensorJson(t));
    for (const Stage &s : v.stages)
      vStages.push_back(stageJson(s));
    variants.push_back({{CLEAVE_KEY_BATCH, v.batch},
                        {CLEAVE_KEY_INPUTS, std::move(vInputs)},
                        {CLEAVE_KEY_OUTPUTS, std::move(vOutputs)},
                        {CLEAVE_KEY_STAGES, std::move(vStages)}});
  }
  Json root{{CLEAVE_KEY_FORMAT_VERSION, CLEAVE_FORMAT_VERSION},
            {CLEAVE_KEY_COMPILER_VERSION, compilerVersion()},
            {CLEAVE_KEY_SOURCE,
             {{CLEAVE_KEY_PATH, spec.source.path},
              {CLEAVE_KEY_SHA256, spec.source.sha256},
              {CLEAVE_KEY_OPSET, spec.source.opset},
              {CLEAVE_KEY_PRODUCER, spec.source.producer}}},
            {CLEAVE_KEY_OPTIONS,
             {{CLEAVE_KEY_DEVICES, o.devices},
              {CLEAVE_KEY_PP, o.pp},
              {CLEAVE_KEY_TP, o.tp},
              {CLEAVE_KEY_MICROBATCHES, o.microbatches},
              {CLEAVE_KEY_CPU, o.cpu},
              {CLEAVE_KEY_CUDA_ARCH, o.cudaArch},
              {CLEAVE_KEY_ROCM_ARCH, o.rocmArch},
              {CLEAVE_KEY_INPUT_SHAPES, o.inputShapes}}},
            {CLEAVE_KEY_INPUTS, std::move(inputs)},
            {CLEAVE_KEY_OUTPUTS, std::move(outputs)},
            {CLEAVE_KEY_DEVICES, std::move(devices)},
            {CLEAVE_KEY_PARAMETERS, parameters},
            {CLEAVE_KEY_STAGES, std::move(stages)},
            {CLEAVE_KEY_SECTIONS, std::move(sectionList)}};
  if (!o.batchSizes.empty())
    root[CLEAVE_KEY_OPTIONS][CLEAVE_KEY_BATCH_SIZES] = o.batchSizes;
  if (o.dp > 1)
    root[CLEAVE_KEY_OPTIONS][CLEAVE_KEY_DP] = o.dp;
  if (o.profileOps)
    root[CLEAVE_KEY_OPTIONS][CLEAVE_KEY_PROFILE_OPS] = true;
  if (!spec.variants.empty())
    root[CLEAVE_KEY_VARIANTS] = std::move(variants);
  if (const std::optional<Generation> &g = spec.generation) {
    Json cache = Json::array();
    for (const Generation::Cache &c : g->cache)
      cache.push_back({{CLEAVE_KEY_PAST, c.past},
                       {CLEAVE_KEY_PRESENT, c.present},
                       {CLEAVE_KEY_TRANSPOSED, c.transposed}});
    root[CLEAVE_KEY_GENERATION] = {{CLEAVE_KEY_MAX_SEQ_LEN, g->maxSeqLen},
                                   {CLEAVE_KEY_INPUT_IDS, g->inputIds},
                                   {CLEAVE_KEY_ATTENTION_MASK, g->attentionMask},
                                   {CLEAVE_KEY_POSITION_IDS, g->positionIds},
                                   {CLEAVE_KEY_LOGITS, g->logits},
                                   {CLEAVE_KEY_CACHE, std::move(cache)}};
  }
  // Names come from the model: bytes that are not UTF-8 are replaced, never thrown over.
  return root.dump(2, ' ', false, Json::error_handler_t::replace);
}

} // namespace

const char *cleave::artifact::compilerVersion() { return "0.1.0"; }

void cleave::artifact::sealHeader(Image &image) {
  std::string &bytes = image.bytes;
  putLE<uint32_t>(bytes, CLEAVE_HEADER_MANIFEST_CRC_OFFSET,
                  crc(bytes.data() + image.manifestOffset, image.manifestSize));
  putLE<uint32_t>(bytes, CLEAVE_HEADER_CRC_OFFSET, crc(bytes.data(), CLEAVE_HEADER_CRC_OFFSET));
}

Image cleave::artifact::assemble(
    const std::function<std::string(const std::vector<Placement> &)> &manifestFor,
    std::vector<Section> sections, uint32_t version) {
  std::vector<Placement> placements;
  for (const Section &s : sections)
    placements.push_back({s.name, s.kind, 0, s.bytes.size(), crc(s.bytes.data(), s.bytes.size())});
  // Offsets only lengthen the manifest, so the layout settles within a few rounds.
  std::string manifest = manifestFor(placements);
  for (int round = 0; round < 16; ++round) {
    uint64_t cursor = alignTo(CLEAVE_HEADER_SIZE + manifest.size(), CLEAVE_SECTION_ALIGNMENT);
    bool moved = false;
    for (Placement &p : placements) {
      moved |= p.offset != cursor;
      p.offset = cursor;
      cursor = alignTo(cursor + p.size, CLEAVE_SECTION_ALIGNMENT);
    }
    if (!moved)
      break;
    manifest = manifestFor(placements);
  }

  Image image;
  image.manifestOffset = CLEAVE_HEADER_SIZE;
  image.manifestSize = manifest.size();
  uint64_t end = CLEAVE_HEADER_SIZE + manifest.size();
  if (!placements.empty())
    end = placements.back().offset + placements.back().size;
  image.bytes.assign(end, '\0');
  std::memcpy(image.bytes.data(), CLEAVE_MAGIC, CLEAVE_MAGIC_SIZE);
  putLE<uint32_t>(image.bytes, CLEAVE_HEADER_VERSION_OFFSET, version);
  putLE<uint64_t>(image.bytes, CLEAVE_HEADER_MANIFEST_OFFSET_OFFSET, image.manifestOffset);
  putLE<uint64_t>(image.bytes, CLEAVE_HEADER_MANIFEST_SIZE_OFFSET, image.manifestSize);
  std::memcpy(image.bytes.data() + image.manifestOffset, manifest.data(), manifest.size());
  for (size_t i = 0; i < sections.size(); ++i)
    std::memcpy(image.bytes.data() + placements[i].offset, sections[i].bytes.data(),
                sections[i].bytes.size());
  image.sections = std::move(placements);
  sealHeader(image);
  return image;
}

bool cleave::artifact::setManifestKey(const std::string &bytes, const std::string &key,
                                      const std::string &valueJson, std::string &out,
                                      std::string &error) {
  auto getLE64 = [&](size_t offset) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
    return v;
  };
  if (bytes.size() < CLEAVE_HEADER_SIZE || bytes.compare(0, 8, CLEAVE_MAGIC, 8) != 0) {
    error = "not a Cleave artifact";
    return false;
  }
  uint32_t version = static_cast<uint32_t>(getLE64(CLEAVE_HEADER_VERSION_OFFSET) & 0xffffffffu);
  uint64_t offset = getLE64(CLEAVE_HEADER_MANIFEST_OFFSET_OFFSET);
  uint64_t size = getLE64(CLEAVE_HEADER_MANIFEST_SIZE_OFFSET);
  if (offset > bytes.size() || size > bytes.size() - offset) {
    error = "the artifact's manifest lies outside the file";
    return false;
  }
  Json root = Json::parse(bytes.substr(offset, size), nullptr, false);
  Json value = Json::parse(valueJson, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains(CLEAVE_KEY_SECTIONS)) {
    error = "the artifact's manifest is not a JSON object with sections";
    return false;
  }
  if (value.is_discarded()) {
    error = "the value of manifest key '" + key + "' is not JSON";
    return false;
  }
  std::vector<Section> sections;
  for (const Json &s : root[CLEAVE_KEY_SECTIONS]) {
    uint64_t at = s.value(CLEAVE_KEY_OFFSET, uint64_t(0)), n = s.value(CLEAVE_KEY_SIZE, uint64_t(0));
    if (at > bytes.size() || n > bytes.size() - at) {
      error = "section '" + s.value(CLEAVE_KEY_NAME, std::string()) + "' lies outside the file";
      return false;
    }
    sections.push_back({s.value(CLEAVE_KEY_NAME, std::string()),
                        s.value(CLEAVE_KEY_KIND, std::string()), bytes.substr(at, n)});
  }
  root[key] = std::move(value);
  Image image = assemble(
      [&](const std::vector<Placement> &placements) {
        Json list = Json::array();
        for (const Placement &p : placements)
          list.push_back({{CLEAVE_KEY_NAME, p.name},
                          {CLEAVE_KEY_KIND, p.kind},
                          {CLEAVE_KEY_OFFSET, p.offset},
                          {CLEAVE_KEY_SIZE, p.size},
                          {CLEAVE_KEY_CRC32, p.crc32}});
        root[CLEAVE_KEY_SECTIONS] = std::move(list);
        return root.dump(2, ' ', false, Json::error_handler_t::replace);
      },
      std::move(sections), version);
  out = std::move(image.bytes);
  return true;
}

Image cleave::artifact::build(const Spec &spec) {
  std::vector<Section> sections;
  for (const Code &code : spec.code)
    sections.push_back({code.section, code.kind, code.bytes});
  // Each rank's parameters in one section of its own, so a rank maps only its part.
  Json parameters = Json::array();
  std::map<int64_t, size_t> sectionOfRank;
  for (const Parameter &p : spec.parameters) {
    auto [it, inserted] = sectionOfRank.try_emplace(p.rank, sections.size());
    if (inserted)
      sections.push_back(
          {CLEAVE_SECTION_NAME_PARAMS + std::to_string(p.rank), CLEAVE_SECTION_PARAMS, ""});
    Section &section = sections[it->second];
    uint64_t offset = alignTo(section.bytes.size(), CLEAVE_PARAMETER_ALIGNMENT);
    section.bytes.resize(offset, '\0');
    section.bytes.append(p.bytes.data(), p.bytes.size());
    Json entry = tensorJson(p.tensor);
    entry[CLEAVE_KEY_RANK] = p.rank;
    entry[CLEAVE_KEY_SECTION] = section.name;
    entry[CLEAVE_KEY_OFFSET] = offset;
    entry[CLEAVE_KEY_SIZE] = p.bytes.size();
    parameters.push_back(std::move(entry));
  }
  return assemble(
      [&](const std::vector<Placement> &placements) {
        return manifestText(spec, parameters, placements);
      },
      std::move(sections));
}

bool cleave::artifact::write(const std::string &path, const Spec &spec, std::string &error) {
  Image image = build(spec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out)
    out.write(image.bytes.data(), static_cast<std::streamsize>(image.bytes.size()));
  out.close();
  if (!out) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}
