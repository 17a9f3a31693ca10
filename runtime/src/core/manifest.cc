//===- manifest.cc - Reading and checking the manifest JSON ---------------===//

#include "core/manifest.h"

#include "core/json.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

namespace cleave {

namespace {
using json::Value;

/// Thrown inside this file only; parseManifest() turns it into a Status.
struct SchemaError {
  std::string message;
};

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw SchemaError{path + ": " + what};
}

std::string describeValue(const Value &value) {
  std::string text = value.toJson();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return text;
}

std::string join(const std::string &path, const std::string &key) {
  return path.empty() ? key : path + "." + key;
}

std::string indexed(const std::string &path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

const Value &require(const Value &object, const std::string &path,
                     const char *key) {
  const Value *member = object.find(key);
  if (!member)
    fail(join(path, key), "missing");
  return *member;
}

const Value &requireKind(const Value &value, const std::string &path,
                         Value::Kind kind) {
  if (value.kind() != kind)
    fail(path, std::string("expected ") + Value::kindName(kind) + ", got " +
                   describeValue(value));
  return value;
}

const std::vector<Value> &getArray(const Value &object, const std::string &path,
                                   const char *key) {
  return requireKind(require(object, path, key), join(path, key),
                     Value::Kind::Array)
      .asArray();
}

std::string getString(const Value &object, const std::string &path,
                      const char *key) {
  return requireKind(require(object, path, key), join(path, key),
                     Value::Kind::String)
      .asString();
}

std::string getOptionalString(const Value &object, const std::string &path,
                              const char *key) {
  const Value *member = object.find(key);
  if (!member || member->isNull())
    return "";
  return requireKind(*member, join(path, key), Value::Kind::String).asString();
}

int64_t toInteger(const Value &value, const std::string &path, int64_t min,
                  int64_t max) {
  if (!value.isInteger() || value.asInt() < min || value.asInt() > max)
    fail(path, "expected an integer in [" + std::to_string(min) + ", " +
                   std::to_string(max) + "], got " + describeValue(value));
  return value.asInt();
}

int64_t getInt(const Value &object, const std::string &path, const char *key,
               int64_t min = 0,
               int64_t max = std::numeric_limits<int64_t>::max()) {
  return toInteger(require(object, path, key), join(path, key), min, max);
}

double getOptionalNumber(const Value &object, const std::string &path,
                         const char *key) {
  const Value *member = object.find(key);
  if (!member || member->isNull())
    return 0;
  return requireKind(*member, join(path, key), Value::Kind::Number).asDouble();
}

std::string getName(const Value &object, const std::string &path) {
  std::string name = getString(object, path, CLEAVE_KEY_NAME);
  if (name.empty())
    fail(join(path, CLEAVE_KEY_NAME), "must not be empty");
  return name;
}

DType getDType(const Value &object, const std::string &path) {
  StatusOr<DType> dtype = parseDType(getString(object, path, CLEAVE_KEY_DTYPE));
  if (!dtype.ok())
    fail(join(path, CLEAVE_KEY_DTYPE), dtype.status().message());
  return *dtype;
}

Shape getShape(const Value &object, const std::string &path) {
  std::string shapePath = join(path, CLEAVE_KEY_SHAPE);
  Shape shape;
  const std::vector<Value> &dims = getArray(object, path, CLEAVE_KEY_SHAPE);
  for (size_t i = 0; i < dims.size(); ++i)
    shape.push_back(toInteger(dims[i], indexed(shapePath, i), 0,
                              std::numeric_limits<int64_t>::max()));
  // Bounded so that a byte size (at most 8 bytes an element) fits in int64.
  int64_t count = numElements(shape);
  if (count < 0 || count > std::numeric_limits<int64_t>::max() / 8)
    fail(shapePath, "too many elements");
  return shape;
}

/// Options are free-form; each value is kept as text for --info.
std::string renderOption(const Value &value) {
  switch (value.kind()) {
  case Value::Kind::String:
    return value.asString();
  case Value::Kind::Array: {
    std::string text = "[";
    for (size_t i = 0; i < value.asArray().size(); ++i)
      text += (i ? ", " : "") + renderOption(value.asArray()[i]);
    return text + "]";
  }
  default:
    return value.toJson();
  }
}

std::vector<TensorDesc> readTensors(const Value &root, const char *key) {
  std::vector<TensorDesc> tensors;
  std::set<std::string> names;
  const std::vector<Value> &list = getArray(root, "", key);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed(key, i);
    const Value &entry = requireKind(list[i], path, Value::Kind::Object);
    TensorDesc desc;
    desc.name = getName(entry, path);
    desc.dtype = getDType(entry, path);
    desc.shape = getShape(entry, path);
    if (!names.insert(desc.name).second)
      fail(path, "duplicate name '" + desc.name + "'");
    tensors.push_back(std::move(desc));
  }
  return tensors;
}

Provenance readProvenance(const Value &root) {
  Provenance provenance;
  provenance.formatVersion =
      static_cast<uint32_t>(getInt(root, "", CLEAVE_KEY_FORMAT_VERSION, 0, 0xFFFFFFFF));
  provenance.compilerVersion = getOptionalString(root, "", CLEAVE_KEY_COMPILER_VERSION);
  if (const Value *source = root.find(CLEAVE_KEY_SOURCE)) {
    requireKind(*source, CLEAVE_KEY_SOURCE, Value::Kind::Object);
    provenance.source.path = getOptionalString(*source, CLEAVE_KEY_SOURCE, CLEAVE_KEY_PATH);
    provenance.source.sha256 = getOptionalString(*source, CLEAVE_KEY_SOURCE, CLEAVE_KEY_SHA256);
    provenance.source.producer =
        getOptionalString(*source, CLEAVE_KEY_SOURCE, CLEAVE_KEY_PRODUCER);
    if (source->find(CLEAVE_KEY_OPSET))
      provenance.source.opset = getInt(*source, CLEAVE_KEY_SOURCE, CLEAVE_KEY_OPSET);
  }
  if (const Value *options = root.find(CLEAVE_KEY_OPTIONS)) {
    requireKind(*options, CLEAVE_KEY_OPTIONS, Value::Kind::Object);
    for (const Value::Member &member : options->asObject())
      provenance.options.emplace_back(member.first,
                                      renderOption(member.second));
  }
  return provenance;
}

std::vector<DeviceDesc> readDevices(const Value &root) {
  std::vector<DeviceDesc> devices;
  std::set<int> ranks;
  const std::vector<Value> &list = getArray(root, "", CLEAVE_KEY_DEVICES);
  if (list.empty())
    fail(CLEAVE_KEY_DEVICES, "must list at least one device");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed(CLEAVE_KEY_DEVICES, i);
    const Value &entry = requireKind(list[i], path, Value::Kind::Object);
    DeviceDesc device;
    device.rank = static_cast<int>(getInt(entry, path, CLEAVE_KEY_RANK, 0, 1 << 20));
    device.kind = getString(entry, path, CLEAVE_KEY_KIND);
    device.index = static_cast<int>(getInt(entry, path, CLEAVE_KEY_INDEX, 0, 1 << 20));
    if (!ranks.insert(device.rank).second)
      fail(path, "duplicate rank " + std::to_string(device.rank));
    devices.push_back(std::move(device));
  }
  return devices;
}

std::vector<SectionDesc> readSections(const Value &root) {
  std::vector<SectionDesc> sections;
  std::set<std::string> names;
  const std::vector<Value> &list = getArray(root, "", CLEAVE_KEY_SECTIONS);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed(CLEAVE_KEY_SECTIONS, i);
    const Value &entry = requireKind(list[i], path, Value::Kind::Object);
    SectionDesc section;
    section.name = getName(entry, path);
    section.kind = getString(entry, path, CLEAVE_KEY_KIND);
    section.offset = static_cast<uint64_t>(getInt(entry, path, CLEAVE_KEY_OFFSET));
    section.size = static_cast<uint64_t>(getInt(entry, path, CLEAVE_KEY_SIZE));
    section.crc32 =
        static_cast<uint32_t>(getInt(entry, path, CLEAVE_KEY_CRC32, 0, 0xFFFFFFFF));
    if (!names.insert(section.name).second)
      fail(path, "duplicate section name '" + section.name + "'");
    sections.push_back(std::move(section));
  }
  return sections;
}

std::vector<ParameterDesc> readParameters(const Value &root) {
  std::vector<ParameterDesc> parameters;
  std::set<std::string> names;
  const std::vector<Value> &list = getArray(root, "", CLEAVE_KEY_PARAMETERS);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed(CLEAVE_KEY_PARAMETERS, i);
    const Value &entry = requireKind(list[i], path, Value::Kind::Object);
    ParameterDesc param;
    param.name = getName(entry, path);
    param.dtype = getDType(entry, path);
    param.shape = getShape(entry, path);
    param.rank = static_cast<int>(getInt(entry, path, CLEAVE_KEY_RANK, 0, 1 << 20));
    param.section = getString(entry, path, CLEAVE_KEY_SECTION);
    param.offset = static_cast<uint64_t>(getInt(entry, path, CLEAVE_KEY_OFFSET));
    param.size = static_cast<uint64_t>(getInt(entry, path, CLEAVE_KEY_SIZE));
    TensorDesc type{param.name, param.dtype, param.shape};
    if (param.size != type.byteSize())
      fail(path, "size " + std::to_string(param.size) + " does not match " +
                     dtypeName(param.dtype) + shapeToString(param.shape) +
                     " (" + std::to_string(type.byteSize()) + " bytes)");
    if (!names.insert(param.name).second)
      fail(path, "duplicate parameter name '" + param.name + "'");
    parameters.push_back(std::move(param));
  }
  return parameters;
}

StageArg readArg(const Value &value, const std::string &path) {
  const Value &entry = requireKind(value, path, Value::Kind::Object);
  StageArg arg;
  arg.kindName = getString(entry, path, CLEAVE_KEY_KIND);
  arg.name = getName(entry, path);
  if (arg.kindName == CLEAVE_ARG_INPUT)
    arg.kind = StageArg::Kind::Input;
  else if (arg.kindName == CLEAVE_ARG_PARAM)
    arg.kind = StageArg::Kind::Param;
  else if (arg.kindName == CLEAVE_ARG_OUTPUT)
    arg.kind = StageArg::Kind::Output;
  else if (arg.kindName == CLEAVE_ARG_RECV)
    arg.kind = StageArg::Kind::Recv;
  else if (arg.kindName == CLEAVE_ARG_SEND)
    arg.kind = StageArg::Kind::Send;
  else
    arg.kind = StageArg::Kind::Other;
  if (arg.kind == StageArg::Kind::Recv || arg.kind == StageArg::Kind::Send) {
    arg.peer = static_cast<int>(
        getInt(entry, path, arg.kind == StageArg::Kind::Recv ? CLEAVE_KEY_FROM : CLEAVE_KEY_TO, 0,
               1 << 20));
    arg.dtype = getDType(entry, path);
    arg.shape = getShape(entry, path);
  }
  return arg;
}

/// An integer kernel argument's "value": any value of the type, signed or
/// unsigned (an i8 holds -128..255), kept as its two's complement bits.
uint64_t readIntegerBits(const Value &entry, const std::string &path,
                         int bits) {
  const Value &value = require(entry, path, CLEAVE_KEY_VALUE);
  std::string valuePath = join(path, CLEAVE_KEY_VALUE);
  if (bits == 64) {
    if (value.isInteger())
      return static_cast<uint64_t>(value.asInt());
    if (value.isUnsigned())
      return value.asUnsigned();
    fail(valuePath, "expected a 64-bit integer, got " + describeValue(value));
  }
  int64_t min = bits == 1 ? 0 : -(int64_t(1) << (bits - 1));
  int64_t max = (int64_t(1) << bits) - 1;
  uint64_t mask = (uint64_t(1) << bits) - 1;
  return static_cast<uint64_t>(toInteger(value, valuePath, min, max)) & mask;
}

/// A float kernel argument's "bits": the IEEE bit pattern, exact in JSON.
uint64_t readFloatBits(const Value &entry, const std::string &path, int bits) {
  const Value &value = require(entry, path, CLEAVE_KEY_BITS);
  std::string bitsPath = join(path, CLEAVE_KEY_BITS);
  if (!value.isUnsigned() ||
      (bits == 32 && value.asUnsigned() > 0xFFFFFFFFull))
    fail(bitsPath, "expected the " + std::to_string(bits) +
                       "-bit pattern as an integer in [0, " +
                       (bits == 32 ? std::string("4294967295")
                                   : std::string("18446744073709551615")) +
                       "], got " + describeValue(value));
  return value.asUnsigned();
}

/// A launch's "grid" or "block": three positive sizes.
void readDims(const Value &entry, const std::string &path, const char *key,
              uint32_t dims[3]) {
  const std::vector<Value> &list = getArray(entry, path, key);
  std::string listPath = join(path, key);
  if (list.size() != 3)
    fail(listPath, "expected 3 sizes (x, y, z), got " +
                       std::to_string(list.size()));
  for (size_t i = 0; i < 3; ++i)
    dims[i] = static_cast<uint32_t>(
        toInteger(list[i], indexed(listPath, i), 1, 0x7FFFFFFF));
}

/// A stage's "gpu_program" (docs/artifact-format.md, "GPU stages"): what can
/// be checked inside it; references to sections and args are checked later.
GpuProgram readGpuProgram(const Value &value, const std::string &path) {
  const Value &program = requireKind(value, path, Value::Kind::Object);
  GpuProgram gpu;
  std::set<std::string> kernelNames;
  const std::vector<Value> &kernels = getArray(program, path, CLEAVE_KEY_KERNELS);
  std::string kernelsPath = join(path, CLEAVE_KEY_KERNELS);
  for (size_t k = 0; k < kernels.size(); ++k) {
    std::string kernelPath = indexed(kernelsPath, k);
    std::string name =
        requireKind(kernels[k], kernelPath, Value::Kind::String).asString();
    if (name.empty())
      fail(kernelPath, "must not be empty");
    if (!kernelNames.insert(name).second)
      fail(kernelPath, "kernel '" + name + "' is listed twice");
    gpu.kernels.push_back(std::move(name));
  }
  const std::vector<Value> &buffers = getArray(program, path, CLEAVE_KEY_BUFFERS);
  std::string buffersPath = join(path, CLEAVE_KEY_BUFFERS);
  for (size_t b = 0; b < buffers.size(); ++b) {
    std::string bufferPath = indexed(buffersPath, b);
    const Value &entry = requireKind(buffers[b], bufferPath, Value::Kind::Object);
    std::string kind = getString(entry, bufferPath, CLEAVE_KEY_KIND);
    GpuBufferDesc buffer;
    if (kind == CLEAVE_BUFFER_ARG) {
      buffer.kind = GpuBufferDesc::Kind::Arg;
      buffer.index = static_cast<int>(getInt(entry, bufferPath, CLEAVE_KEY_INDEX, 0, 1 << 20));
    } else if (kind == CLEAVE_BUFFER_TEMP) {
      buffer.kind = GpuBufferDesc::Kind::Temp;
      buffer.size = static_cast<uint64_t>(getInt(entry, bufferPath, CLEAVE_KEY_SIZE));
    } else if (kind == CLEAVE_BUFFER_CONSTANT) {
      buffer.kind = GpuBufferDesc::Kind::Constant;
      buffer.section = getString(entry, bufferPath, CLEAVE_KEY_SECTION);
      buffer.offset = static_cast<uint64_t>(getInt(entry, bufferPath, CLEAVE_KEY_OFFSET));
      buffer.size = static_cast<uint64_t>(getInt(entry, bufferPath, CLEAVE_KEY_SIZE));
    } else {
      fail(join(bufferPath, CLEAVE_KEY_KIND),
           "unknown buffer kind '" + kind + "' (expected arg, temp or constant)");
    }
    gpu.buffers.push_back(std::move(buffer));
  }
  // A buffer index under `key`, which must name one of the buffers.
  auto readBuffer = [&](const Value &entry, const std::string &entryPath,
                        const char *key) {
    int buffer = static_cast<int>(getInt(entry, entryPath, key, 0, 1 << 30));
    if (static_cast<size_t>(buffer) >= gpu.buffers.size())
      fail(join(entryPath, key), "buffer " + std::to_string(buffer) +
                                     " does not exist (" +
                                     std::to_string(gpu.buffers.size()) + " buffers)");
    return buffer;
  };
  const std::vector<Value> &launches = getArray(program, path, CLEAVE_KEY_LAUNCHES);
  std::string launchesPath = join(path, CLEAVE_KEY_LAUNCHES);
  for (size_t l = 0; l < launches.size(); ++l) {
    std::string launchPath = indexed(launchesPath, l);
    const Value &entry = requireKind(launches[l], launchPath, Value::Kind::Object);
    GpuLaunch launch;
    if (entry.find(CLEAVE_KEY_COLLECTIVE)) {
      std::string collective = getString(entry, launchPath, CLEAVE_KEY_COLLECTIVE);
      if (collective == CLEAVE_COLLECTIVE_ALL_REDUCE_SUM)
        launch.kind = GpuLaunch::Kind::AllReduceSum;
      else if (collective == CLEAVE_COLLECTIVE_ALL_GATHER)
        launch.kind = GpuLaunch::Kind::AllGather;
      else
        fail(join(launchPath, CLEAVE_KEY_COLLECTIVE),
             "unknown collective '" + collective +
                 "' (expected all_reduce_sum or all_gather)");
      launch.in = readBuffer(entry, launchPath, CLEAVE_KEY_IN);
      launch.out = readBuffer(entry, launchPath, CLEAVE_KEY_OUT);
      launch.count = static_cast<uint64_t>(getInt(entry, launchPath, CLEAVE_KEY_COUNT));
      launch.dtype = static_cast<DType>(getInt(entry, launchPath, CLEAVE_KEY_DTYPE, 0,
                                               static_cast<int64_t>(DType::BFloat16)));
      gpu.launches.push_back(std::move(launch));
      continue;
    }
    launch.kernel = getString(entry, launchPath, CLEAVE_KEY_KERNEL);
    if (!kernelNames.count(launch.kernel))
      fail(join(launchPath, CLEAVE_KEY_KERNEL),
           "kernel '" + launch.kernel + "' is not listed in kernels");
    readDims(entry, launchPath, CLEAVE_KEY_GRID, launch.grid);
    readDims(entry, launchPath, CLEAVE_KEY_BLOCK, launch.block);
    const std::vector<Value> &args = getArray(entry, launchPath, CLEAVE_KEY_ARGS);
    std::string argsPath = join(launchPath, CLEAVE_KEY_ARGS);
    for (size_t a = 0; a < args.size(); ++a) {
      std::string argPath = indexed(argsPath, a);
      const Value &argEntry = requireKind(args[a], argPath, Value::Kind::Object);
      std::string type = getString(argEntry, argPath, CLEAVE_KEY_TYPE);
      GpuKernelArg arg;
      if (type == CLEAVE_KERNEL_ARG_PTR) {
        arg.type = GpuKernelArg::Type::Ptr;
        arg.buffer = readBuffer(argEntry, argPath, CLEAVE_KEY_BUFFER);
      } else if (type == CLEAVE_KERNEL_ARG_I64 || type == CLEAVE_KERNEL_ARG_I32 || type == CLEAVE_KERNEL_ARG_I16 ||
                 type == CLEAVE_KERNEL_ARG_I8 || type == CLEAVE_KERNEL_ARG_I1) {
        int bits = type == CLEAVE_KERNEL_ARG_I1 ? 1 : std::stoi(type.substr(1));
        arg.type = bits == 64   ? GpuKernelArg::Type::I64
                   : bits == 32 ? GpuKernelArg::Type::I32
                   : bits == 16 ? GpuKernelArg::Type::I16
                   : bits == 8  ? GpuKernelArg::Type::I8
                                : GpuKernelArg::Type::I1;
        arg.bits = readIntegerBits(argEntry, argPath, bits);
      } else if (type == CLEAVE_KERNEL_ARG_F32 || type == CLEAVE_KERNEL_ARG_F64) {
        arg.type = type == CLEAVE_KERNEL_ARG_F32 ? GpuKernelArg::Type::F32 : GpuKernelArg::Type::F64;
        arg.bits = readFloatBits(argEntry, argPath, type == CLEAVE_KERNEL_ARG_F32 ? 32 : 64);
      } else {
        fail(join(argPath, CLEAVE_KEY_TYPE), "unknown argument type '" + type +
                                        "' (expected ptr, i64, i32, i16, i8, "
                                        "i1, f32 or f64)");
      }
      launch.args.push_back(arg);
    }
    gpu.launches.push_back(std::move(launch));
  }
  return gpu;
}

std::vector<StageDesc> readStages(const Value &root) {
  std::vector<StageDesc> stages;
  const std::vector<Value> &list = getArray(root, "", CLEAVE_KEY_STAGES);
  if (list.empty())
    fail(CLEAVE_KEY_STAGES, "must list at least one stage");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = indexed(CLEAVE_KEY_STAGES, i);
    const Value &entry = requireKind(list[i], path, Value::Kind::Object);
    StageDesc stage;
    stage.id = static_cast<int>(getInt(entry, path, CLEAVE_KEY_ID, 0, 1 << 20));
    stage.rank = static_cast<int>(getInt(entry, path, CLEAVE_KEY_RANK, 0, 1 << 20));
    stage.device = static_cast<int>(getInt(entry, path, CLEAVE_KEY_DEVICE, 0, 1 << 20));
    stage.code = getString(entry, path, CLEAVE_KEY_CODE);
    stage.entry = getString(entry, path, CLEAVE_KEY_ENTRY);
    if (stage.entry.empty())
      fail(join(path, CLEAVE_KEY_ENTRY), "must not be empty");
    const std::vector<Value> &args = getArray(entry, path, CLEAVE_KEY_ARGS);
    for (size_t a = 0; a < args.size(); ++a)
      stage.args.push_back(readArg(args[a], indexed(join(path, CLEAVE_KEY_ARGS), a)));
    if (const Value *group = entry.find(CLEAVE_KEY_GROUP)) {
      std::string groupPath = join(path, CLEAVE_KEY_GROUP);
      const std::vector<Value> &ranks = getArray(entry, path, CLEAVE_KEY_GROUP);
      for (size_t r = 0; r < ranks.size(); ++r)
        stage.group.push_back(static_cast<int>(
            toInteger(ranks[r], indexed(groupPath, r), 0, 1 << 20)));
      (void)group;
    } else {
      stage.group.push_back(stage.rank);
    }
    if (const Value *program = entry.find(CLEAVE_KEY_GPU_PROGRAM)) {
      stage.gpuProgram = std::make_shared<const GpuProgram>(
          readGpuProgram(*program, join(path, CLEAVE_KEY_GPU_PROGRAM)));
    }
    bool hasGpuProgram = stage.gpuProgram != nullptr;
    if (hasGpuProgram != (stage.entry == CLEAVE_ENTRY_GPU_PROGRAM))
      fail(join(path, hasGpuProgram ? CLEAVE_KEY_ENTRY : CLEAVE_KEY_GPU_PROGRAM),
           hasGpuProgram
               ? "a stage with a gpu_program has entry \"gpu_program\", got '" +
                     stage.entry + "'"
               : "missing (entry \"gpu_program\" needs one)");
    if (const Value *estimate = entry.find(CLEAVE_KEY_ESTIMATE)) {
      std::string estimatePath = join(path, CLEAVE_KEY_ESTIMATE);
      requireKind(*estimate, estimatePath, Value::Kind::Object);
      stage.estimatedFlops =
          getOptionalNumber(*estimate, estimatePath, CLEAVE_KEY_FLOPS);
      stage.estimatedBytes =
          getOptionalNumber(*estimate, estimatePath, CLEAVE_KEY_BYTES);
      stage.estimatedComputeSeconds = getOptionalNumber(
          *estimate, estimatePath, CLEAVE_KEY_COMPUTE_SECONDS);
      stage.estimatedSendSeconds = getOptionalNumber(
          *estimate, estimatePath, CLEAVE_KEY_SEND_SECONDS);
    }
    if (entry.find(CLEAVE_KEY_OP_GROUPS)) {
      std::string groupsPath = join(path, CLEAVE_KEY_OP_GROUPS);
      const std::vector<Value> &groups =
          getArray(entry, path, CLEAVE_KEY_OP_GROUPS);
      for (size_t g = 0; g < groups.size(); ++g) {
        std::string groupPath = indexed(groupsPath, g);
        const Value &item =
            requireKind(groups[g], groupPath, Value::Kind::Object);
        OpGroupDesc group;
        // The code passes the index: ids are the positions.
        group.id = static_cast<int>(getInt(item, groupPath, CLEAVE_KEY_ID,
                                           static_cast<int64_t>(g),
                                           static_cast<int64_t>(g)));
        group.name = getString(item, groupPath, CLEAVE_KEY_NAME);
        for (const char *key : {CLEAVE_KEY_NODES, CLEAVE_KEY_OPS}) {
          std::string listPath = join(groupPath, key);
          const std::vector<Value> &list = getArray(item, groupPath, key);
          std::vector<std::string> &into =
              key == CLEAVE_KEY_NODES ? group.nodes : group.ops;
          for (size_t n = 0; n < list.size(); ++n)
            into.push_back(
                requireKind(list[n], indexed(listPath, n), Value::Kind::String)
                    .asString());
        }
        stage.opGroups.push_back(std::move(group));
      }
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

template <typename T>
const T *findNamed(const std::vector<T> &list, const std::string &name) {
  for (const T &item : list)
    if (item.name == name)
      return &item;
  return nullptr;
}

int readMicrobatches(const Value &root) {
  const Value *options = root.find(CLEAVE_KEY_OPTIONS);
  const Value *value = options ? options->find(CLEAVE_KEY_MICROBATCHES) : nullptr;
  if (!value || value->isNull())
    return 1;
  return static_cast<int>(
      toInteger(*value, "options.microbatches", 1, 1 << 20));
}

bool readProfileOps(const Value &root) {
  const Value *options = root.find(CLEAVE_KEY_OPTIONS);
  const Value *value =
      options ? options->find(CLEAVE_KEY_PROFILE_OPS) : nullptr;
  if (!value || value->isNull())
    return false;
  return requireKind(*value, "options.profile_ops", Value::Kind::Bool).asBool();
}

int readDp(const Value &root) {
  const Value *options = root.find(CLEAVE_KEY_OPTIONS);
  const Value *value = options ? options->find(CLEAVE_KEY_DP) : nullptr;
  if (!value || value->isNull())
    return 1;
  return static_cast<int>(toInteger(*value, "options.dp", 1, 1 << 16));
}

/// "float32[2, 3]".
std::string typeString(DType dtype, const Shape &shape) {
  return dtypeName(dtype) + shapeToString(shape);
}

/// Graph inputs and outputs are split along dim 0 into microbatches.
void checkSplittable(const std::vector<TensorDesc> &tensors, const char *key,
                     int microbatches) {
  if (microbatches == 1)
    return;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorDesc &t = tensors[i];
    std::string path = indexed(key, i);
    if (t.shape.empty())
      fail(path, "scalar '" + t.name + "' cannot be split into " +
                     std::to_string(microbatches) + " microbatches");
    if (t.shape[0] % microbatches != 0)
      fail(path, "dim 0 of '" + t.name + "' (" + std::to_string(t.shape[0]) +
                     ") is not divisible by microbatches " +
                     std::to_string(microbatches));
  }
}

/// The pipeline rules of the plan schema: stage ids 0..N-1, one stage per
/// rank, transfers only from stage k to k+1 with a matching recv of the same
/// type in the peer entry at the same place of its group (groups of adjacent
/// stages have one size), graph inputs only on the first stage and outputs
/// only on the last. With `stageInputs` (a plan compiled for generation, whose
/// stages take the cache inputs they read and write the presents they
/// compute) any stage may read graph inputs and write graph outputs, and each
/// output must be written by one stage.
void checkPipeline(const Manifest &manifest, bool stageInputs) {
  const std::vector<StageDesc> &stages = manifest.stages;
  // A tensor-parallel stage has one entry per rank of its group.
  int entries = static_cast<int>(stages.size());
  std::set<int> distinctIds;
  for (const StageDesc &stage : stages)
    distinctIds.insert(stage.id);
  int count = static_cast<int>(distinctIds.size());
  std::vector<int> indexOfId(count, -1);
  std::map<int, int> entryOfRank;
  std::set<int> ranks;
  for (int i = 0; i < entries; ++i) {
    std::string path = indexed(CLEAVE_KEY_STAGES, i);
    if (stages[i].id >= count)
      fail(join(path, CLEAVE_KEY_ID), "stage id " + std::to_string(stages[i].id) +
                                 " out of range (stage ids are 0 to " +
                                 std::to_string(count - 1) + ")");
    if (indexOfId[stages[i].id] < 0)
      indexOfId[stages[i].id] = i;
    entryOfRank.emplace(stages[i].rank, i);
    if (!ranks.insert(stages[i].rank).second)
      fail(join(path, CLEAVE_KEY_RANK), "rank " + std::to_string(stages[i].rank) +
                                   " already runs another stage (one stage "
                                   "per rank)");
  }
  int last = count - 1;
  checkSplittable(manifest.inputs, CLEAVE_KEY_INPUTS, manifest.microbatches);
  checkSplittable(manifest.outputs, CLEAVE_KEY_OUTPUTS, manifest.microbatches);

  // Microbatch type of a graph tensor that a transfer may forward.
  auto microbatchShape = [&](const TensorDesc &t) {
    Shape shape = t.shape;
    if (!shape.empty())
      shape[0] /= manifest.microbatches;
    return shape;
  };
  auto findArg = [](const StageDesc &stage, StageArg::Kind kind,
                    const std::string &name, int peer) -> const StageArg * {
    for (const StageArg &arg : stage.args)
      if (arg.kind == kind && arg.name == name && arg.peer == peer)
        return &arg;
    return nullptr;
  };

  for (int i = 0; i < entries; ++i) {
    const StageDesc &stage = stages[i];
    std::string stageName = "stage " + std::to_string(stage.id);
    std::set<std::pair<int, std::string>> transfers;
    for (size_t a = 0; a < stage.args.size(); ++a) {
      const StageArg &arg = stage.args[a];
      std::string path = indexed(join(indexed(CLEAVE_KEY_STAGES, i), CLEAVE_KEY_ARGS), a);
      std::string what = arg.kindName + " '" + arg.name + "'";
      if (arg.kind == StageArg::Kind::Input && stage.id != 0 && !stageInputs)
        fail(path, what + " is read by " + stageName +
                       ", but only stage 0 reads graph inputs");
      if (arg.kind == StageArg::Kind::Output && stage.id != last && !stageInputs)
        fail(path, what + " is written by " + stageName +
                       ", but only the last stage (" + std::to_string(last) +
                       ") writes graph outputs");
      if (arg.kind == StageArg::Kind::Param) {
        const ParameterDesc *param = findNamed(manifest.parameters, arg.name);
        if (param->rank != stage.rank)
          fail(path, what + " is held by rank " + std::to_string(param->rank) +
                         ", but " + stageName + " runs on rank " +
                         std::to_string(stage.rank));
      }
      bool isRecv = arg.kind == StageArg::Kind::Recv;
      if (!isRecv && arg.kind != StageArg::Kind::Send)
        continue;
      int want = isRecv ? stage.id - 1 : stage.id + 1;
      std::string peerName = "stage " + std::to_string(arg.peer);
      if (arg.peer >= count)
        fail(path, what + ": " + peerName + " does not exist (" +
                       std::to_string(count) + " stages)");
      if (arg.peer != want)
        fail(path, what + ": " + peerName + " is not adjacent (" + stageName +
                       (isRecv ? " receives only from stage "
                               : " sends only to stage ") +
                       std::to_string(want) + ")");
      if (!transfers.insert({int(arg.kind), arg.name}).second)
        fail(path, what + " is listed twice in " + stageName);
      // The ranks at place t of two adjacent groups exchange the tensors.
      const std::vector<int> &peerGroup = stages[indexOfId[arg.peer]].group;
      if (peerGroup.size() != stage.group.size())
        fail(path, what + ": " + stageName + " runs on " +
                       std::to_string(stage.group.size()) + " rank(s) and " +
                       peerName + " on " + std::to_string(peerGroup.size()) +
                       " (a transfer pairs the ranks of groups of one size)");
      size_t place = static_cast<size_t>(
          std::find(stage.group.begin(), stage.group.end(), stage.rank) -
          stage.group.begin());
      const StageDesc &peer = stages[entryOfRank.at(peerGroup[place])];
      const StageArg *match =
          findArg(peer, isRecv ? StageArg::Kind::Send : StageArg::Kind::Recv,
                  arg.name, stage.id);
      if (!match)
        fail(path, what + " has no matching " + (isRecv ? "send" : "recv") +
                       " '" + arg.name + "' in " + peerName);
      if (match->dtype != arg.dtype || match->shape != arg.shape)
        fail(path, what + " is " + typeString(arg.dtype, arg.shape) +
                       " but the " + (isRecv ? "send" : "recv") + " in " +
                       peerName + " is " +
                       typeString(match->dtype, match->shape));
      // A forwarded graph input (or an output computed early) travels one
      // microbatch at a time.
      const TensorDesc *graph = findNamed(manifest.inputs, arg.name);
      if (!graph)
        graph = findNamed(manifest.outputs, arg.name);
      if (graph &&
          (graph->dtype != arg.dtype || microbatchShape(*graph) != arg.shape))
        fail(path, what + " is " + typeString(arg.dtype, arg.shape) +
                       " but a microbatch of graph tensor '" + graph->name +
                       "' is " +
                       typeString(graph->dtype, microbatchShape(*graph)));
    }
  }
  if (stageInputs)
    for (size_t o = 0; o < manifest.outputs.size(); ++o) {
      std::set<int> writers;
      for (const StageDesc &stage : stages)
        for (const StageArg &arg : stage.args)
          if (arg.kind == StageArg::Kind::Output &&
              arg.name == manifest.outputs[o].name)
            writers.insert(stage.id);
      if (writers.size() != 1)
        fail(indexed(CLEAVE_KEY_OUTPUTS, o),
             "output '" + manifest.outputs[o].name + "' is written by " +
                 std::to_string(writers.size()) +
                 " stages (a plan compiled for generation writes each "
                 "output in one stage)");
    }
}

/// The code section kind a device kind runs ("" for kinds with host code).
std::string gpuCodeKind(const std::string &deviceKind) {
  if (deviceKind == CLEAVE_DEVICE_CUDA)
    return CLEAVE_SECTION_CUDA_FATBIN;
  if (deviceKind == CLEAVE_DEVICE_ROCM)
    return CLEAVE_SECTION_ROCM_HSACO;
  return "";
}

/// A stage on a GPU has a gpu_program whose code and buffers fit the stage:
/// its code section holds the device kind's binary, every arg of the stage has
/// exactly one arg buffer, constants lie inside a constants section.
void checkGpuStage(const Manifest &manifest, const StageDesc &stage,
                   const SectionDesc &code, const std::string &path) {
  const DeviceDesc &device = manifest.devices[stage.device];
  std::string wantCode = gpuCodeKind(device.kind);
  std::string where = "stage " + std::to_string(stage.id) + " on " +
                      device.kind + ":" + std::to_string(device.index);
  if (!stage.gpuProgram) {
    if (!wantCode.empty())
      fail(join(path, CLEAVE_KEY_ENTRY), where + " runs GPU code: expected entry "
                                        "\"gpu_program\" and a gpu_program, "
                                        "got entry '" + stage.entry + "'");
    return;
  }
  std::string programPath = join(path, CLEAVE_KEY_GPU_PROGRAM);
  if (wantCode.empty())
    fail(programPath, where + ": only cuda and rocm stages have a gpu_program");
  if (code.kind != wantCode)
    fail(join(path, CLEAVE_KEY_CODE), where + ": section '" + code.name + "' is " +
                                 code.kind + ", expected " + wantCode);
  const GpuProgram &program = *stage.gpuProgram;
  std::vector<int> bufferOfArg(stage.args.size(), -1);
  for (size_t b = 0; b < program.buffers.size(); ++b) {
    const GpuBufferDesc &buffer = program.buffers[b];
    std::string bufferPath = indexed(join(programPath, CLEAVE_KEY_BUFFERS), b);
    if (buffer.kind == GpuBufferDesc::Kind::Arg) {
      if (static_cast<size_t>(buffer.index) >= stage.args.size())
        fail(join(bufferPath, CLEAVE_KEY_INDEX),
             "arg " + std::to_string(buffer.index) + " does not exist (" +
                 where + " has " + std::to_string(stage.args.size()) + " args)");
      int &owner = bufferOfArg[buffer.index];
      if (owner >= 0)
        fail(join(bufferPath, CLEAVE_KEY_INDEX),
             "arg " + std::to_string(buffer.index) + " is already buffer " +
                 std::to_string(owner));
      owner = static_cast<int>(b);
    } else if (buffer.kind == GpuBufferDesc::Kind::Constant) {
      const SectionDesc *section = findNamed(manifest.sections, buffer.section);
      if (!section)
        fail(join(bufferPath, CLEAVE_KEY_SECTION),
             "no section named '" + buffer.section + "'");
      if (section->kind != CLEAVE_SECTION_CONSTANTS)
        fail(join(bufferPath, CLEAVE_KEY_SECTION), "section '" + buffer.section +
                                              "' is " + section->kind +
                                              ", expected constants");
      if (buffer.offset > section->size ||
          buffer.size > section->size - buffer.offset)
        fail(bufferPath, "bytes " + std::to_string(buffer.offset) + ".." +
                             std::to_string(buffer.offset + buffer.size) +
                             " lie outside section '" + buffer.section + "' (" +
                             std::to_string(section->size) + " bytes)");
    }
  }
  for (size_t a = 0; a < stage.args.size(); ++a)
    if (bufferOfArg[a] < 0)
      fail(join(programPath, CLEAVE_KEY_BUFFERS),
           "arg " + std::to_string(a) + " (" + stage.args[a].kindName + " '" +
               stage.args[a].name + "') has no buffer");
}

/// Cross-references: every name a stage or parameter mentions exists.
void checkReferences(const Manifest &manifest) {
  std::set<int> ranks;
  for (const DeviceDesc &device : manifest.devices)
    ranks.insert(device.rank);
  for (size_t i = 0; i < manifest.parameters.size(); ++i) {
    const ParameterDesc &param = manifest.parameters[i];
    std::string path = indexed(CLEAVE_KEY_PARAMETERS, i);
    if (!ranks.count(param.rank))
      fail(join(path, CLEAVE_KEY_RANK),
           "no device has rank " + std::to_string(param.rank));
    if (!findNamed(manifest.sections, param.section))
      fail(join(path, CLEAVE_KEY_SECTION), "no section named '" + param.section + "'");
  }
  // Stage ids are unique except among the entries of one tensor-parallel
  // group: one entry per rank of the group, each listing the same group.
  std::map<int, const StageDesc *> firstOfId;
  std::map<int, size_t> entriesOfId;
  for (size_t i = 0; i < manifest.stages.size(); ++i) {
    const StageDesc &stage = manifest.stages[i];
    std::string path = indexed(CLEAVE_KEY_STAGES, i);
    auto [first, isNew] = firstOfId.emplace(stage.id, &stage);
    ++entriesOfId[stage.id];
    if (std::find(stage.group.begin(), stage.group.end(), stage.rank) ==
        stage.group.end())
      fail(join(path, CLEAVE_KEY_GROUP), "does not hold the stage's rank " +
                                    std::to_string(stage.rank));
    if (!isNew && (stage.group.size() < 2 || first->second->group != stage.group))
      fail(join(path, CLEAVE_KEY_ID), "duplicate stage id " + std::to_string(stage.id) +
                                 " (entries of one stage id must be the ranks "
                                 "of one tensor-parallel group)");
    if (static_cast<size_t>(stage.device) >= manifest.devices.size())
      fail(join(path, CLEAVE_KEY_DEVICE),
           "device " + std::to_string(stage.device) + " does not exist (" +
               std::to_string(manifest.devices.size()) + " devices)");
    if (manifest.devices[stage.device].rank != stage.rank)
      fail(join(path, CLEAVE_KEY_RANK),
           "rank " + std::to_string(stage.rank) +
               " differs from its device's rank " +
               std::to_string(manifest.devices[stage.device].rank));
    const SectionDesc *code = findNamed(manifest.sections, stage.code);
    if (!code)
      fail(join(path, CLEAVE_KEY_CODE), "no section named '" + stage.code + "'");
    checkGpuStage(manifest, stage, *code, path);
    for (size_t a = 0; a < stage.args.size(); ++a) {
      const StageArg &arg = stage.args[a];
      std::string argPath = indexed(join(path, CLEAVE_KEY_ARGS), a);
      bool known = true;
      if (arg.kind == StageArg::Kind::Input)
        known = findNamed(manifest.inputs, arg.name) != nullptr;
      else if (arg.kind == StageArg::Kind::Output)
        known = findNamed(manifest.outputs, arg.name) != nullptr;
      else if (arg.kind == StageArg::Kind::Param)
        known = findNamed(manifest.parameters, arg.name) != nullptr;
      if (!known)
        fail(argPath, "no " + arg.kindName + " named '" + arg.name + "'");
    }
  }
  for (const auto &[id, first] : firstOfId)
    if (entriesOfId[id] != first->group.size())
      fail(CLEAVE_KEY_STAGES, "stage " + std::to_string(id) + " has " +
                         std::to_string(entriesOfId[id]) +
                         " entries for a group of " +
                         std::to_string(first->group.size()) + " ranks");
}
} // namespace

namespace {

/// dim 0 of the plan's first input, its batch; 0 when it has none.
int64_t planBatch(const std::vector<TensorDesc> &inputs) {
  return !inputs.empty() && !inputs[0].shape.empty() ? inputs[0].shape[0] : 0;
}

/// Reads "variants" into `manifest`: each is checked as a plan of its own over the
/// manifest's devices, parameters and sections, and its batch must be dim 0 of its
/// inputs and differ from every other plan's.
void readVariants(const Value &root, Manifest *manifest) {
  const Value *list = root.find(CLEAVE_KEY_VARIANTS);
  if (!list)
    return;
  requireKind(*list, CLEAVE_KEY_VARIANTS, Value::Kind::Array);
  std::set<int64_t> batches{planBatch(manifest->inputs)};
  const std::vector<Value> &entries = getArray(root, "", CLEAVE_KEY_VARIANTS);
  for (size_t v = 0; v < entries.size(); ++v) {
    std::string path = indexed(CLEAVE_KEY_VARIANTS, v);
    const Value &entry = requireKind(entries[v], path, Value::Kind::Object);
    Manifest plan;
    PlanVariant variant;
    try {
      variant.batch = getInt(entry, "", CLEAVE_KEY_BATCH, 1, int64_t(1) << 40);
      plan.inputs = readTensors(entry, CLEAVE_KEY_INPUTS);
      plan.outputs = readTensors(entry, CLEAVE_KEY_OUTPUTS);
      plan.stages = readStages(entry);
      plan.devices = manifest->devices;
      plan.parameters = manifest->parameters;
      plan.sections = manifest->sections;
      plan.microbatches = manifest->microbatches;
      checkReferences(plan);
      checkPipeline(plan, root.find(CLEAVE_KEY_GENERATION) != nullptr);
      for (size_t i = 0; i < plan.inputs.size(); ++i)
        if (plan.inputs[i].shape.empty() ||
            plan.inputs[i].shape[0] != variant.batch)
          fail(indexed(CLEAVE_KEY_INPUTS, i),
               "dim 0 must be the variant's batch " +
                   std::to_string(variant.batch));
      if (!batches.insert(variant.batch).second)
        fail(CLEAVE_KEY_BATCH, "batch " + std::to_string(variant.batch) +
                                   " has another plan already");
    } catch (const SchemaError &error) {
      throw SchemaError{path + "." + error.message};
    }
    variant.inputs = std::move(plan.inputs);
    variant.outputs = std::move(plan.outputs);
    variant.stages = std::move(plan.stages);
    manifest->variants.push_back(std::move(variant));
  }
}

/// Reads "generation": every name must be an input or output of the main plan of the role's
/// dtype (int64 inputs, float32 outputs), the cache capacity positive.
void readGeneration(const Value &root, Manifest *manifest) {
  const Value *entry = root.find(CLEAVE_KEY_GENERATION);
  if (!entry)
    return;
  const std::string path = CLEAVE_KEY_GENERATION;
  requireKind(*entry, path, Value::Kind::Object);
  GenerationDesc g;
  g.maxSeqLen = getInt(*entry, path, CLEAVE_KEY_MAX_SEQ_LEN, 1, int64_t(1) << 30);
  auto findIn = [](const std::vector<TensorDesc> &list, const std::string &name) {
    for (const TensorDesc &t : list)
      if (t.name == name)
        return &t;
    return static_cast<const TensorDesc *>(nullptr);
  };
  auto input = [&](const char *key, bool optional) {
    std::string name = getString(*entry, path, key);
    if (name.empty() && optional)
      return name;
    const TensorDesc *t = findIn(manifest->inputs, name);
    if (!t || t->dtype != DType::Int64)
      fail(join(path, key), "'" + name + "' is not an int64 input of the plan");
    return name;
  };
  g.inputIds = input(CLEAVE_KEY_INPUT_IDS, false);
  g.attentionMask = input(CLEAVE_KEY_ATTENTION_MASK, false);
  g.positionIds = input(CLEAVE_KEY_POSITION_IDS, true);
  g.logits = getString(*entry, path, CLEAVE_KEY_LOGITS);
  const TensorDesc *logits = findIn(manifest->outputs, g.logits);
  if (!logits || logits->dtype != DType::Float32 || logits->shape.size() != 3)
    fail(join(path, CLEAVE_KEY_LOGITS),
         "'" + g.logits + "' is not a float32 [batch, 1, vocab] output of the plan");
  const std::vector<Value> &cache = getArray(*entry, path, CLEAVE_KEY_CACHE);
  for (size_t i = 0; i < cache.size(); ++i) {
    std::string at = indexed(join(path, CLEAVE_KEY_CACHE), i);
    const Value &c = requireKind(cache[i], at, Value::Kind::Object);
    GenerationDesc::Cache pair{getString(c, at, CLEAVE_KEY_PAST),
                               getString(c, at, CLEAVE_KEY_PRESENT), false};
    if (const Value *t = c.find(CLEAVE_KEY_TRANSPOSED)) {
      if (!t->isBool())
        fail(join(at, CLEAVE_KEY_TRANSPOSED), "expected true or false, got " + describeValue(*t));
      pair.transposed = t->asBool();
    }
    const TensorDesc *past = findIn(manifest->inputs, pair.past);
    const TensorDesc *present = findIn(manifest->outputs, pair.present);
    size_t slots = pair.transposed ? 3 : 2, width = pair.transposed ? 2 : 3;
    if (!past || past->shape.size() != 4 || past->shape[slots] != g.maxSeqLen)
      fail(join(at, CLEAVE_KEY_PAST),
           "'" + pair.past + "' is not an input " +
               (pair.transposed ? "[batch, heads, head_dim, max_seq_len]"
                                : "[batch, heads, max_seq_len, head_dim]"));
    if (!present || present->shape.size() != 4 || present->shape[2] != 1 ||
        present->dtype != past->dtype || present->shape[1] != past->shape[1] ||
        present->shape[3] != past->shape[width])
      fail(join(at, CLEAVE_KEY_PRESENT),
           "'" + pair.present + "' is not an output [batch, heads, 1, head_dim] of its past's type");
    g.cache.push_back(std::move(pair));
  }
  manifest->generation = std::move(g);
}

/// Reads the optional auto-tuner report.
void readTuning(const Value &root, Manifest *manifest) {
  const Value *entry = root.find(CLEAVE_KEY_TUNING);
  if (!entry || entry->isNull())
    return;
  const std::string path = CLEAVE_KEY_TUNING;
  requireKind(*entry, path, Value::Kind::Object);
  TuningReport report;
  report.version = getInt(*entry, path, CLEAVE_KEY_VERSION, 1, 1 << 30);
  if (report.version != CLEAVE_TUNING_VERSION)
    fail(join(path, CLEAVE_KEY_VERSION),
         "unsupported tuning report version " + std::to_string(report.version) +
             " (this runtime reads " + std::to_string(CLEAVE_TUNING_VERSION) + ")");
  report.ranks = getInt(*entry, path, CLEAVE_KEY_RANKS, 1, 1 << 20);
  const std::vector<Value> &list = getArray(*entry, path, CLEAVE_KEY_CANDIDATES);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = indexed(join(path, CLEAVE_KEY_CANDIDATES), i);
    requireKind(list[i], at, Value::Kind::Object);
    TuningCandidate c;
    c.pp = getInt(list[i], at, CLEAVE_KEY_PP, 1, 1 << 20);
    c.tp = getInt(list[i], at, CLEAVE_KEY_TP, 1, 1 << 20);
    c.microbatches = getInt(list[i], at, CLEAVE_KEY_MICROBATCHES, 1, 1 << 20);
    c.predictedMs = requireKind(require(list[i], at, CLEAVE_KEY_PREDICTED_MS),
                                join(at, CLEAVE_KEY_PREDICTED_MS), Value::Kind::Number)
                        .asDouble();
    if (const Value *measured = list[i].find(CLEAVE_KEY_MEASURED_MS);
        measured && !measured->isNull())
      c.measuredMs =
          requireKind(*measured, join(at, CLEAVE_KEY_MEASURED_MS), Value::Kind::Number)
              .asDouble();
    c.status = getString(list[i], at, CLEAVE_KEY_STATUS);
    report.candidates.push_back(std::move(c));
  }
  report.chosen = getInt(*entry, path, CLEAVE_KEY_CHOSEN, 0,
                             static_cast<int64_t>(list.size()) - 1);
  manifest->tuning = std::move(report);
}

} // namespace

StatusOr<Manifest> parseManifest(std::string_view text) {
  StatusOr<json::Value> root = json::parse(text);
  if (!root.ok())
    return root.status();
  try {
    if (!root->isObject())
      fail("manifest", "expected a JSON object, got " + describeValue(*root));
    Manifest manifest;
    manifest.provenance = readProvenance(*root);
    manifest.inputs = readTensors(*root, CLEAVE_KEY_INPUTS);
    manifest.outputs = readTensors(*root, CLEAVE_KEY_OUTPUTS);
    manifest.devices = readDevices(*root);
    manifest.sections = readSections(*root);
    manifest.parameters = readParameters(*root);
    manifest.stages = readStages(*root);
    manifest.microbatches = readMicrobatches(*root);
    manifest.dp = readDp(*root);
    manifest.profileOps = readProfileOps(*root);
    checkReferences(manifest);
    checkPipeline(manifest, root->find(CLEAVE_KEY_GENERATION) != nullptr);
    readVariants(*root, &manifest);
    readGeneration(*root, &manifest);
    readTuning(*root, &manifest);
    return manifest;
  } catch (const SchemaError &error) {
    return invalidArgumentError(error.message);
  } catch (const std::bad_alloc &) {
    return resourceExhaustedError("out of memory reading the manifest");
  }
}

} // namespace cleave
