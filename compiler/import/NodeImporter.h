// ONNX import: the interface between the importer and its per-op patterns.
#ifndef CLEAVE_COMPILER_IMPORT_NODEIMPORTER_H
#define CLEAVE_COMPILER_IMPORT_NODEIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class NodeProto;
class AttributeProto;
class TensorProto;
} // namespace onnx

namespace cleave {

/// How the dims of a node's output line up with those of its data input, for tracking the
/// batch dim through shape-changing nodes.
enum class BatchLayout {
  /// Row-major regrouping (Reshape): the output dim whose outer dims hold as many elements
  /// as the input's dims outside its batch dim.
  Reshape,
  /// Numpy-style broadcasting aligned at the last dim (Expand, Tile).
  Broadcast,
};

/// What patterns need when the model is imported again at another batch than it was
/// exported at: the shapes of the import at the export batch, and this import's values.
struct RebatchContext {
  /// ONNX value name -> its shape at the export batch.
  const llvm::StringMap<std::vector<int64_t>> &exportShapes;
  /// ONNX value name -> its type in this import (null if not imported yet).
  std::function<mlir::Type(llvm::StringRef)> currentType;
  /// ONNX value name -> the nodes that read it.
  const llvm::StringMap<llvm::SmallVector<const ::onnx::NodeProto *, 2>> &consumers;
  /// The batch (dim 0 of the graph inputs) the model was exported at, and this import's.
  int64_t exportBatch;
  int64_t batch;
};

/// What an op pattern sees of the node it imports: operands already imported, attribute
/// accessors, constant values known at compile time, and the types ONNX shape inference gave.
class NodeImporter {
public:
  NodeImporter(mlir::OpBuilder &builder, mlir::Location loc, const ::onnx::NodeProto &node,
               int64_t opset, llvm::ArrayRef<mlir::Value> operands,
               llvm::ArrayRef<mlir::Type> inferredTypes,
               const RebatchContext *rebatch = nullptr)
      : builder(builder), loc(loc), node(node), opset(opset), operands(operands),
        inferredTypes(inferredTypes), rebatch(rebatch) {}

  mlir::OpBuilder &builder;
  mlir::Location loc;
  const ::onnx::NodeProto &node;
  /// The model's opset for the default domain.
  int64_t opset;

  /// Number of inputs the node lists (missing optional ones included).
  size_t numOperands() const { return operands.size(); }
  /// The i-th input, or a null Value when absent (past the end, or given as "").
  mlir::Value operand(size_t i) const {
    return i < operands.size() ? operands[i] : mlir::Value();
  }
  /// The i-th input's ranked tensor type; null if absent.
  mlir::RankedTensorType operandType(size_t i) const;
  /// Number of outputs the node declares.
  size_t numResults() const;

  /// The type ONNX shape inference gave the i-th output, when static; null otherwise.
  mlir::RankedTensorType inferredType(size_t i) const {
    return i < inferredTypes.size()
               ? llvm::dyn_cast_or_null<mlir::RankedTensorType>(inferredTypes[i])
               : mlir::RankedTensorType();
  }

  bool hasAttr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name, llvm::StringRef defaultValue) const;
  llvm::SmallVector<int64_t> getInts(llvm::StringRef name) const;
  llvm::SmallVector<float> getFloats(llvm::StringRef name) const;
  std::vector<std::string> getStrings(llvm::StringRef name) const;
  /// A TENSOR attribute converted to an elements attribute; null if absent or invalid.
  mlir::DenseElementsAttr getTensor(llvm::StringRef name) const;

  /// The compile-time value of `value` if it is a constant (after import-time folding).
  mlir::DenseElementsAttr getConstant(mlir::Value value) const;
  /// The compile-time value of an integer tensor, as int64 values.
  std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value value) const;
  /// The compile-time value of a float tensor, as doubles.
  std::optional<llvm::SmallVector<double>> getConstantFloats(mlir::Value value) const;

  /// The shape output 0 must have in an import at another batch than the export batch,
  /// when `shape` (what the node's shape input gives) is the one it had at the export batch
  /// and so may hard-code that batch: the export shape with the batch dim, found by
  /// following the data input's batch dim through `layout`, scaled to this import's batch.
  /// std::nullopt when `shape` needs no change (no rebatching, no batch in it, or a shape
  /// already computed at this batch). Fails with an error naming the node when it cannot
  /// tell which dim holds the batch.
  mlir::FailureOr<std::optional<llvm::SmallVector<int64_t>>>
  rebatchedShape(llvm::ArrayRef<int64_t> shape, BatchLayout layout) const;

  /// An error at the node, already prefixed with "node 'NAME' (OP): ".
  mlir::InFlightDiagnostic emitError() const;

  /// An `onnx.constant` of int64 values with the given shape (1-D by default).
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values,
                          std::optional<llvm::ArrayRef<int64_t>> shape = std::nullopt);
  /// An `onnx.constant` scalar (rank 0) of `elementType` holding `value`.
  mlir::Value constantScalar(mlir::Type elementType, double value);

private:
  const ::onnx::AttributeProto *findAttr(llvm::StringRef name) const;

  llvm::ArrayRef<mlir::Value> operands;
  llvm::ArrayRef<mlir::Type> inferredTypes;
  const RebatchContext *rebatch;
};

/// Imports one node: appends one Value per node output to `results` (a null Value for an
/// optional output that is not produced), or emits an error and fails.
using ImportFn =
    std::function<mlir::LogicalResult(NodeImporter &, llvm::SmallVectorImpl<mlir::Value> &)>;

/// Op patterns keyed by op type, each valid from an opset version on (torch-mlir's scheme:
/// the pattern with the highest `sinceVersion` not above the model's opset applies).
class OpImporterRegistry {
public:
  void add(llvm::StringRef opType, int64_t sinceVersion, ImportFn fn);
  /// The pattern for `opType` at `opset`; null if none applies.
  const ImportFn *lookup(llvm::StringRef opType, int64_t opset) const;
  /// Every op type with at least one pattern.
  std::vector<std::string> opTypes() const;

private:
  llvm::StringMap<std::vector<std::pair<int64_t, ImportFn>>> patterns;
};

/// Converts an ONNX TensorProto (inline data; external data already resolved into raw_data)
/// to an elements attribute; null with `error` set if the tensor cannot be represented.
mlir::DenseElementsAttr convertTensorProto(mlir::MLIRContext *context,
                                           const ::onnx::TensorProto &tensor,
                                           std::string &error);
/// The static tensor type of a TensorProto; null with `error` set if unsupported, if a dim
/// is negative, or if the tensor's size in bytes does not fit in int64.
mlir::RankedTensorType tensorProtoType(mlir::MLIRContext *context,
                                       const ::onnx::TensorProto &tensor, std::string &error);
/// The bytes a tensor of `type` holds as ONNX raw data (bool: one byte per element). For a
/// type from tensorProtoType, which has checked that this does not overflow.
int64_t tensorByteSize(mlir::RankedTensorType type);
/// The little-endian bytes of a TensorProto of `type` (bool: one byte per element).
bool readTensorBytes(const ::onnx::TensorProto &tensor, mlir::RankedTensorType type,
                     std::vector<char> &bytes, std::string &error);
/// The MLIR element type for an ONNX TensorProto data type; null if unsupported.
mlir::Type convertElementType(mlir::MLIRContext *context, int onnxDataType);

/// Operand `operand` of an 8-bit integer op (MatMulInteger, ConvInteger; `what` names it) cast
/// to `wideType` minus its zero point, operand `zeroPoint` (optional). Only a one-element zero
/// point is taken: the per-row and per-column forms ONNX also allows are refused, as
/// onnxruntime's CPU provider refuses them.
mlir::FailureOr<mlir::Value> widenMinusZeroPoint(NodeImporter &n, size_t operand,
                                                 size_t zeroPoint, llvm::StringRef what,
                                                 mlir::Type wideType);

/// What the control-flow ops need of the model importer: a subgraph's nodes imported into
/// the function being built.
class SubgraphImporter {
public:
  virtual ~SubgraphImporter() = default;
  /// Imports the nodes of `graph` (an If branch, a Loop or Scan body) with its inputs bound
  /// to `inputs`, in a scope of its own: outer-scope values are visible inside, the
  /// subgraph's own names are dropped once it is imported (a body is imported once per
  /// iteration). Appends one Value per subgraph output. `unrolled`: one iteration of a
  /// Loop or Scan, whose shapes may differ from what ONNX shape inference gave the body.
  virtual mlir::LogicalResult importSubgraph(const ::onnx::GraphProto &graph,
                                             llvm::ArrayRef<mlir::Value> inputs,
                                             llvm::SmallVectorImpl<mlir::Value> &outputs,
                                             bool unrolled) = 0;

  /// Loop and Scan iterations unrolled so far in the model, nested ones included: capped so
  /// that nesting cannot multiply a model into more ops than a compile can take.
  int64_t unrolledIterations = 0;
};

/// Whether `opType` is a control-flow op (If, Loop, Scan), imported by importControlFlow
/// rather than by a registry pattern.
bool isControlFlowOp(llvm::StringRef opType);
/// Imports an If, Loop or Scan node, its subgraphs through `subgraphs`: results as for an
/// ImportFn.
mlir::LogicalResult importControlFlow(NodeImporter &n, SubgraphImporter &subgraphs,
                                      llvm::SmallVectorImpl<mlir::Value> &results);

// Per-family pattern sets.
void populateElementwiseImporters(OpImporterRegistry &registry);
void populateNNImporters(OpImporterRegistry &registry);
void populateNormImporters(OpImporterRegistry &registry);
void populateShapeImporters(OpImporterRegistry &registry);
void populateIndexImporters(OpImporterRegistry &registry);
void populateLayoutImporters(OpImporterRegistry &registry);
void populateQuantImporters(OpImporterRegistry &registry);
void populateRecurrentImporters(OpImporterRegistry &registry);
void populateSelectImporters(OpImporterRegistry &registry);

} // namespace cleave

#endif // CLEAVE_COMPILER_IMPORT_NODEIMPORTER_H
