// The compiler-runtime contract, checked across the boundary: element type codes the
// compiler gives generated code and the manifest agree with the runtime's DType, and a
// manifest the compiler writes reads back through the runtime's reader as compiled.
#include "compiler/driver/Driver.h"
#include "dialects/Cleave/IR/CleaveOps.h"

#include "cleave/runtime.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace {

using namespace cleave;

/// Every element type the compiler maps, its width in bits, its numpy name and the
/// runtime's enumerator for it.
struct ElementCase {
  mlir::Type type;
  unsigned bits;
  const char *numpy;
  DType dtype;
};

std::vector<ElementCase> elementCases(mlir::MLIRContext &context) {
  mlir::Builder b(&context);
  auto integer = [&](unsigned width, mlir::IntegerType::SignednessSemantics s) {
    return mlir::IntegerType::get(&context, width, s);
  };
  using S = mlir::IntegerType::SignednessSemantics;
  return {{b.getF32Type(), 32, "float32", DType::Float32},
          {b.getF16Type(), 16, "float16", DType::Float16},
          {b.getBF16Type(), 16, "bfloat16", DType::BFloat16},
          {b.getF64Type(), 64, "float64", DType::Float64},
          {b.getI1Type(), 8, "bool", DType::Bool},
          {b.getI8Type(), 8, "int8", DType::Int8},
          {integer(8, S::Unsigned), 8, "uint8", DType::UInt8},
          {b.getI16Type(), 16, "int16", DType::Int16},
          {integer(16, S::Unsigned), 16, "uint16", DType::UInt16},
          {b.getI32Type(), 32, "int32", DType::Int32},
          {integer(32, S::Unsigned), 32, "uint32", DType::UInt32},
          {b.getI64Type(), 64, "int64", DType::Int64},
          {integer(64, S::Unsigned), 64, "uint64", DType::UInt64},
          {integer(64, S::Signed), 64, "int64", DType::Int64}};
}

// The code the compiler puts into generated code (a collective's dtype argument) and the
// name it writes into the manifest must be the runtime's DType for that name, of the
// type's size. Reordering or renumbering DType in runtime.h makes this fail.
TEST(Contract, ElementTypeCodesAreTheRuntimes) {
  mlir::MLIRContext context;
  for (const ElementCase &c : elementCases(context)) {
    std::optional<cleave_dtype> code = plan::dtypeOf(c.type);
    ASSERT_TRUE(code.has_value()) << c.numpy;
    EXPECT_EQ(plan::dtypeNameOf(c.type), c.numpy);
    StatusOr<DType> dtype = parseDType(plan::dtypeNameOf(c.type));
    ASSERT_TRUE(dtype.ok()) << dtype.status().toString();
    EXPECT_EQ(static_cast<int>(*dtype), static_cast<int>(*code)) << c.numpy;
    // The code is the enumerator the runtime's C++ code means by that type.
    EXPECT_EQ(static_cast<int>(c.dtype), static_cast<int>(*code)) << c.numpy;
    EXPECT_EQ(dtypeSize(*dtype) * 8, c.bits) << c.numpy;
    EXPECT_STREQ(dtypeName(static_cast<DType>(*code)), c.numpy);
  }
  // Types the runtime cannot hold have no code.
  EXPECT_FALSE(plan::dtypeOf(mlir::IntegerType::get(&context, 4)));
  EXPECT_FALSE(plan::dtypeOf(mlir::Float8E4M3FNType::get(&context)));
}

/// A model with one input of every ONNX element type the runtime holds, each passed
/// through Identity to an output, and a float32 MatMul with a weight: y = x @ w.
std::string identityModel() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("contract test");
  model.add_opset_import()->set_version(17);
  onnx::GraphProto *graph = model.mutable_graph();
  graph->set_name("contract");
  auto addValue = [](google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> *list,
                     const std::string &name, int type, std::vector<int64_t> dims) {
    onnx::ValueInfoProto *value = list->Add();
    value->set_name(name);
    onnx::TypeProto_Tensor *tensor = value->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(type);
    for (int64_t d : dims)
      tensor->mutable_shape()->add_dim()->set_dim_value(d);
  };
  const std::pair<const char *, int> types[] = {
      {"f32", onnx::TensorProto::FLOAT},  {"f16", onnx::TensorProto::FLOAT16},
      {"f64", onnx::TensorProto::DOUBLE}, {"i64", onnx::TensorProto::INT64},
      {"i32", onnx::TensorProto::INT32},  {"i8", onnx::TensorProto::INT8},
      {"u8", onnx::TensorProto::UINT8},   {"b", onnx::TensorProto::BOOL},
      {"i16", onnx::TensorProto::INT16},  {"u16", onnx::TensorProto::UINT16},
  };
  for (const auto &[name, type] : types) {
    std::string in = std::string("in_") + name, out = std::string("out_") + name;
    addValue(graph->mutable_input(), in, type, {4, 3});
    addValue(graph->mutable_output(), out, type, {4, 3});
    onnx::NodeProto *node = graph->add_node();
    node->set_op_type("Identity");
    node->set_name(std::string("id_") + name);
    node->add_input(in);
    node->add_output(out);
  }
  addValue(graph->mutable_input(), "x", onnx::TensorProto::FLOAT, {4, 8});
  addValue(graph->mutable_output(), "y", onnx::TensorProto::FLOAT, {4, 16});
  onnx::TensorProto *w = graph->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(8);
  w->add_dims(16);
  for (int i = 0; i < 8 * 16; ++i)
    w->add_float_data(static_cast<float>(i % 7) - 3.0f);
  onnx::NodeProto *matmul = graph->add_node();
  matmul->set_op_type("MatMul");
  matmul->set_name("mm");
  matmul->add_input("x");
  matmul->add_input("w");
  matmul->add_output("y");
  std::string bytes;
  model.SerializeToString(&bytes);
  return bytes;
}

/// Writes `bytes` to a fresh temporary file and returns its path.
std::string writeTemp(const std::string &bytes) {
  char path[] = "/tmp/cleave-contract-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0)
    std::abort();
  close(fd);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The compiler writes the manifest; the runtime's reader must see what was compiled:
// every dtype by name, shapes, the stage's arguments in order, parameters in their rank's
// section, the code section's kind and the entry point.
TEST(Contract, CompilerManifestReadsBackThroughTheRuntime) {
  CompileOptions options;
  options.modelPath = "contract.onnx";
  options.modelBytes = identityModel();
  options.devices = "cpu:0";
  CompileResult result = compile(options);
  ASSERT_TRUE(result.ok()) << result.error;
  std::string path = writeTemp(result.artifact);
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(artifact.ok()) << artifact.status().toString();
  const Artifact &a = **artifact;

  const std::pair<const char *, DType> expected[] = {
      {"f32", DType::Float32}, {"f16", DType::Float16}, {"f64", DType::Float64},
      {"i64", DType::Int64},   {"i32", DType::Int32},   {"i8", DType::Int8},
      {"u8", DType::UInt8},    {"b", DType::Bool},      {"i16", DType::Int16},
      {"u16", DType::UInt16}};
  ASSERT_EQ(a.inputs().size(), std::size(expected) + 1);
  ASSERT_EQ(a.outputs().size(), std::size(expected) + 1);
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(a.inputs()[i].name, std::string("in_") + expected[i].first);
    EXPECT_EQ(a.inputs()[i].dtype, expected[i].second) << a.inputs()[i].toString();
    EXPECT_EQ(a.inputs()[i].shape, (Shape{4, 3}));
    EXPECT_EQ(a.outputs()[i].dtype, expected[i].second) << a.outputs()[i].toString();
  }
  EXPECT_EQ(a.inputs().back().toString(), "x: float32[4, 8]");
  EXPECT_EQ(a.outputs().back().toString(), "y: float32[4, 16]");

  ASSERT_EQ(a.stages().size(), 1u);
  const StageDesc &stage = a.stages()[0];
  EXPECT_EQ(stage.entry, CLEAVE_ENTRY_PREFIX + std::string("0"));
  EXPECT_EQ(stage.gpuProgram, nullptr);
  const SectionDesc *code = a.findSection(stage.code);
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->kind, CLEAVE_SECTION_CPU_ELF_SO);
  // Graph inputs, then the parameter, then graph outputs, in graph order.
  std::vector<StageArg::Kind> kinds;
  for (const StageArg &arg : stage.args)
    kinds.push_back(arg.kind);
  std::vector<StageArg::Kind> want(std::size(expected) + 1, StageArg::Kind::Input);
  want.push_back(StageArg::Kind::Param);
  want.insert(want.end(), std::size(expected) + 1, StageArg::Kind::Output);
  EXPECT_EQ(kinds, want);

  ASSERT_EQ(a.parameters().size(), 1u);
  const ParameterDesc &w = a.parameters()[0];
  EXPECT_EQ(w.dtype, DType::Float32);
  EXPECT_EQ(w.shape, (Shape{8, 16}));
  EXPECT_EQ(w.size, 8u * 16u * 4u);
  const SectionDesc *params = a.findSection(w.section);
  ASSERT_NE(params, nullptr);
  EXPECT_EQ(params->kind, CLEAVE_SECTION_PARAMS);
  const float *data = static_cast<const float *>(a.parameterData(w));
  for (int i = 0; i < 8 * 16; ++i)
    ASSERT_EQ(data[i], static_cast<float>(i % 7) - 3.0f) << "element " << i;

  EXPECT_EQ(a.provenance().formatVersion, static_cast<uint32_t>(CLEAVE_FORMAT_VERSION));
  EXPECT_EQ(a.provenance().source.path, "contract.onnx");
  EXPECT_EQ(a.provenance().source.opset, 17);
  EXPECT_EQ(a.microbatches(), 1);
}

// A distributed plan: every rank's stage entry, its group and the transfers between them
// read back as the plan the compiler made.
TEST(Contract, PipelinePlanReadsBackThroughTheRuntime) {
  CompileOptions options;
  options.modelPath = "contract.onnx";
  options.modelBytes = identityModel();
  options.devices = "cpu:0-1";
  options.microbatches = 2;
  CompileResult result = compile(options);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.plan.stages.size(), 2u);
  std::string path = writeTemp(result.artifact);
  StatusOr<std::unique_ptr<Artifact>> artifact = Artifact::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(artifact.ok()) << artifact.status().toString();
  const Artifact &a = **artifact;
  EXPECT_EQ(a.ranks(), 2);
  EXPECT_EQ(a.microbatches(), 2);
  ASSERT_EQ(a.stages().size(), 2u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(a.stages()[k].id, k);
    EXPECT_EQ(a.stages()[k].rank, k);
    EXPECT_EQ(a.stages()[k].entry, CLEAVE_ENTRY_PREFIX + std::to_string(k));
  }
  // Full-batch graph tensors; transfers carry one microbatch.
  EXPECT_EQ(a.inputs().back().toString(), "x: float32[4, 8]");
  int sends = 0;
  for (const StageArg &arg : a.stages()[0].args)
    if (arg.kind == StageArg::Kind::Send) {
      ++sends;
      EXPECT_EQ(arg.peer, 1);
      EXPECT_FALSE(arg.shape.empty());
      EXPECT_EQ(arg.shape[0], 2) << arg.name;
    }
  EXPECT_GT(sends, 0);
}

} // namespace
