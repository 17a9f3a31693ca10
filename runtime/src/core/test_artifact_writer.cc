//===- test_artifact_writer.cc - Writes .cleave files for tests -----------===//

#include "core/test_artifact_writer.h"

#include "core/json.h"

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cleave {
namespace testing {

namespace {

artifact::Tensor tensorOf(const TensorDesc &desc) {
  return {desc.name, static_cast<cleave_dtype>(desc.dtype), desc.shape};
}

/// The writer's kind of a test argument's kind name.
artifact::ArgKind argKindOf(const std::string &kind) {
  if (kind == CLEAVE_ARG_PARAM)
    return artifact::ArgKind::Param;
  if (kind == CLEAVE_ARG_OUTPUT)
    return artifact::ArgKind::Output;
  if (kind == CLEAVE_ARG_RECV)
    return artifact::ArgKind::Recv;
  if (kind == CLEAVE_ARG_SEND)
    return artifact::ArgKind::Send;
  return artifact::ArgKind::Input;
}

AssembledArtifact toAssembled(const artifact::Image &image) {
  AssembledArtifact out;
  out.bytes.assign(image.bytes.begin(), image.bytes.end());
  out.manifestOffset = image.manifestOffset;
  out.manifestSize = image.manifestSize;
  for (const artifact::Placement &p : image.sections)
    out.sections[p.name] = {p.offset, p.size};
  return out;
}

artifact::Image toImage(const AssembledArtifact &assembled) {
  artifact::Image image;
  image.bytes.assign(assembled.bytes.begin(), assembled.bytes.end());
  image.manifestOffset = assembled.manifestOffset;
  image.manifestSize = assembled.manifestSize;
  return image;
}

template <typename T> void putLE(std::vector<uint8_t> &bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

/// The stages of `model`, with the single-code form expanded.
std::vector<TestStage> stagesOf(const TestModel &model) {
  if (!model.pipeline.empty())
    return model.pipeline;
  TestStage stage;
  for (const auto &arg : model.args)
    stage.args.push_back({arg.first, arg.second});
  stage.cSource = model.cSource;
  return std::vector<TestStage>(model.stages, stage);
}

std::vector<uint8_t> floatBytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
} // namespace

std::string makeTempDir() {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/cleave-test-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  return pattern;
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::string abiVersionSource(int version) {
  return "#include \"cleave/abi.h\"\n"
         "int cleave_abi_version(void) { return " +
         std::to_string(version) + "; }\n";
}

StatusOr<std::vector<uint8_t>> compileSharedObject(const std::string &source) {
  std::string dir = makeTempDir();
  std::string src = dir + "/code.c", lib = dir + "/code.so";
  writeBytes(src, std::vector<uint8_t>(source.begin(), source.end()));
  std::string command = "cc -shared -fPIC -O1 -I'" CLEAVE_RUNTIME_INCLUDE_DIR
                        "' -o '" + lib + "' '" + src +
                        "' 2>'" + dir + "/cc.log'";
  if (std::system(command.c_str()) != 0)
    return internalError("cannot compile test code (see " + dir + "/cc.log)");
  std::ifstream in(lib, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  std::string bytes = content.str();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

AssembledArtifact assembleArtifact(const std::string &manifestBody,
                                   const std::vector<RawSection> &sections,
                                   uint32_t version) {
  std::vector<artifact::Section> raw;
  for (const RawSection &section : sections)
    raw.push_back({section.name, section.kind,
                   std::string(section.bytes.begin(), section.bytes.end())});
  auto manifestFor = [&](const std::vector<artifact::Placement> &placements) {
    std::string list;
    for (size_t i = 0; i < placements.size(); ++i) {
      const artifact::Placement &p = placements[i];
      list += std::string(i ? "," : "") + "{\"" CLEAVE_KEY_NAME "\":" +
              json::quote(p.name) + ",\"" CLEAVE_KEY_KIND "\":" +
              json::quote(p.kind) + ",\"" CLEAVE_KEY_OFFSET "\":" +
              std::to_string(p.offset) + ",\"" CLEAVE_KEY_SIZE "\":" +
              std::to_string(p.size) + ",\"" CLEAVE_KEY_CRC32 "\":" +
              std::to_string(p.crc32) + "}";
    }
    return "{" + manifestBody + ",\"" CLEAVE_KEY_SECTIONS "\":[" + list + "]}";
  };
  return toAssembled(artifact::assemble(manifestFor, std::move(raw), version));
}

void patchManifest(AssembledArtifact *artifact, const std::string &from,
                   const std::string &to) {
  const char *manifest = reinterpret_cast<const char *>(artifact->bytes.data()) +
                         artifact->manifestOffset;
  std::string text(manifest, artifact->manifestSize);
  size_t at = text.find(from);
  uint64_t firstSection = artifact->bytes.size();
  for (const auto &entry : artifact->sections)
    firstSection = std::min(firstSection, entry.second.first);
  if (at == std::string::npos ||
      artifact->manifestOffset + text.size() - from.size() + to.size() >
          firstSection) {
    std::fprintf(stderr, "patchManifest: cannot replace '%s'\n", from.c_str());
    std::abort();
  }
  text.replace(at, from.size(), to);
  std::vector<uint8_t> &bytes = artifact->bytes;
  // The manifest's old bytes up to the first section become zeros.
  std::fill(bytes.begin() + artifact->manifestOffset,
            bytes.begin() + std::min<uint64_t>(firstSection, bytes.size()), 0);
  std::memcpy(bytes.data() + artifact->manifestOffset, text.data(), text.size());
  artifact->manifestSize = text.size();
  putLE<uint64_t>(bytes, CLEAVE_HEADER_MANIFEST_SIZE_OFFSET, text.size());
  artifact::Image image = toImage(*artifact);
  artifact::sealHeader(image);
  bytes.assign(image.bytes.begin(), image.bytes.end());
}

void setHeaderVersion(AssembledArtifact *artifact, uint32_t version) {
  putLE<uint32_t>(artifact->bytes, CLEAVE_HEADER_VERSION_OFFSET, version);
  artifact::Image image = toImage(*artifact);
  artifact::sealHeader(image);
  artifact->bytes.assign(image.bytes.begin(), image.bytes.end());
}

TestModel addModel() {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {2, 3}}};
  model.outputs = {{"y", DType::Float32, {2, 3}}};
  model.params = {{{"w", DType::Float32, {2, 3}},
                   floatBytes({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f})}};
  model.args = {{"input", "x"}, {"param", "w"}, {"output", "y"}};
  model.cSource = R"(
#include <math.h>
#include <stdint.h>
#include "cleave/abi.h"
static int num_threads = -1;
int cleave_abi_version(void) { return CLEAVE_ABI_VERSION; }
void cleave_set_num_threads(int n) { num_threads = n; }
int cleave_test_num_threads(void) { return num_threads; }
void cleave_stage_0(void *ctx, void **args) {
  (void)ctx;
  const float *x = (const float *)args[0];
  const float *w = (const float *)args[1];
  float *y = (float *)args[2];
  int aligned = (((uintptr_t)x | (uintptr_t)w | (uintptr_t)y) & 63) == 0;
  for (int i = 0; i < 6; ++i)
    y[i] = aligned ? x[i] + w[i] : NAN;
}
)";
  return model;
}

TestModel awkwardNamesModel() {
  TestModel model;
  model.inputs = {{"in:0", DType::Float32, {4}},
                  {"scale=2", DType::Float32, {4}}};
  model.outputs = {{"out/prod:0", DType::Float32, {4}}};
  model.args = {
      {"input", "in:0"}, {"input", "scale=2"}, {"output", "out/prod:0"}};
  model.cSource = abiVersionSource() + R"(
void cleave_stage_0(void *ctx, void **args) {
  (void)ctx;
  const float *a = (const float *)args[0], *b = (const float *)args[1];
  float *out = (float *)args[2];
  for (int i = 0; i < 4; ++i)
    out[i] = a[i] * b[i];
}
)";
  return model;
}

StatusOr<artifact::Spec> specOf(const TestModel &model) {
  std::vector<TestStage> stages = stagesOf(model);
  int count = static_cast<int>(stages.size());
  artifact::Spec spec;
  spec.source = {"test.onnx", std::string(64, 'a'), 17, "cleave tests"};
  spec.options.devices =
      "cpu:0" + (count > 1 ? "-" + std::to_string(count - 1) : std::string());
  spec.options.pp = count;
  spec.options.microbatches = model.microbatches;
  spec.options.cpu = "x86-64";
  spec.options.cudaArch = "sm_90";
  spec.options.rocmArch = "gfx942";
  for (const TensorDesc &t : model.inputs)
    spec.inputs.push_back(tensorOf(t));
  for (const TensorDesc &t : model.outputs)
    spec.outputs.push_back(tensorOf(t));
  std::map<std::string, std::string> compiled;
  for (int r = 0; r < count; ++r) {
    const TestStage &stage = stages[r];
    auto found = compiled.find(stage.cSource);
    if (found == compiled.end()) {
      StatusOr<std::vector<uint8_t>> code = compileSharedObject(stage.cSource);
      if (!code.ok())
        return code.status();
      found = compiled
                  .emplace(stage.cSource,
                           std::string(code->begin(), code->end()))
                  .first;
    }
    std::string section = CLEAVE_SECTION_NAME_CODE + std::to_string(r);
    spec.code.push_back({section, CLEAVE_SECTION_CPU_ELF_SO, found->second});
    spec.devices.push_back({r, CLEAVE_DEVICE_CPU, r});
    artifact::Stage entry;
    entry.id = stage.id >= 0 ? stage.id : r;
    entry.rank = entry.device = r;
    entry.code = section;
    entry.entry = CLEAVE_ENTRY_PREFIX +
                  std::to_string(model.pipeline.empty() ? 0 : r);
    entry.flops = 6;
    entry.bytes = 72;
    entry.group.assign(stage.group.begin(), stage.group.end());
    for (const TestArg &arg : stage.args)
      entry.args.push_back({argKindOf(arg.kind),
                            arg.name,
                            arg.peer,
                            {arg.name, static_cast<cleave_dtype>(arg.dtype),
                             arg.shape}});
    spec.stages.push_back(std::move(entry));
  }
  for (const TestParam &param : model.params)
    spec.parameters.push_back(
        {tensorOf(param.desc), param.rank,
         std::string_view(reinterpret_cast<const char *>(param.bytes.data()),
                          param.bytes.size())});
  return spec;
}

StatusOr<AssembledArtifact> buildArtifact(const TestModel &model) {
  StatusOr<artifact::Spec> spec = specOf(model);
  if (!spec.ok())
    return spec.status();
  return buildArtifact(*spec);
}

AssembledArtifact buildArtifact(const artifact::Spec &spec) {
  return toAssembled(artifact::build(spec));
}

TestModel chainModel(int stages, int microbatches) {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {8, 3}}};
  model.outputs = {{"y", DType::Float32, {8, 3}}};
  model.microbatches = microbatches;
  Shape micro = {8 / microbatches, 3};
  std::string count = std::to_string(8 / microbatches * 3);
  for (int k = 0; k < stages; ++k) {
    std::string id = std::to_string(k);
    TestStage stage;
    if (k == 0)
      stage.args.push_back({"input", "x"});
    else
      stage.args.push_back(
          {"recv", "h" + std::to_string(k - 1), k - 1, DType::Float32, micro});
    bool hasParam = k % 2 == 0;
    if (hasParam) {
      stage.args.push_back({"param", "c" + id});
      model.params.push_back({{"c" + id, DType::Float32, {3}},
                              floatBytes({float(k), float(k), float(k)}),
                              k});
    }
    if (k + 1 < stages)
      stage.args.push_back({"send", "h" + id, k + 1, DType::Float32, micro});
    else
      stage.args.push_back({"output", "y"});
    std::string add = hasParam ? "c[i % 3]" : id + ".0f";
    stage.cSource =
        abiVersionSource() + "#include <stdint.h>\n"
        "void cleave_stage_" +
        id +
        "(void *ctx, void **args) {\n"
        "  (void)ctx;\n"
        "  const float *in = (const float *)args[0];\n" +
        (hasParam ? "  const float *c = (const float *)args[1];\n" : "") +
        "  float *out = (float *)args[" + (hasParam ? "2" : "1") +
        "];\n"
        "  if ((((uintptr_t)in | (uintptr_t)out) & 63) != 0)\n"
        "    return; /* misaligned: leave zeros */\n"
        "  for (int i = 0; i < " +
        count + "; ++i)\n    out[i] = in[i] * 2.0f + " + add + ";\n}\n";
    model.pipeline.push_back(std::move(stage));
  }
  return model;
}

TestModel tensorParallelPipelineModel(int microbatches) {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {8, 3}}};
  model.outputs = {{"y", DType::Float32, {8, 3}}};
  model.microbatches = microbatches;
  Shape micro = {8 / microbatches, 3};
  std::string count = std::to_string(8 / microbatches * 3);
  std::string header = abiVersionSource() + "#include <stdlib.h>\n";
  for (int r = 0; r < 4; ++r) {
    std::string rank = std::to_string(r), t = std::to_string(r % 2);
    TestStage stage;
    stage.id = r / 2;
    stage.group = r < 2 ? std::vector<int>{0, 1} : std::vector<int>{2, 3};
    std::string body;
    if (r < 2) {
      stage.args = {{"input", "x"}, {"send", "h", 1, DType::Float32, micro}};
      body = "  float *p = malloc(" + count +
             " * sizeof(float));\n"
             "  for (int i = 0; i < " +
             count +
             "; ++i)\n"
             "    p[i] = in[i] * (" +
             t +
             " + 1);\n"
             "  table->all_reduce(ctx, p, out, " +
             count +
             ", CLEAVE_DTYPE_FLOAT32, CLEAVE_REDUCE_SUM, CLEAVE_GROUP_STAGE);\n"
             "  free(p);\n";
    } else {
      stage.args = {{"recv", "h", 0, DType::Float32, micro}, {"output", "y"}};
      body = "  float *p = malloc(" + count +
             " * sizeof(float));\n"
             "  float *g = malloc(2 * " +
             count +
             " * sizeof(float));\n"
             "  for (int i = 0; i < " +
             count +
             "; ++i)\n"
             "    p[i] = in[i] + " +
             t +
             ";\n"
             "  table->all_gather(ctx, p, g, " +
             count +
             ", CLEAVE_DTYPE_FLOAT32, CLEAVE_GROUP_STAGE);\n"
             "  for (int i = 0; i < " +
             count +
             "; ++i)\n"
             "    out[i] = g[i] * 2 + g[" +
             count +
             " + i];\n"
             "  free(p);\n  free(g);\n";
    }
    stage.cSource =
        header + "void cleave_stage_" + rank +
        "(void *ctx, void **args) {\n"
        "  const cleave_runtime_table *table =\n"
        "      ((const cleave_stage_context *)ctx)->table;\n"
        "  const float *in = (const float *)args[0];\n"
        "  float *out = (float *)args[1];\n" +
        body + "}\n";
    model.pipeline.push_back(std::move(stage));
  }
  return model;
}

TestModel forwardModel(int microbatches) {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {8, 3}}};
  model.outputs = {{"y", DType::Float32, {8, 3}}};
  model.microbatches = microbatches;
  Shape micro = {8 / microbatches, 3};
  std::string count = std::to_string(8 / microbatches * 3);
  std::string header = abiVersionSource();
  auto loop = [&](const std::string &body) {
    return "  for (int i = 0; i < " + count + "; ++i) {\n" + body + "  }\n}\n";
  };
  TestStage first;
  first.args = {{"input", "x"},
                {"send", "a", 1, DType::Float32, micro},
                {"send", "b", 1, DType::Float32, micro}};
  first.cSource = header +
                  "void cleave_stage_0(void *ctx, void **args) {\n"
                  "  const float *x = args[0];\n"
                  "  float *a = args[1], *b = args[2];\n" +
                  loop("    a[i] = x[i] * 2.0f;\n    b[i] = x[i] + 1.0f;\n");
  TestStage middle;
  // Received in the other order than sent: tags, not order, match them.
  middle.args = {{"recv", "b", 0, DType::Float32, micro},
                 {"recv", "a", 0, DType::Float32, micro},
                 {"send", "c", 2, DType::Float32, micro},
                 {"send", "b", 2, DType::Float32, micro}};
  middle.cSource = header +
                   "void cleave_stage_1(void *ctx, void **args) {\n"
                   "  const float *b = args[0], *a = args[1];\n"
                   "  float *c = args[2], *bOut = args[3];\n" +
                   loop("    c[i] = a[i] + 1.0f;\n    bOut[i] = b[i];\n");
  TestStage last;
  last.args = {{"recv", "c", 1, DType::Float32, micro},
               {"recv", "b", 1, DType::Float32, micro},
               {"output", "y"}};
  last.cSource = header +
                 "void cleave_stage_2(void *ctx, void **args) {\n"
                 "  const float *c = args[0], *b = args[1];\n"
                 "  float *y = args[2];\n" +
                 loop("    y[i] = c[i] * b[i];\n");
  model.pipeline = {first, middle, last};
  return model;
}

artifact::Spec gpuSpec(int microbatches, bool allReduce) {
  using artifact::GpuBuffer;
  using artifact::GpuKernelArg;
  static const std::vector<uint8_t> params = floatBytes({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f});
  int64_t rows = 2 * microbatches;
  artifact::Spec spec;
  spec.options.devices = "cuda:0";
  spec.options.microbatches = microbatches;
  spec.inputs = {{"x", CLEAVE_DTYPE_FLOAT32, {rows, 3}}};
  spec.outputs = {{"y", CLEAVE_DTYPE_FLOAT32, {rows, 3}}};
  spec.devices = {{0, CLEAVE_DEVICE_CUDA, 0}};
  spec.parameters = {{{"w", CLEAVE_DTYPE_FLOAT32, {2, 3}},
                      0,
                      std::string_view(reinterpret_cast<const char *>(params.data()),
                                       params.size())}};
  float c = 3.0f;
  spec.code = {{"code.rank0", CLEAVE_SECTION_CUDA_FATBIN, std::string(64, '\xAB')},
               {"consts.rank0", CLEAVE_SECTION_CONSTANTS,
                std::string(reinterpret_cast<const char *>(&c), sizeof(c))}};
  artifact::GpuProgram program;
  program.kernels = {"add", "scale"};
  program.buffers = {{GpuBuffer::Kind::Arg, 0},
                     {GpuBuffer::Kind::Arg, 1},
                     {GpuBuffer::Kind::Arg, 2},
                     {GpuBuffer::Kind::Temp, 0, "", 0, 24},
                     {GpuBuffer::Kind::Constant, 0, "consts.rank0", 0, 4}};
  auto ptr = [](int64_t buffer) {
    GpuKernelArg arg;
    arg.buffer = buffer;
    return arg;
  };
  artifact::GpuStep add;
  add.kernel = "add";
  add.block = {6, 1, 1};
  add.args = {ptr(0), ptr(1), ptr(3)};
  program.launches.push_back(add);
  int64_t scaled = 3;
  if (allReduce) {
    // The sum goes through an all-reduce into buffer 5 before "scale" reads it.
    program.buffers.push_back({GpuBuffer::Kind::Temp, 0, "", 0, 24});
    artifact::GpuStep reduce;
    reduce.collective = CLEAVE_COLLECTIVE_ALL_REDUCE_SUM;
    reduce.in = 3;
    reduce.out = scaled = 5;
    reduce.count = 6;
    program.launches.push_back(reduce);
  }
  artifact::GpuStep scale;
  scale.kernel = "scale";
  scale.grid = {2, 1, 1};
  scale.block = {3, 1, 1};
  GpuKernelArg two, six;
  two.type = GpuKernelArg::Type::F32;
  two.bits = 0x40000000; // 2.0f
  six.type = GpuKernelArg::Type::I64;
  six.value = 6;
  scale.args = {ptr(scaled), ptr(4), two, six, ptr(2)};
  program.launches.push_back(scale);
  artifact::Stage stage;
  stage.code = "code.rank0";
  stage.entry = CLEAVE_ENTRY_GPU_PROGRAM;
  stage.args = {{artifact::ArgKind::Input, "x"},
                {artifact::ArgKind::Param, "w"},
                {artifact::ArgKind::Output, "y"}};
  stage.gpuProgram = std::move(program);
  spec.stages = {std::move(stage)};
  return spec;
}

} // namespace testing
} // namespace cleave
