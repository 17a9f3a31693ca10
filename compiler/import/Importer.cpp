// ONNX import: load and check the model, bind dynamic dims, infer shapes, import every node.
#include "compiler/import/Importer.h"
#include "compiler/import/NodeImporter.h"
#include "compiler/support/Message.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InterleavedRange.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"

#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include <fstream>
#include <limits>
#include <mutex>
#include <optional>

using namespace mlir;
using namespace cleave;

namespace {

/// Weights with more elements than this become `onnx.parameter`; smaller ones stay inline
/// as `onnx.constant` so that shape computations on them fold.
constexpr int64_t kMaxInlineElements = 64;

/// protobuf takes a message's size as an int and aborts on a bigger one.
constexpr uint64_t kMaxProtoBytes = std::numeric_limits<int>::max();

std::string tooBigMessage(const std::string &path, uint64_t size) {
  return "model '" + path + "' is " + std::to_string(size) +
         " bytes, past protobuf's limit of 2 GiB; a model this large keeps its weights in "
         "external data files";
}

const OpImporterRegistry &registry() {
  static const OpImporterRegistry instance = [] {
    OpImporterRegistry r;
    populateElementwiseImporters(r);
    populateNNImporters(r);
    populateNormImporters(r);
    populateShapeImporters(r);
    populateIndexImporters(r);
    populateLayoutImporters(r);
    populateQuantImporters(r);
    populateRecurrentImporters(r);
    populateSelectImporters(r);
    return r;
  }();
  return instance;
}

std::string describeNode(const ::onnx::NodeProto &node, int64_t index) {
  std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                         : node.name();
  return name;
}

/// Parses an `external_data` offset or length: decimal digits only (no sign, no spaces, no
/// base prefix), at most 2^64 - 1. On failure, `problem` says what is wrong.
bool parseByteCount(StringRef text, uint64_t &value, std::string &problem) {
  if (text.empty() || !llvm::all_of(text, llvm::isDigit)) {
    problem = "is not a non-negative decimal integer";
    return false;
  }
  if (text.getAsInteger(10, value)) {
    problem = "is larger than 2^64 - 1";
    return false;
  }
  return true;
}

/// Whether the real path `file` is the real directory `dir` or lies below it.
bool isWithin(StringRef file, StringRef dir) {
  if (dir == "/")
    return file.starts_with("/");
  return file.consume_front(dir) && (file.empty() || file.starts_with("/"));
}

class ModelImporter : public SubgraphImporter {
public:
  ModelImporter(MLIRContext &context, const ImportOptions &options)
      : context(context), options(options), builder(&context) {}

  OwningOpRef<ModuleOp> run(const std::string &path, ModelInfo *info);

  LogicalResult importSubgraph(const ::onnx::GraphProto &graph, ArrayRef<Value> inputs,
                               SmallVectorImpl<Value> &outputs, bool unrolled) override;

private:
  LogicalResult load(const std::string &path, ::onnx::ModelProto &model, ModelInfo *info);
  /// Reads a tensor's external data into its raw data. `what` names the tensor in errors
  /// ("tensor 'w'", "node 'n' attribute 'value'").
  LogicalResult resolveExternalData(::onnx::TensorProto &tensor, StringRef what, Location loc,
                                    StringRef baseDir);
  LogicalResult bindInputShapes(::onnx::GraphProto &graph,
                                const llvm::StringSet<> &initializers);
  /// Refuses strides that are not positive, in `graph` and its subgraphs: libonnx's
  /// convolution and pooling shape inference divides by them, and a zero stride (or a
  /// negative one with pads that make INT64_MIN / -1) kills the process with SIGFPE.
  LogicalResult checkStrides(const ::onnx::GraphProto &graph);
  Type valueInfoType(const ::onnx::TypeProto &type);
  Value importInitializer(const ::onnx::TensorProto &tensor, Location loc);
  LogicalResult importNode(const ::onnx::NodeProto &node, int64_t index);
  /// Replaces `op` by constants if all its operands are constants and it folds; updates
  /// `results` (the node's outputs) accordingly and erases `op` once unused.
  void foldConstantOp(Operation *op, SmallVectorImpl<Value> &results);
  Value lookup(const std::string &name) const {
    auto it = values.find(name);
    return it == values.end() ? Value() : it->second;
  }
  InFlightDiagnostic error(Location loc) { return emitError(loc); }

  MLIRContext &context;
  const ImportOptions &options;
  OpBuilder builder;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  llvm::StringMap<Type> inferred;
  /// Set when the model is imported again at another batch (ImportOptions::exportShapes).
  std::optional<RebatchContext> rebatch;
  llvm::StringMap<SmallVector<const ::onnx::NodeProto *, 2>> consumers;
  /// How many Loop or Scan bodies the node being imported lies in: inside one, a value's
  /// type may differ from iteration to iteration, so ONNX shape inference is not asked.
  int unrollDepth = 0;
};

} // namespace

namespace {

/// libonnx 1.12's ConvTranspose shape inference takes the kernel's spatial dims from W
/// and indexes the dilations, sized by X's spatial dims, with them: an X of lower rank
/// than W reads through an empty vector and kills the process (a W of rank below 2 reads
/// past its shape). Later ONNX releases refuse such ranks first; the same check is put in
/// front of the library's function here, once per process, so that the model gets one
/// line naming the node instead of a crash.
void guardConvTransposeShapeInference() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int version : {1, 11}) {
      const ::onnx::OpSchema *schema =
          ::onnx::OpSchemaRegistry::Schema("ConvTranspose", version, ::onnx::ONNX_DOMAIN);
      if (!schema || schema->since_version() != version)
        continue;
      ::onnx::InferenceFunction infer = schema->GetTypeAndShapeInferenceFunction();
      const_cast<::onnx::OpSchema *>(schema)->TypeAndShapeInferenceFunction(
          [infer](::onnx::InferenceContext &ctx) {
            if (::onnx::hasNInputShapes(ctx, 2)) {
              int x = ctx.getInputType(0)->tensor_type().shape().dim_size();
              int w = ctx.getInputType(1)->tensor_type().shape().dim_size();
              if (x < 3 || w != x)
                fail_shape_inference("X and W must have the same rank, at least 3 (N x C x D1 ... "
                                     "Dn and C x M/group x k1 ... kn); got ranks ",
                                     x, " and ", w);
            }
            if (infer)
              infer(ctx);
          });
    }
  });
}

} // namespace

bool cleave::readModelFile(const std::string &path, std::string &bytes, std::string &error) {
  // Asked before reading, so that a huge file is not read at all.
  uint64_t fileSize = 0;
  if (!llvm::sys::fs::file_size(path, fileSize) && fileSize > kMaxProtoBytes) {
    error = tooBigMessage(path, fileSize);
    return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer) {
    error = "cannot read model '" + path + "': " + buffer.getError().message();
    return false;
  }
  bytes = (*buffer)->getBuffer().str();
  return true;
}

LogicalResult ModelImporter::load(const std::string &path, ::onnx::ModelProto &model,
                                  ModelInfo *info) {
  Location loc = FileLineColLoc::get(&context, path, 0, 0);
  std::string file;
  StringRef bytes(options.modelBytes.data(), options.modelBytes.size());
  if (bytes.empty()) {
    std::string message;
    if (!readModelFile(path, file, message))
      return error(loc) << message;
    bytes = file;
  }
  if (bytes.empty())
    return error(loc) << "model '" << path << "' is an empty file";
  if (bytes.size() > kMaxProtoBytes)
    return error(loc) << tooBigMessage(path, bytes.size());
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return error(loc) << "'" << path
                      << "' is not a valid ONNX model (protobuf parsing failed; truncated?)";
  if (!model.has_graph() || model.ir_version() == 0)
    return error(loc) << "'" << path << "' is not a valid ONNX model (no graph or IR version)";

  if (info) {
    info->path = path;
    info->sha256 = llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes)),
                               /*LowerCase=*/true);
    info->producer = model.producer_name() +
                     (model.producer_version().empty() ? "" : " " + model.producer_version());
  }

  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  if (opset == 0)
    return error(loc) << "model '" << path << "' imports no default-domain opset";
  if (info)
    info->opset = opset;

  SmallString<256> baseDir(path);
  llvm::sys::path::remove_filename(baseDir);
  for (auto &tensor : *model.mutable_graph()->mutable_initializer())
    if (failed(resolveExternalData(tensor, "tensor '" + tensor.name() + "'",
                                   NameLoc::get(StringAttr::get(&context, tensor.name())),
                                   baseDir)))
      return failure();
  for (auto [index, node] : llvm::enumerate(*model.mutable_graph()->mutable_node())) {
    std::string name = describeNode(node, index);
    for (auto &attr : *node.mutable_attribute())
      if (attr.has_t() &&
          failed(resolveExternalData(*attr.mutable_t(),
                                     "node '" + name + "' attribute '" + attr.name() + "'",
                                     NameLoc::get(StringAttr::get(&context, name)), baseDir)))
        return failure();
  }

  try {
    ::onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    // libonnx puts the checker's context on later lines ("==> Context: Bad node spec for
    // node. Name: ..."); folded into the one line, it names the node.
    return error(loc) << "model '" << path
                      << "' fails the ONNX checker: " << oneLineMessage(e.what());
  }
  return success();
}

LogicalResult ModelImporter::resolveExternalData(::onnx::TensorProto &tensor, StringRef what,
                                                 Location loc, StringRef baseDir) {
  if (tensor.data_location() != ::onnx::TensorProto::EXTERNAL)
    return success();
  auto fail = [&]() { return error(loc) << what << ": "; };

  // The keys of the ONNX spec (onnx.proto, TensorProto.external_data): another key is a typo
  // or a format we do not know, either way not safe to ignore. The checksum is optional and
  // not checked.
  std::optional<std::string> location, offsetText, lengthText;
  for (const auto &entry : tensor.external_data()) {
    const std::string &key = entry.key();
    if (key == "checksum")
      continue;
    std::optional<std::string> *slot = key == "location" ? &location
                                       : key == "offset" ? &offsetText
                                       : key == "length" ? &lengthText
                                                         : nullptr;
    if (!slot)
      return fail() << "unknown external data key '" << entry.key()
                    << "' (expected location, offset, length, checksum)";
    if (*slot)
      return fail() << "external data key '" << entry.key() << "' is given twice";
    *slot = entry.value();
  }
  if (!location)
    return fail() << "external data has no 'location'";
  uint64_t offset = 0, length = 0;
  std::string problem;
  if (offsetText && !parseByteCount(*offsetText, offset, problem))
    return fail() << "external data offset '" << *offsetText << "' " << problem;
  if (lengthText && !parseByteCount(*lengthText, length, problem))
    return fail() << "external data length '" << *lengthText << "' " << problem;
  if (offset > std::numeric_limits<uint64_t>::max() - length)
    return fail() << "external data offset " << offset << " + length " << length
                  << " overflows 64 bits";

  // The data must be exactly what the tensor's shape and type need.
  std::string message;
  RankedTensorType type = tensorProtoType(&context, tensor, message);
  if (!type)
    return tensor.name().empty() ? fail() << message : error(loc) << message;
  uint64_t expected = tensorByteSize(type);
  if (!lengthText)
    length = expected;
  else if (length != expected)
    return fail() << "external data length " << length << " does not match the tensor (" << type
                  << " holds " << expected << " bytes)";

  // The location names a file in the model's directory or below it: not an absolute path,
  // no '..', and no symbolic link that leads out (a model from elsewhere must not make the
  // compiler read, say, ~/.ssh into an artifact).
  if (location->empty())
    return fail() << "external data location is empty";
  if (StringRef(*location).contains('\0'))
    return fail() << "external data location contains a NUL byte";
  if (llvm::sys::path::is_absolute(*location))
    return fail() << "external data location '" << *location
                  << "' is an absolute path; it must be relative to the model's directory";
  for (StringRef component :
       llvm::make_range(llvm::sys::path::begin(*location), llvm::sys::path::end(*location)))
    if (component == "..")
      return fail() << "external data location '" << *location
                    << "' leaves the model's directory ('..')";
  SmallString<256> realDir, realFile;
  if (std::error_code ec = llvm::sys::fs::real_path(baseDir.empty() ? "." : baseDir, realDir))
    return fail() << "cannot resolve the model's directory '" << baseDir << "': " << ec.message();
  SmallString<256> file(baseDir);
  llvm::sys::path::append(file, *location);
  if (std::error_code ec = llvm::sys::fs::real_path(file, realFile))
    return fail() << "cannot read external data '" << file << "': " << ec.message();
  if (!isWithin(realFile, realDir))
    return fail() << "external data location '" << *location << "' resolves to '" << realFile
                  << "', outside the model's directory '" << realDir << "'";

  // Read the resolved file, so that what was checked is what is read. A FIFO or device
  // would block or never end: only regular files.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(realFile, status))
    return fail() << "cannot read external data '" << file << "': " << ec.message();
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return fail() << "external data '" << file << "' is not a regular file";
  uint64_t size = status.getSize();
  if (offset > size || length > size - offset)
    return fail() << "external data offset " << offset << " + length " << length
                  << " runs past the end of '" << file << "' (" << size << " bytes)";
  std::string bytes;
  if (length > 0) {
    auto buffer = llvm::MemoryBuffer::getFileSlice(realFile, length, offset);
    if (!buffer)
      return fail() << "cannot read external data '" << file
                    << "': " << buffer.getError().message();
    if ((*buffer)->getBufferSize() != length)
      return fail() << "external data '" << file << "' changed while being read";
    bytes = (*buffer)->getBuffer().str();
  }
  tensor.set_raw_data(std::move(bytes));
  tensor.clear_external_data();
  tensor.set_data_location(::onnx::TensorProto::DEFAULT);
  return success();
}

LogicalResult ModelImporter::checkStrides(const ::onnx::GraphProto &graph) {
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    bool onnxDomain = node.domain().empty() || node.domain() == "ai.onnx";
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && failed(checkStrides(attr.g())))
        return failure();
      for (const auto &subgraph : attr.graphs())
        if (failed(checkStrides(subgraph)))
          return failure();
      if (!onnxDomain || attr.name() != "strides" ||
          llvm::all_of(attr.ints(), [](int64_t stride) { return stride > 0; }))
        continue;
      std::string name = describeNode(node, index), strides;
      llvm::raw_string_ostream(strides) << llvm::interleaved_array(attr.ints());
      return error(NameLoc::get(StringAttr::get(&context, name)))
             << "node '" << name << "' (" << node.op_type() << "): expects positive strides, got "
             << strides;
    }
  }
  return success();
}

LogicalResult ModelImporter::bindInputShapes(::onnx::GraphProto &graph,
                                             const llvm::StringSet<> &initializers) {
  llvm::StringSet<> graphInputs;
  for (auto &input : *graph.mutable_input()) {
    if (initializers.contains(input.name()))
      continue;
    graphInputs.insert(input.name());
    Location loc = NameLoc::get(StringAttr::get(&context, input.name()));
    if (!input.type().has_tensor_type())
      return error(loc) << "input '" << input.name() << "' is not a tensor";
    auto *shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    auto bound = options.inputShapes.find(input.name());
    if (bound != options.inputShapes.end()) {
      const std::vector<int64_t> &dims = bound->second;
      if (input.type().tensor_type().has_shape() &&
          static_cast<size_t>(shape->dim_size()) != dims.size())
        return error(loc) << "--input-shape for '" << input.name() << "' gives "
                          << dims.size() << " dims, the model's input has rank "
                          << shape->dim_size();
      for (size_t i = 0; i < dims.size(); ++i) {
        if (!options.overrideStaticDims && static_cast<int>(i) < shape->dim_size() &&
            shape->dim(i).has_dim_value() && shape->dim(i).dim_value() != dims[i])
          return error(loc) << "--input-shape for '" << input.name() << "' sets dim " << i
                            << " to " << dims[i] << ", the model fixes it to "
                            << shape->dim(i).dim_value();
      }
      shape->clear_dim();
      for (int64_t d : dims)
        shape->add_dim()->set_dim_value(d);
      continue;
    }
    if (!input.type().tensor_type().has_shape())
      return error(loc) << "input '" << input.name()
                        << "' has no shape: give one with --input-shape=" << input.name()
                        << "=D0xD1x...";
    for (int i = 0; i < shape->dim_size(); ++i)
      if (!shape->dim(i).has_dim_value() || shape->dim(i).dim_value() < 0) {
        std::string param = shape->dim(i).dim_param();
        return error(loc) << "input '" << input.name() << "' dim " << i
                          << (param.empty() ? "" : " ('" + param + "')")
                          << " is dynamic: bind it with --input-shape=" << input.name()
                          << "=D0xD1x...";
      }
  }
  for (const auto &[name, dims] : options.inputShapes)
    if (!graphInputs.contains(name))
      return error(UnknownLoc::get(&context))
             << "--input-shape names '" << name << "', which is not a graph input";
  return success();
}

Type ModelImporter::valueInfoType(const ::onnx::TypeProto &type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return {};
  Type elementType = convertElementType(&context, type.tensor_type().elem_type());
  if (!elementType)
    return {};
  SmallVector<int64_t> shape;
  for (const auto &dim : type.tensor_type().shape().dim()) {
    if (!dim.has_dim_value())
      return {};
    shape.push_back(dim.dim_value());
  }
  return RankedTensorType::get(shape, elementType);
}

Value ModelImporter::importInitializer(const ::onnx::TensorProto &tensor, Location loc) {
  std::string message;
  RankedTensorType type = tensorProtoType(&context, tensor, message);
  std::vector<char> bytes;
  if (!type || !readTensorBytes(tensor, type, bytes, message)) {
    error(loc) << message;
    return {};
  }
  Type elementType = type.getElementType();
  if (type.getNumElements() <= kMaxInlineElements || elementType.isInteger(1)) {
    DenseElementsAttr attr = convertTensorProto(&context, tensor, message);
    if (!attr) {
      error(loc) << message;
      return {};
    }
    return onnxir::ConstantOp::create(builder, loc, attr);
  }
  // The blob's key is only a label: the parameter's name is the `name` attribute.
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes), 64);
  auto attr = DenseResourceElementsAttr::get(type, "param", std::move(blob));
  return onnxir::ParameterOp::create(builder, loc, tensor.name(), attr);
}

void ModelImporter::foldConstantOp(Operation *op, SmallVectorImpl<Value> &results) {
  // Ops without operands fold too (ConstantOfShape, whose shape the pattern has read).
  if (op->hasTrait<OpTrait::ConstantLike>())
    return;
  for (Value operand : op->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (!def || !def->hasTrait<OpTrait::ConstantLike>())
      return;
  }
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(folded)) || folded.size() != op->getNumResults())
    return;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(op);
  for (auto [result, fold] : llvm::zip(op->getResults(), folded)) {
    Value replacement = dyn_cast<Value>(fold);
    if (!replacement) {
      auto attr = dyn_cast<ElementsAttr>(cast<Attribute>(fold));
      if (!attr || attr.getType() != result.getType())
        continue;
      replacement = onnxir::ConstantOp::create(builder, op->getLoc(), attr);
    }
    result.replaceAllUsesWith(replacement);
    llvm::replace(results, Value(result), replacement);
  }
  if (op->use_empty() && llvm::none_of(results, [&](Value v) {
        return v && v.getDefiningOp() == op;
      }))
    op->erase();
}

LogicalResult ModelImporter::importNode(const ::onnx::NodeProto &node, int64_t index) {
  std::string name = describeNode(node, index);
  Location loc = NameLoc::get(StringAttr::get(&context, name));
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return error(loc) << "node '" << name << "' (" << node.domain() << "::" << node.op_type()
                      << "): unsupported operator domain '" << node.domain() << "'";

  if (node.op_type() == "Constant") {
    // Constant is an initializer written as a node; both forms share one path.
    for (const auto &attr : node.attribute()) {
      if (attr.name() == "value" && attr.has_t()) {
        ::onnx::TensorProto tensor = attr.t();
        tensor.set_name(node.output(0));
        Value v = importInitializer(tensor, loc);
        if (!v)
          return failure();
        values[node.output(0)] = v;
        return success();
      }
    }
  }

  const ImportFn *fn = registry().lookup(node.op_type(), opset);
  bool controlFlow = isControlFlowOp(node.op_type());
  if (!fn && !controlFlow)
    return error(loc) << "node '" << name << "' (" << node.op_type() << ", opset " << opset
                      << "): unsupported operator";

  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      operands.push_back(Value());
      continue;
    }
    Value v = lookup(input);
    if (!v)
      return error(loc) << "node '" << name << "' (" << node.op_type() << "): input '"
                        << input << "' is not defined before use";
    operands.push_back(v);
  }
  SmallVector<Type> inferredTypes;
  for (const std::string &output : node.output())
    inferredTypes.push_back(inferred.lookup(output));

  // Diagnostics from the pattern (and from verifying what it built) get the node named.
  Block *block = builder.getInsertionBlock();
  Operation *lastBefore = block->empty() ? nullptr : &block->back();
  NodeImporter importer(builder, loc, node, opset, operands, inferredTypes,
                        rebatch ? &*rebatch : nullptr);
  SmallVector<Value> results;
  std::string prefix = "node '" + name + "' (" + node.op_type() + "): ";
  if (failed(controlFlow ? importControlFlow(importer, *this, results)
                         : (*fn)(importer, results)))
    return failure();
  // Verify what the pattern built, then fold it in order, so that chains of shape
  // computations on constants become constants that later nodes can read.
  SmallVector<Operation *> created;
  Operation *first = lastBefore ? lastBefore->getNextNode()
                                : (block->empty() ? nullptr : &block->front());
  for (Operation *op = first; op; op = op->getNextNode())
    created.push_back(op);
  for (Operation *op : created)
    if (failed(verify(op)))
      return failure();
  for (Operation *op : created)
    foldConstantOp(op, results);
  if (results.size() < static_cast<size_t>(node.output_size()))
    return error(loc) << prefix << "produced " << results.size() << " results, the node has "
                      << node.output_size() << " outputs";
  for (auto [i, output] : llvm::enumerate(node.output())) {
    if (output.empty())
      continue;
    if (!results[i])
      return error(loc) << prefix << "output " << i << " is not supported";
    // A static type from ONNX shape inference must agree with ours (not when rebatching:
    // shape inference takes the export batch written into shapes at its word).
    if (Type expected = rebatch ? Type() : inferred.lookup(output))
      if (cast<ShapedType>(expected).getShape() !=
          cast<ShapedType>(results[i].getType()).getShape())
        return error(loc) << prefix << "computed type " << results[i].getType()
                          << " for output '" << output << "', ONNX shape inference says "
                          << expected;
    values[output] = results[i];
  }
  return success();
}

LogicalResult ModelImporter::importSubgraph(const ::onnx::GraphProto &graph,
                                           ArrayRef<Value> inputs,
                                           SmallVectorImpl<Value> &outputs, bool unrolled) {
  // The names the subgraph defines get their outer values (none, ONNX names being unique
  // across scopes, unless an earlier iteration left them) back when it is done.
  SmallVector<std::pair<std::string, Value>> saved;
  llvm::StringSet<> defined;
  auto define = [&](const std::string &name) {
    if (!name.empty() && defined.insert(name).second)
      saved.emplace_back(name, lookup(name));
  };
  for (const auto &input : graph.input())
    define(input.name());
  for (const auto &tensor : graph.initializer())
    define(tensor.name());
  for (const auto &node : graph.node())
    for (const std::string &output : node.output())
      define(output);
  auto restore = llvm::make_scope_exit([&] {
    for (auto &[name, value] : saved) {
      if (value)
        values[name] = value;
      else
        values.erase(name);
    }
  });

  if (unrolled)
    ++unrollDepth;
  auto leave = llvm::make_scope_exit([&] {
    if (unrolled)
      --unrollDepth;
  });
  if (unrollDepth == 0) {
    for (const auto &vi : graph.value_info())
      if (Type t = valueInfoType(vi.type()))
        inferred[vi.name()] = t;
  }

  for (auto [input, value] : llvm::zip(graph.input(), inputs))
    values[input.name()] = value;
  for (const auto &tensor : graph.initializer()) {
    Value v = importInitializer(tensor, NameLoc::get(StringAttr::get(&context, tensor.name())));
    if (!v)
      return failure();
    values[tensor.name()] = v;
  }
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();
  for (const auto &output : graph.output()) {
    Value v = lookup(output.name());
    if (!v)
      return error(NameLoc::get(StringAttr::get(&context, graph.name())))
             << "subgraph '" << graph.name() << "' output '" << output.name()
             << "' is never produced";
    outputs.push_back(v);
  }
  return success();
}

OwningOpRef<ModuleOp> ModelImporter::run(const std::string &path, ModelInfo *info) {
  ::onnx::ModelProto model;
  if (failed(load(path, model, info)))
    return {};
  ::onnx::GraphProto &graph = *model.mutable_graph();
  llvm::StringSet<> initializerNames;
  for (const auto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  if (failed(bindInputShapes(graph, initializerNames)))
    return {};
  if (options.overrideStaticDims) {
    // The model's recorded shapes are for the full batch: let shape inference redo them.
    graph.clear_value_info();
    for (auto &output : *graph.mutable_output())
      if (output.type().has_tensor_type())
        output.mutable_type()->mutable_tensor_type()->clear_shape();
  }

  if (failed(checkStrides(graph)))
    return {};
  Location modelLoc = FileLineColLoc::get(&context, path, 0, 0);
  try {
    // Rebatching: shapes that hard-code the export batch make inference see conflicts that
    // the import resolves, so it may not stop at them.
    ::onnx::ShapeInferenceOptions shapeOptions(/*check_type=*/true,
                                               /*strict_mode=*/options.exportShapes ? 0 : 1,
                                               /*data_prop=*/true);
    guardConvTransposeShapeInference();
    ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                         shapeOptions);
  } catch (const std::exception &e) {
    error(modelLoc) << "ONNX shape inference failed: " << oneLineMessage(e.what());
    return {};
  }
  for (const auto &vi : graph.value_info())
    if (Type t = valueInfoType(vi.type()))
      inferred[vi.name()] = t;
  for (const auto &vi : graph.output())
    if (Type t = valueInfoType(vi.type()))
      inferred[vi.name()] = t;

  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  builder.setInsertionPointToEnd(module->getBody());

  SmallVector<Type> inputTypes;
  SmallVector<std::string> inputNames;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    Type type = valueInfoType(input.type());
    if (!type) {
      error(NameLoc::get(StringAttr::get(&context, input.name())))
          << "input '" << input.name() << "' has an unsupported element type";
      return {};
    }
    inputTypes.push_back(type);
    inputNames.push_back(input.name());
  }

  auto func = func::FuncOp::create(builder, modelLoc, "main",
                                   builder.getFunctionType(inputTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(name));
    values[name] = entry->getArgument(i);
  }
  builder.setInsertionPointToStart(entry);

  for (const auto &tensor : graph.initializer()) {
    if (values.count(tensor.name()))
      continue; // a graph input with a default; the input wins
    Value v = importInitializer(tensor, NameLoc::get(StringAttr::get(&context, tensor.name())));
    if (!v)
      return {};
    values[tensor.name()] = v;
  }

  if (options.exportShapes && !inputNames.empty()) {
    // The batch: dim 0 of the first graph input, here and at export.
    auto type = cast<RankedTensorType>(values[inputNames.front()].getType());
    auto exported = options.exportShapes->find(inputNames.front());
    if (type.getRank() > 0 && exported != options.exportShapes->end() &&
        !exported->second.empty()) {
      for (const auto &node : graph.node())
        for (const std::string &input : node.input())
          consumers[input].push_back(&node);
      rebatch.emplace(RebatchContext{*options.exportShapes,
                                     [this](StringRef name) {
                                       Value v = values.lookup(name);
                                       return v ? v.getType() : Type();
                                     },
                                     consumers, exported->second.front(),
                                     type.getDimSize(0)});
    }
  }
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    if (failed(importNode(node, index)))
      return {};
    if (options.recordNodes)
      options.recordNodes->emplace_back(describeNode(node, index), node.op_type());
  }
  if (options.recordShapes)
    for (const auto &entry : values)
      if (auto type = dyn_cast<RankedTensorType>(entry.getValue().getType()))
        (*options.recordShapes)[entry.getKey()] = std::vector<int64_t>(type.getShape());

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    Value v = lookup(output.name());
    if (!v) {
      error(modelLoc) << "graph output '" << output.name() << "' is never produced";
      return {};
    }
    // An output that is a constant or parameter still needs a buffer the runtime fills.
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, modelLoc, results);
  func.setType(builder.getFunctionType(inputTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));
  if (failed(verify(*module)))
    return {};
  return module;
}

OwningOpRef<ModuleOp> cleave::importOnnxModel(MLIRContext &context, const std::string &path,
                                              const ImportOptions &options, ModelInfo *info) {
  context.loadDialect<onnxir::OnnxDialect, func::FuncDialect>();
  ModelImporter importer(context, options);
  return importer.run(path, info);
}
