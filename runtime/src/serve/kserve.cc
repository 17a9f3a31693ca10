//===- kserve.cc - The KServe v2 inference protocol's REST messages -------===//

#include "serve/kserve.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace cleave::serve {

using nlohmann::json;

namespace {

struct DatatypeName {
  DType dtype;
  const char *name;
};

constexpr DatatypeName kDatatypes[] = {
    {DType::Float32, "FP32"}, {DType::Float16, "FP16"},
    {DType::Float64, "FP64"}, {DType::BFloat16, "BF16"},
    {DType::Int64, "INT64"},  {DType::Int32, "INT32"},
    {DType::Int16, "INT16"},  {DType::Int8, "INT8"},
    {DType::UInt64, "UINT64"}, {DType::UInt32, "UINT32"},
    {DType::UInt16, "UINT16"}, {DType::UInt8, "UINT8"},
    {DType::Bool, "BOOL"},
};

/// "[1, -1, 3]" with the batch dim shown as -1.
json shapeJson(const Shape &shape, bool batched) {
  json dims = json::array();
  for (size_t i = 0; i < shape.size(); ++i)
    dims.push_back(batched && i == 0 ? int64_t(-1) : shape[i]);
  return dims;
}

json tensorMetadata(const TensorDesc &desc, bool batched) {
  return json{{"name", desc.name},
              {"datatype", kserveDatatype(desc.dtype)},
              {"shape", shapeJson(desc.shape, batched)}};
}

std::string names(const std::vector<TensorDesc> &tensors) {
  std::string list;
  for (const TensorDesc &desc : tensors)
    list += (list.empty() ? "" : ", ") + desc.name;
  return list.empty() ? "none" : list;
}

RequestError badRequest(std::string message) {
  return RequestError{400, std::move(message)};
}

uint16_t floatToHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint32_t sign = (bits >> 16) & 0x8000;
  int32_t exponent = int32_t((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffff;
  if (((bits >> 23) & 0xff) == 0xff) // inf or nan
    return uint16_t(sign | 0x7c00 | (mantissa ? 0x200 : 0));
  if (exponent >= 31)
    return uint16_t(sign | 0x7c00);
  if (exponent <= 0) {
    if (exponent < -10)
      return uint16_t(sign);
    mantissa |= 0x800000;
    uint32_t shift = uint32_t(14 - exponent);
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1)))
      ++half;
    return uint16_t(sign | half);
  }
  uint32_t half = sign | uint32_t(exponent) << 10 | mantissa >> 13;
  uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // may carry into the exponent, which rounds up correctly
  return uint16_t(half);
}

float halfToFloat(uint16_t half) {
  uint32_t sign = uint32_t(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f)
    bits = sign | 0x7f800000 | mantissa << 13;
  else if (exponent != 0)
    bits = sign | (exponent + 112) << 23 | mantissa << 13;
  else if (mantissa == 0)
    bits = sign;
  else {
    // A subnormal half is a normal float.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | uint32_t(113 - shift) << 23 | (mantissa & 0x3ff) << 13;
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

uint16_t floatToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if (std::isnan(value))
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

float bfloat16ToFloat(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

/// Appends `value` as a `T` to `out`; false when it is not a value of `T`.
template <typename T> bool appendNumber(const json &value, std::string *out) {
  T element;
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean())
      return false;
    element = value.get<bool>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number())
      return false;
    element = static_cast<T>(value.get<double>());
  } else if constexpr (std::is_signed_v<T>) {
    if (value.is_number_unsigned()) {
      uint64_t given = value.get<uint64_t>();
      if (given > uint64_t(std::numeric_limits<T>::max()))
        return false;
      element = static_cast<T>(given);
    } else if (value.is_number_integer()) {
      int64_t given = value.get<int64_t>();
      if (given < int64_t(std::numeric_limits<T>::min()) ||
          given > int64_t(std::numeric_limits<T>::max()))
        return false;
      element = static_cast<T>(given);
    } else {
      return false;
    }
  } else {
    if (!value.is_number_unsigned())
      return false;
    uint64_t given = value.get<uint64_t>();
    if (given > uint64_t(std::numeric_limits<T>::max()))
      return false;
    element = static_cast<T>(given);
  }
  out->append(reinterpret_cast<const char *>(&element), sizeof(T));
  return true;
}

/// Appends one JSON element as `dtype` to `out`.
bool appendElement(DType dtype, const json &value, std::string *out) {
  switch (dtype) {
  case DType::Float32:
    return appendNumber<float>(value, out);
  case DType::Float64:
    return appendNumber<double>(value, out);
  case DType::Float16:
  case DType::BFloat16: {
    if (!value.is_number())
      return false;
    float given = static_cast<float>(value.get<double>());
    uint16_t bits = dtype == DType::Float16 ? floatToHalf(given)
                                            : floatToBFloat16(given);
    out->append(reinterpret_cast<const char *>(&bits), 2);
    return true;
  }
  case DType::Int64:
    return appendNumber<int64_t>(value, out);
  case DType::Int32:
    return appendNumber<int32_t>(value, out);
  case DType::Int16:
    return appendNumber<int16_t>(value, out);
  case DType::Int8:
    return appendNumber<int8_t>(value, out);
  case DType::UInt64:
    return appendNumber<uint64_t>(value, out);
  case DType::UInt32:
    return appendNumber<uint32_t>(value, out);
  case DType::UInt16:
    return appendNumber<uint16_t>(value, out);
  case DType::UInt8:
    return appendNumber<uint8_t>(value, out);
  case DType::Bool:
    return appendNumber<bool>(value, out);
  }
  return false;
}

/// Flattens `data` (nested or flat arrays) into `out`; fails with the reason.
std::optional<std::string> appendData(DType dtype, const json &data,
                                      std::string *out, int64_t *count,
                                      int64_t limit) {
  if (data.is_array()) {
    for (const json &item : data) {
      std::optional<std::string> failed =
          appendData(dtype, item, out, count, limit);
      if (failed)
        return failed;
    }
    return std::nullopt;
  }
  if (++*count > limit)
    return std::string("more elements than the shape holds");
  if (!appendElement(dtype, data, out))
    return "element " + std::to_string(*count - 1) + " (" + data.dump() +
           ") is not a " + kserveDatatype(dtype) + " value";
  return std::nullopt;
}

/// Writes `count` elements of `dtype` at `data` as a flat JSON array.
json dataJson(DType dtype, const void *data, int64_t count) {
  json values = json::array();
  auto each = [&](auto tag) {
    using T = decltype(tag);
    const T *elements = static_cast<const T *>(data);
    for (int64_t i = 0; i < count; ++i)
      values.push_back(elements[i]);
  };
  switch (dtype) {
  case DType::Float32:
    each(float());
    break;
  case DType::Float64:
    each(double());
    break;
  case DType::Float16:
  case DType::BFloat16: {
    const uint16_t *elements = static_cast<const uint16_t *>(data);
    for (int64_t i = 0; i < count; ++i)
      values.push_back(dtype == DType::Float16 ? halfToFloat(elements[i])
                                               : bfloat16ToFloat(elements[i]));
    break;
  }
  case DType::Int64:
    each(int64_t());
    break;
  case DType::Int32:
    each(int32_t());
    break;
  case DType::Int16:
    each(int16_t());
    break;
  case DType::Int8:
    each(int8_t());
    break;
  case DType::UInt64:
    each(uint64_t());
    break;
  case DType::UInt32:
    each(uint32_t());
    break;
  case DType::UInt16:
    each(uint16_t());
    break;
  case DType::UInt8:
    each(uint8_t());
    break;
  case DType::Bool: {
    const uint8_t *elements = static_cast<const uint8_t *>(data);
    for (int64_t i = 0; i < count; ++i)
      values.push_back(elements[i] != 0);
    break;
  }
  }
  return values;
}

/// True when `parameters` has `key` set to true.
bool flag(const json &object, const char *key) {
  auto parameters = object.find("parameters");
  if (parameters == object.end() || !parameters->is_object())
    return false;
  auto value = parameters->find(key);
  return value != parameters->end() && value->is_boolean() && value->get<bool>();
}

} // namespace

const char *kserveDatatype(DType dtype) {
  for (const DatatypeName &entry : kDatatypes)
    if (entry.dtype == dtype)
      return entry.name;
  return "UNKNOWN";
}

std::optional<DType> parseKserveDatatype(std::string_view name) {
  for (const DatatypeName &entry : kDatatypes)
    if (name == entry.name)
      return entry.dtype;
  return std::nullopt;
}

ModelInfo makeModelInfo(std::string name, const std::vector<TensorDesc> &inputs,
                        const std::vector<TensorDesc> &outputs) {
  ModelInfo model{std::move(name), inputs, outputs, 0};
  int64_t rows = -1;
  bool batched = !inputs.empty() && !outputs.empty();
  for (const std::vector<TensorDesc> *list : {&inputs, &outputs})
    for (const TensorDesc &desc : *list) {
      if (desc.shape.empty() || desc.shape[0] < 1 ||
          (rows >= 0 && desc.shape[0] != rows))
        batched = false;
      else
        rows = desc.shape[0];
    }
  model.maxRows = batched ? rows : 0;
  return model;
}

std::string modelMetadataJson(const ModelInfo &model) {
  json inputs = json::array(), outputs = json::array();
  for (const TensorDesc &desc : model.inputs)
    inputs.push_back(tensorMetadata(desc, model.maxRows > 0));
  for (const TensorDesc &desc : model.outputs)
    outputs.push_back(tensorMetadata(desc, model.maxRows > 0));
  json metadata{{"name", model.name},
                {"versions", json::array({"1"})},
                {"platform", "cleave"},
                {"inputs", inputs},
                {"outputs", outputs}};
  if (model.maxRows > 0)
    metadata["parameters"] = json{{"max_batch_size", model.maxRows}};
  return metadata.dump();
}

std::string errorJson(const std::string &message) {
  return json{{"error", message}}.dump();
}

std::optional<RequestError> parseInferRequest(const ModelInfo &model,
                                              std::string_view body,
                                              std::optional<size_t> headerLength,
                                              InferRequest *request) {
  if (headerLength && *headerLength > body.size())
    return badRequest("Inference-Header-Content-Length is " +
                      std::to_string(*headerLength) + " but the body has " +
                      std::to_string(body.size()) + " bytes");
  std::string_view header = headerLength ? body.substr(0, *headerLength) : body;
  std::string_view binary =
      headerLength ? body.substr(*headerLength) : std::string_view();
  json root = json::parse(header.begin(), header.end(), nullptr, false);
  if (root.is_discarded())
    return badRequest("malformed JSON in the request body");
  if (!root.is_object())
    return badRequest("the request body must be a JSON object");
  if (root.contains("id")) {
    if (!root["id"].is_string())
      return badRequest("\"id\" must be a string");
    request->id = root["id"].get<std::string>();
  }
  auto inputsIt = root.find("inputs");
  if (inputsIt == root.end() || !inputsIt->is_array())
    return badRequest("the request needs an \"inputs\" array");
  bool binaryAll = flag(root, "binary_data_output");

  const size_t count = model.inputs.size();
  std::vector<const json *> given(count, nullptr);
  for (const json &input : *inputsIt) {
    if (!input.is_object() || !input.contains("name") ||
        !input["name"].is_string())
      return badRequest("every input needs a \"name\" string");
    std::string name = input["name"].get<std::string>();
    size_t index = 0;
    while (index < count && model.inputs[index].name != name)
      ++index;
    if (index == count)
      return badRequest("unknown input '" + name + "' (model inputs: " +
                        names(model.inputs) + ")");
    if (given[index])
      return badRequest("input '" + name + "' is given twice");
    given[index] = &input;
  }
  request->inputs.assign(count, std::string());
  int64_t rows = -1;
  size_t binaryUsed = 0;
  for (size_t i = 0; i < count; ++i) {
    const TensorDesc &desc = model.inputs[i];
    std::string what = "input '" + desc.name + "'";
    if (!given[i])
      return badRequest("missing " + what + " (" + kserveDatatype(desc.dtype) +
                        shapeToString(desc.shape) + ")");
    const json &input = *given[i];
    if (!input.contains("datatype") || !input["datatype"].is_string())
      return badRequest(what + ": needs a \"datatype\" string");
    std::string datatype = input["datatype"].get<std::string>();
    if (datatype != kserveDatatype(desc.dtype))
      return badRequest(what + ": datatype " + datatype + ", the model expects " +
                        kserveDatatype(desc.dtype));
    if (!input.contains("shape") || !input["shape"].is_array())
      return badRequest(what + ": needs a \"shape\" array");
    Shape shape;
    for (const json &dim : input["shape"]) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0)
        return badRequest(what + ": shape " + input["shape"].dump() +
                          " must hold non-negative integers");
      shape.push_back(dim.get<int64_t>());
    }
    std::string expected = shapeToString(desc.shape);
    bool fits = shape.size() == desc.shape.size();
    if (model.maxRows > 0) {
      if (!shape.empty())
        expected = "[1.." + std::to_string(model.maxRows) +
                   expected.substr(expected.find_first_of(",]"));
      for (size_t d = 1; fits && d < shape.size(); ++d)
        fits = shape[d] == desc.shape[d];
      fits = fits && !shape.empty() && shape[0] >= 1 && shape[0] <= model.maxRows;
    } else {
      fits = fits && shape == desc.shape;
    }
    if (!fits)
      return badRequest(what + ": shape " + shapeToString(shape) +
                        ", the model expects " + expected);
    int64_t inputRows = model.maxRows > 0 ? shape[0] : 1;
    if (rows >= 0 && inputRows != rows)
      return badRequest(what + ": " + std::to_string(inputRows) +
                        " rows, but an earlier input has " +
                        std::to_string(rows));
    rows = inputRows;
    int64_t elements = numElements(shape);
    size_t bytes = static_cast<size_t>(elements) * dtypeSize(desc.dtype);
    std::string &data = request->inputs[i];
    auto binarySize = input.find("parameters");
    if (binarySize != input.end() && binarySize->is_object() &&
        binarySize->contains("binary_data_size")) {
      const json &size = (*binarySize)["binary_data_size"];
      if (!size.is_number_unsigned())
        return badRequest(what + ": binary_data_size must be a byte count");
      size_t given = size.get<size_t>();
      if (given != bytes)
        return badRequest(what + ": binary_data_size is " +
                          std::to_string(given) + " bytes, the shape " +
                          shapeToString(shape) + " needs " +
                          std::to_string(bytes));
      if (binary.size() - binaryUsed < given)
        return badRequest(what + ": binary data ends after " +
                          std::to_string(binary.size() - binaryUsed) +
                          " of its " + std::to_string(given) + " bytes");
      data.assign(binary.data() + binaryUsed, given);
      binaryUsed += given;
      continue;
    }
    if (!input.contains("data"))
      return badRequest(what + ": needs \"data\" or binary data");
    data.reserve(bytes);
    int64_t seen = 0;
    std::optional<std::string> failed =
        appendData(desc.dtype, input["data"], &data, &seen, elements);
    if (failed)
      return badRequest(what + ": " + *failed);
    if (seen != elements)
      return badRequest(what + ": " + std::to_string(seen) +
                        " elements, the shape " + shapeToString(shape) +
                        " holds " + std::to_string(elements));
  }
  if (binaryUsed != binary.size())
    return badRequest(std::to_string(binary.size() - binaryUsed) +
                      " bytes of binary data belong to no input");
  request->rows = rows < 0 ? 1 : rows;

  request->outputs.clear();
  request->binaryOutputs.clear();
  auto outputsIt = root.find("outputs");
  if (outputsIt != root.end()) {
    if (!outputsIt->is_array())
      return badRequest("\"outputs\" must be an array");
    for (const json &output : *outputsIt) {
      if (!output.is_object() || !output.contains("name") ||
          !output["name"].is_string())
        return badRequest("every requested output needs a \"name\" string");
      std::string name = output["name"].get<std::string>();
      size_t index = 0;
      while (index < model.outputs.size() && model.outputs[index].name != name)
        ++index;
      if (index == model.outputs.size())
        return badRequest("unknown output '" + name + "' (model outputs: " +
                          names(model.outputs) + ")");
      request->outputs.push_back(index);
      request->binaryOutputs.push_back(binaryAll ||
                                       flag(output, "binary_data"));
    }
  }
  if (request->outputs.empty())
    for (size_t i = 0; i < model.outputs.size(); ++i) {
      request->outputs.push_back(i);
      request->binaryOutputs.push_back(binaryAll);
    }
  return std::nullopt;
}

void writeInferResponse(const ModelInfo &model, const InferRequest &request,
                        const std::vector<OutputSlice> &slices,
                        std::string *body, std::string *contentType,
                        std::optional<size_t> *headerLength) {
  json outputs = json::array();
  std::string binary;
  bool anyBinary = false;
  for (size_t k = 0; k < request.outputs.size(); ++k) {
    const TensorDesc &desc = model.outputs[request.outputs[k]];
    const OutputSlice &slice = slices[request.outputs[k]];
    Shape shape = desc.shape;
    if (model.maxRows > 0)
      shape[0] = slice.rows;
    int64_t elements = numElements(shape);
    json output{{"name", desc.name},
                {"datatype", kserveDatatype(desc.dtype)},
                {"shape", shape}};
    if (request.binaryOutputs[k]) {
      anyBinary = true;
      size_t bytes = static_cast<size_t>(elements) * dtypeSize(desc.dtype);
      binary.append(static_cast<const char *>(slice.data), bytes);
      output["parameters"] = json{{"binary_data_size", bytes}};
    } else {
      output["data"] = dataJson(desc.dtype, slice.data, elements);
    }
    outputs.push_back(std::move(output));
  }
  json response{{"model_name", model.name},
                {"model_version", "1"},
                {"outputs", std::move(outputs)}};
  if (!request.id.empty())
    response["id"] = request.id;
  *body = response.dump();
  if (!anyBinary) {
    *contentType = "application/json";
    headerLength->reset();
    return;
  }
  *headerLength = body->size();
  *contentType = "application/octet-stream";
  body->append(binary);
}

} // namespace cleave::serve
