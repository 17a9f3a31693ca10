//===- test_artifact_writer.cc - Writes .cleave files for tests -----------===//

#include "core/test_artifact_writer.h"

#include "core/crc32.h"
#include "core/json.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace cleave {
namespace testing {

namespace {
constexpr uint64_t kSectionAlignment = 4096;

uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

template <typename T> void putLE(std::vector<uint8_t> &bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

/// The members of a tensor description, without braces.
std::string tensorFields(const TensorDesc &desc) {
  std::string shape;
  for (size_t i = 0; i < desc.shape.size(); ++i)
    shape += (i ? "," : "") + std::to_string(desc.shape[i]);
  return "\"name\":" + json::quote(desc.name) + ",\"dtype\":\"" +
         dtypeName(desc.dtype) + "\",\"shape\":[" + shape + "]";
}

std::string tensorListJson(const std::vector<TensorDesc> &list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i)
    out += std::string(i ? "," : "") + "{" + tensorFields(list[i]) + "}";
  return out + "]";
}

/// Parameters are packed into one section per rank at 64-byte aligned
/// offsets.
std::vector<uint64_t> paramOffsets(const TestModel &model) {
  std::vector<uint64_t> offsets;
  std::map<int, uint64_t> next;
  for (const TestParam &param : model.params) {
    uint64_t &offset = next[param.rank];
    offsets.push_back(offset);
    offset = alignTo(offset + param.bytes.size(), 64);
  }
  return offsets;
}

std::string shapeJson(const Shape &shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string argJson(const TestArg &arg) {
  std::string out = "{\"kind\":" + json::quote(arg.kind) +
                    ",\"name\":" + json::quote(arg.name);
  if (arg.kind == "send" || arg.kind == "recv")
    out += std::string(arg.kind == "send" ? ",\"to\":" : ",\"from\":") +
           std::to_string(arg.peer) + ",\"dtype\":\"" + dtypeName(arg.dtype) +
           "\",\"shape\":" + shapeJson(arg.shape);
  return out + "}";
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

StatusOr<std::vector<uint8_t>> compileSharedObject(const std::string &source) {
  std::string dir = makeTempDir();
  std::string src = dir + "/code.c", lib = dir + "/code.so";
  writeBytes(src, std::vector<uint8_t>(source.begin(), source.end()));
  std::string command = "cc -shared -fPIC -O1 -o '" + lib + "' '" + src +
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
  // Section offsets depend on the manifest's length, which contains them:
  // iterate until the layout is stable (two rounds in practice).
  std::string manifest;
  std::vector<uint64_t> offsets(sections.size());
  for (int round = 0; round < 8; ++round) {
    uint64_t offset = alignTo(64 + manifest.size(), kSectionAlignment);
    for (size_t i = 0; i < sections.size(); ++i) {
      offsets[i] = offset;
      offset = alignTo(offset + sections[i].bytes.size(), kSectionAlignment);
    }
    std::string list;
    for (size_t i = 0; i < sections.size(); ++i) {
      const RawSection &s = sections[i];
      list += std::string(i ? "," : "") + "{\"name\":" + json::quote(s.name) +
              ",\"kind\":" + json::quote(s.kind) +
              ",\"offset\":" + std::to_string(offsets[i]) +
              ",\"size\":" + std::to_string(s.bytes.size()) + ",\"crc32\":" +
              std::to_string(crc32(s.bytes.data(), s.bytes.size())) + "}";
    }
    std::string next = "{" + manifestBody + ",\"sections\":[" + list + "]}";
    bool stable = next.size() == manifest.size();
    manifest = std::move(next);
    if (stable)
      break;
  }

  AssembledArtifact out;
  out.manifestOffset = 64;
  out.manifestSize = manifest.size();
  uint64_t end = 64 + manifest.size();
  for (size_t i = 0; i < sections.size(); ++i)
    end = offsets[i] + sections[i].bytes.size();
  out.bytes.assign(end, 0);
  std::memcpy(out.bytes.data(), "CLEAVE\0\1", 8);
  putLE<uint32_t>(out.bytes, 8, version);
  putLE<uint64_t>(out.bytes, 16, 64);
  putLE<uint64_t>(out.bytes, 24, manifest.size());
  putLE<uint32_t>(out.bytes, 32, crc32(manifest.data(), manifest.size()));
  putLE<uint32_t>(out.bytes, 36, crc32(out.bytes.data(), 36));
  std::memcpy(out.bytes.data() + 64, manifest.data(), manifest.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    if (!sections[i].bytes.empty())
      std::memcpy(out.bytes.data() + offsets[i], sections[i].bytes.data(),
                  sections[i].bytes.size());
    out.sections[sections[i].name] = {offsets[i], sections[i].bytes.size()};
  }
  return out;
}

void patchManifest(AssembledArtifact *artifact, const std::string &from,
                   const std::string &to) {
  char *manifest = reinterpret_cast<char *>(artifact->bytes.data()) +
                   artifact->manifestOffset;
  std::string text(manifest, artifact->manifestSize);
  size_t at = text.find(from);
  if (at == std::string::npos || from.size() != to.size()) {
    std::fprintf(stderr, "patchManifest: cannot replace '%s'\n", from.c_str());
    std::abort();
  }
  std::memcpy(manifest + at, to.data(), to.size());
  putLE<uint32_t>(artifact->bytes, 32, crc32(manifest, artifact->manifestSize));
  putLE<uint32_t>(artifact->bytes, 36, crc32(artifact->bytes.data(), 36));
}

TestModel addModel() {
  TestModel model;
  model.inputs = {{"x", DType::Float32, {2, 3}}};
  model.outputs = {{"y", DType::Float32, {2, 3}}};
  model.params = {{{"w", DType::Float32, {2, 3}},
                   floatBytes({0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}),
                   std::nullopt}};
  model.args = {{"input", "x"}, {"param", "w"}, {"output", "y"}};
  model.cSource = R"(
#include <math.h>
#include <stdint.h>
static int num_threads = -1;
int cleave_abi_version(void) { return 1; }
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
  model.cSource = R"(
int cleave_abi_version(void) { return 1; }
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

std::string manifestBody(const TestModel &model) {
  std::vector<TestStage> stages = stagesOf(model);
  int count = static_cast<int>(stages.size());
  std::string body =
      "\"format_version\":1,\"compiler_version\":\"0.1.0-test\","
      "\"source\":{\"path\":\"test.onnx\",\"sha256\":\"" +
      std::string(64, 'a') +
      "\",\"opset\":17,\"producer\":\"cleave tests\"},"
      "\"options\":{\"devices\":\"cpu:0" +
      (count > 1 ? "-" + std::to_string(count - 1) : std::string()) +
      "\",\"pp\":" + std::to_string(count) +
      ",\"tp\":1,\"microbatches\":" + std::to_string(model.microbatches) +
      ",\"input_shapes\":[]}";
  body += ",\"inputs\":" + tensorListJson(model.inputs);
  body += ",\"outputs\":" + tensorListJson(model.outputs);
  std::string devices, stageList;
  for (int r = 0; r < count; ++r) {
    std::string rank = std::to_string(r);
    devices += std::string(r ? "," : "") + "{\"rank\":" + rank +
               ",\"kind\":\"cpu\",\"index\":" + rank + "}";
    std::string args;
    for (size_t a = 0; a < stages[r].args.size(); ++a)
      args += std::string(a ? "," : "") + argJson(stages[r].args[a]);
    std::string entry =
        model.pipeline.empty() ? "cleave_stage_0" : "cleave_stage_" + rank;
    std::string group;
    for (size_t g = 0; g < stages[r].group.size(); ++g)
      group += std::string(g ? "," : "") + std::to_string(stages[r].group[g]);
    if (!stages[r].group.empty())
      group = ",\"group\":[" + group + "]";
    std::string id = stages[r].id >= 0 ? std::to_string(stages[r].id) : rank;
    stageList += std::string(r ? "," : "") + "{\"id\":" + id + group +
                 ",\"rank\":" + rank + ",\"device\":" + rank +
                 ",\"code\":\"code.rank" + rank + "\",\"entry\":\"" + entry +
                 "\",\"args\":[" + args +
                 "],\"estimate\":{\"flops\":6,\"bytes\":72}}";
  }
  body += ",\"devices\":[" + devices + "]";
  std::string params;
  std::vector<uint64_t> offsets = paramOffsets(model);
  for (size_t i = 0; i < model.params.size(); ++i) {
    const TestParam &param = model.params[i];
    std::string rank = std::to_string(param.rank);
    params +=
        std::string(i ? "," : "") + "{" + tensorFields(param.desc) +
        ",\"rank\":" + rank + ",\"section\":\"params.rank" + rank +
        "\",\"offset\":" + std::to_string(param.offset.value_or(offsets[i])) +
        ",\"size\":" + std::to_string(param.bytes.size()) + "}";
  }
  body += ",\"parameters\":[" + params + "]";
  body += ",\"stages\":[" + stageList + "]";
  return body;
}

StatusOr<AssembledArtifact> buildArtifact(const TestModel &model) {
  std::vector<TestStage> stages = stagesOf(model);
  std::vector<RawSection> sections;
  std::map<std::string, std::vector<uint8_t>> compiled;
  for (size_t r = 0; r < stages.size(); ++r) {
    auto found = compiled.find(stages[r].cSource);
    if (found == compiled.end()) {
      StatusOr<std::vector<uint8_t>> code =
          compileSharedObject(stages[r].cSource);
      if (!code.ok())
        return code.status();
      found = compiled.emplace(stages[r].cSource, *code).first;
    }
    sections.push_back(
        {"code.rank" + std::to_string(r), "cpu-elf-so", found->second});
  }
  std::vector<uint64_t> offsets = paramOffsets(model);
  std::map<int, std::vector<uint8_t>> params;
  for (size_t i = 0; i < model.params.size(); ++i) {
    std::vector<uint8_t> &bytes = params[model.params[i].rank];
    bytes.resize(offsets[i], 0);
    bytes.insert(bytes.end(), model.params[i].bytes.begin(),
                 model.params[i].bytes.end());
  }
  for (auto &entry : params)
    sections.push_back({"params.rank" + std::to_string(entry.first), "params",
                        std::move(entry.second)});
  return assembleArtifact(manifestBody(model), sections);
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
                              std::nullopt,
                              k});
    }
    if (k + 1 < stages)
      stage.args.push_back({"send", "h" + id, k + 1, DType::Float32, micro});
    else
      stage.args.push_back({"output", "y"});
    std::string add = hasParam ? "c[i % 3]" : id + ".0f";
    stage.cSource =
        "#include <stdint.h>\n"
        "int cleave_abi_version(void) { return 1; }\n"
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
  std::string header =
      "#include <stdint.h>\n"
      "#include <stdlib.h>\n"
      "typedef void (*AllReduce)(void *, const void *, void *, int64_t,\n"
      "                          int32_t, int32_t, int32_t);\n"
      "typedef void (*AllGather)(void *, const void *, void *, int64_t,\n"
      "                          int32_t, int32_t);\n"
      "struct Table { AllReduce allReduce; AllGather allGather; };\n"
      "int cleave_abi_version(void) { return 1; }\n";
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
             "  table->allReduce(ctx, p, out, " +
             count +
             ", 0, 0, 0);\n"
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
             "  table->allGather(ctx, p, g, " +
             count +
             ", 0, 0);\n"
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
        "  const struct Table *table = *(const struct Table **)ctx;\n"
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
  std::string header = "int cleave_abi_version(void) { return 1; }\n";
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

std::string gpuManifestBody(int microbatches, bool allReduce) {
  std::string rows = std::to_string(2 * microbatches);
  // With allReduce, the sum goes through an all-reduce into buffer 5 before
  // the scale kernel reads it.
  std::string collective =
      allReduce ? R"({"collective":"all_reduce_sum","in":3,"out":5,"count":6,)"
                  R"("dtype":0},)"
                : "";
  std::string extraBuffer = allReduce ? R"(,{"kind":"temp","size":24})" : "";
  std::string scaled = allReduce ? "5" : "3";
  return R"("format_version":1,"options":{"devices":"cuda:0","microbatches":)" +
         std::to_string(microbatches) +
         R"(},"inputs":[{"name":"x","dtype":"float32","shape":[)" + rows +
         R"(,3]}],"outputs":[{"name":"y","dtype":"float32","shape":[)" + rows +
         R"(,3]}],"devices":[{"rank":0,"kind":"cuda","index":0}],)"
         R"("parameters":[{"name":"w","dtype":"float32","shape":[2,3],"rank":0,)"
         R"("section":"params.rank0","offset":0,"size":24}],)"
         R"("stages":[{"id":0,"rank":0,"device":0,"code":"code.rank0",)"
         R"("entry":"gpu_program","args":[{"kind":"input","name":"x"},)"
         R"({"kind":"param","name":"w"},{"kind":"output","name":"y"}],)"
         R"("gpu_program":{"kernels":["add","scale"],"buffers":[)"
         R"({"kind":"arg","index":0},{"kind":"arg","index":1},)"
         R"({"kind":"arg","index":2},{"kind":"temp","size":24},)"
         R"({"kind":"constant","section":"consts.rank0","offset":0,"size":4})" +
         extraBuffer + R"(],)"
         R"("launches":[{"kernel":"add","grid":[1,1,1],"block":[6,1,1],)"
         R"("args":[{"type":"ptr","buffer":0},{"type":"ptr","buffer":1},)"
         R"({"type":"ptr","buffer":3}]},)" +
         collective + R"({"kernel":"scale","grid":[2,1,1],"block":[3,1,1],)"
         R"("args":[{"type":"ptr","buffer":)" + scaled +
         R"(},{"type":"ptr","buffer":4},)"
         R"({"type":"f32","bits":1073741824},{"type":"i64","value":6},)"
         R"({"type":"ptr","buffer":2}]}]}}])";
}

std::vector<RawSection> gpuSections() {
  std::vector<uint8_t> code(64, 0xAB);
  float c = 3.0f;
  std::vector<uint8_t> constants(4);
  std::memcpy(constants.data(), &c, 4);
  std::vector<uint8_t> params(24);
  for (int i = 0; i < 6; ++i) {
    float w = 0.5f + i;
    std::memcpy(params.data() + 4 * i, &w, 4);
  }
  return {{"code.rank0", "cuda-fatbin", code},
          {"consts.rank0", "constants", constants},
          {"params.rank0", "params", params}};
}

} // namespace testing
} // namespace cleave
