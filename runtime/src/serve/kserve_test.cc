//===- kserve_test.cc - The KServe v2 codec: requests checked, responses ---===//

#include "serve/kserve.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstring>

namespace cleave::serve {
namespace {

using nlohmann::json;

ModelInfo mlp() {
  return makeModelInfo("m", {{"x", DType::Float32, {4, 3}}},
                       {{"y", DType::Float32, {4, 2}}, {"k", DType::Int64, {4}}});
}

std::string parseError(const ModelInfo &model, const std::string &body,
                       std::optional<size_t> header = std::nullopt) {
  InferRequest request;
  std::optional<RequestError> error =
      parseInferRequest(model, body, header, &request);
  return error ? error->message : "";
}

TEST(KServe, ModelMetadataShowsTheBatchDimAsMinusOne) {
  json metadata = json::parse(modelMetadataJson(mlp()));
  EXPECT_EQ(metadata["name"], "m");
  EXPECT_EQ(metadata["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(metadata["inputs"][0]["shape"], json::parse("[-1, 3]"));
  EXPECT_EQ(metadata["outputs"][1]["datatype"], "INT64");
  EXPECT_EQ(metadata["outputs"][1]["shape"], json::parse("[-1]"));
  // Inputs and outputs with different dim 0 have no batch dim.
  ModelInfo fixed = makeModelInfo("f", {{"x", DType::Float32, {4, 3}}},
                                  {{"y", DType::Float32, {1}}});
  EXPECT_EQ(fixed.maxRows, 0);
  EXPECT_EQ(json::parse(modelMetadataJson(fixed))["inputs"][0]["shape"],
            json::parse("[4, 3]"));
}

TEST(KServe, ParsesJsonAndBinaryTensors) {
  InferRequest request;
  ASSERT_FALSE(parseInferRequest(
      mlp(),
      R"({"id": "r", "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 3],
          "data": [[1, 2, 3], [4, 5, 6.5]]}], "outputs": [{"name": "k"}]})",
      std::nullopt, &request));
  EXPECT_EQ(request.id, "r");
  EXPECT_EQ(request.rows, 2);
  ASSERT_EQ(request.inputs[0].size(), 6 * sizeof(float));
  float values[6];
  std::memcpy(values, request.inputs[0].data(), sizeof(values));
  EXPECT_EQ(values[5], 6.5f);
  EXPECT_EQ(request.outputs, std::vector<size_t>{1});

  float row[3] = {7, 8, 9};
  std::string header =
      R"({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3],
          "parameters": {"binary_data_size": 12}}],
          "parameters": {"binary_data_output": true}})";
  std::string body = header + std::string(reinterpret_cast<char *>(row), 12);
  InferRequest binary;
  ASSERT_FALSE(parseInferRequest(mlp(), body, header.size(), &binary));
  EXPECT_EQ(binary.inputs[0], std::string(reinterpret_cast<char *>(row), 12));
  EXPECT_EQ(binary.binaryOutputs, (std::vector<bool>{true, true}));
}

TEST(KServe, NamesWhatIsWrongWithABadRequest) {
  const std::string x = R"("name": "x", "datatype": "FP32")";
  EXPECT_EQ(parseError(mlp(), "{"), "malformed JSON in the request body");
  EXPECT_EQ(parseError(mlp(), R"({"inputs": [{"name": "z"}]})"),
            "unknown input 'z' (model inputs: x)");
  EXPECT_EQ(parseError(mlp(), R"({"inputs": []})"),
            "missing input 'x' (FP32[4, 3])");
  EXPECT_EQ(parseError(mlp(), R"({"inputs": [{"name": "x", "datatype": "FP64",
                                 "shape": [1, 3], "data": [1, 2, 3]}]})"),
            "input 'x': datatype FP64, the model expects FP32");
  EXPECT_EQ(parseError(mlp(), "{\"inputs\": [{" + x +
                                  ", \"shape\": [1, 4], \"data\": [1]}]}"),
            "input 'x': shape [1, 4], the model expects [1..4, 3]");
  EXPECT_EQ(parseError(mlp(), "{\"inputs\": [{" + x +
                                  ", \"shape\": [5, 3], \"data\": [1]}]}"),
            "input 'x': shape [5, 3], the model expects [1..4, 3]");
  EXPECT_EQ(parseError(mlp(), "{\"inputs\": [{" + x +
                                  ", \"shape\": [1, 3], \"data\": [1, 2]}]}"),
            "input 'x': 2 elements, the shape [1, 3] holds 3");
  EXPECT_EQ(parseError(mlp(), "{\"inputs\": [{" + x +
                                  ", \"shape\": [1, 3], \"data\": [1, 2, \"a\"]}]}"),
            "input 'x': element 2 (\"a\") is not a FP32 value");
  EXPECT_EQ(parseError(mlp(), "{\"inputs\": [{" + x +
                                  ", \"shape\": [1, 3], \"data\": [1, 2, 3]}], "
                                  "\"outputs\": [{\"name\": \"q\"}]}"),
            "unknown output 'q' (model outputs: y, k)");
  std::string header = "{\"inputs\": [{" + x +
                       ", \"shape\": [1, 3], \"parameters\": "
                       "{\"binary_data_size\": 12}}]}";
  EXPECT_EQ(parseError(mlp(), header + "12345678", header.size()),
            "input 'x': binary data ends after 8 of its 12 bytes");
  EXPECT_EQ(parseError(mlp(), header, header.size() + 1),
            "Inference-Header-Content-Length is " +
                std::to_string(header.size() + 1) + " but the body has " +
                std::to_string(header.size()) + " bytes");
}

TEST(KServe, IntegerInputsRefuseOutOfRangeValues) {
  ModelInfo model = makeModelInfo("i", {{"t", DType::Int8, {2}}},
                                  {{"u", DType::Int8, {2}}});
  EXPECT_EQ(parseError(model, R"({"inputs": [{"name": "t", "datatype": "INT8",
                                  "shape": [2], "data": [1, 300]}]})"),
            "input 't': element 1 (300) is not a INT8 value");
  EXPECT_EQ(parseError(model, R"({"inputs": [{"name": "t", "datatype": "INT8",
                                  "shape": [2], "data": [1, 1.5]}]})"),
            "input 't': element 1 (1.5) is not a INT8 value");
}

TEST(KServe, WritesBinaryOutputsAfterTheJson) {
  ModelInfo model = mlp();
  InferRequest request;
  request.id = "q";
  request.rows = 1;
  request.outputs = {0, 1};
  request.binaryOutputs = {true, false};
  float y[2] = {1.5f, -2};
  int64_t k[1] = {7};
  std::string body, type;
  std::optional<size_t> header;
  writeInferResponse(model, request, {{y, 1}, {k, 1}}, &body, &type, &header);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(type, "application/octet-stream");
  json response = json::parse(body.substr(0, *header));
  EXPECT_EQ(response["id"], "q");
  EXPECT_EQ(response["outputs"][0]["shape"], json::parse("[1, 2]"));
  EXPECT_EQ(response["outputs"][0]["parameters"]["binary_data_size"], 8);
  EXPECT_EQ(response["outputs"][1]["data"], json::parse("[7]"));
  EXPECT_EQ(body.substr(*header), std::string(reinterpret_cast<char *>(y), 8));
}

} // namespace
} // namespace cleave::serve
