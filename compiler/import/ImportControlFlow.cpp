// ONNX import: the control-flow ops If, Loop and Scan, resolved at compile time.
//
// An If whose condition folds imports only its taken branch; one decided at run time imports
// both and selects each output with a Where. Loop and Scan unroll their body over a trip
// count known at compile time, as RNN/GRU/LSTM unroll over their sequence: every op of the
// result is one the rest of the pipeline already partitions and generates code for.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

/// The most iterations a Loop or Scan is unrolled to (as for the recurrent layers).
constexpr int64_t kMaxIterations = 1024;
/// The most iterations unrolled in a whole model, nested loops counting each inner iteration.
constexpr int64_t kMaxModelIterations = 65536;

/// Counts one more unrolled iteration; fails past kMaxModelIterations.
LogicalResult countIteration(NodeImporter &n, SubgraphImporter &subgraphs) {
  if (++subgraphs.unrolledIterations <= kMaxModelIterations)
    return success();
  return n.emitError() << "unrolling takes the model past " << kMaxModelIterations
                       << " Loop and Scan iterations in all (nested loops multiply)";
}

const ::onnx::GraphProto *findGraph(const NodeImporter &n, StringRef name) {
  for (const auto &attr : n.node.attribute())
    if (attr.name() == name && attr.has_g())
      return &attr.g();
  return nullptr;
}

/// The value of a one-element tensor known at compile time, as a truth value.
std::optional<bool> constantBool(const NodeImporter &n, Value v) {
  if (auto ints = n.getConstantInts(v); ints && ints->size() == 1)
    return (*ints)[0] != 0;
  if (auto floats = n.getConstantFloats(v); floats && floats->size() == 1)
    return (*floats)[0] != 0;
  return std::nullopt;
}

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

Value reshape(NodeImporter &n, Value v, ArrayRef<int64_t> shape) {
  RankedTensorType type = tensorType(v);
  if (type.getShape() == shape)
    return v;
  return onnxir::ReshapeOp::create(n.builder, n.loc,
                                   RankedTensorType::get(shape, type.getElementType()), v);
}

/// Element `index` of `v` along `axis`, that dim dropped.
Value take(NodeImporter &n, Value v, int64_t axis, int64_t index) {
  RankedTensorType type = tensorType(v);
  SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
  SmallVector<int64_t> shape(type.getShape());
  starts[axis] = index;
  shape[axis] = 1;
  Value slice = onnxir::SliceOp::create(
      n.builder, n.loc, RankedTensorType::get(shape, type.getElementType()), v,
      n.builder.getDenseI64ArrayAttr(starts), n.builder.getDenseI64ArrayAttr(steps));
  shape.erase(shape.begin() + axis);
  return reshape(n, slice, shape);
}

/// `elements` (one type) stacked along a new dim `axis`.
Value stack(NodeImporter &n, ArrayRef<Value> elements, int64_t axis) {
  SmallVector<Value> parts;
  for (Value e : elements) {
    SmallVector<int64_t> shape(tensorType(e).getShape());
    shape.insert(shape.begin() + axis, 1);
    parts.push_back(reshape(n, e, shape));
  }
  if (parts.size() == 1)
    return parts[0];
  RankedTensorType type = tensorType(parts[0]);
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = static_cast<int64_t>(parts.size());
  return onnxir::ConcatOp::create(n.builder, n.loc,
                                  RankedTensorType::get(shape, type.getElementType()), parts, axis);
}

/// Checks that the `k`-th scan output has one type in every iteration (so that the
/// iterations stack).
LogicalResult checkSameTypes(NodeImporter &n, ArrayRef<Value> elements, size_t k) {
  for (auto [i, e] : llvm::enumerate(elements))
    if (e.getType() != elements[0].getType())
      return n.emitError() << "scan output " << k << " is " << elements[0].getType()
                           << " in iteration 0 but " << e.getType() << " in iteration " << i
                           << "; the iterations' values must have one type to be stacked";
  return success();
}

LogicalResult importIf(NodeImporter &n, SubgraphImporter &subgraphs, Results &results) {
  const ::onnx::GraphProto *thenBranch = findGraph(n, "then_branch");
  const ::onnx::GraphProto *elseBranch = findGraph(n, "else_branch");
  if (!thenBranch || !elseBranch)
    return n.emitError() << "expects graph attributes 'then_branch' and 'else_branch'";
  for (auto [name, branch] : {std::pair{"then_branch", thenBranch}, {"else_branch", elseBranch}})
    if (branch->input_size() != 0 || branch->output_size() != static_cast<int>(n.numResults()))
      return n.emitError() << "'" << name << "' takes " << branch->input_size()
                           << " inputs and gives " << branch->output_size()
                           << " outputs; a branch takes none and gives one per node output ("
                           << n.numResults() << ")";
  if (!n.operand(0))
    return n.emitError() << "expects a condition input";
  RankedTensorType condType = n.operandType(0);
  if (!condType || condType.getNumElements() != 1)
    return n.emitError() << "expects a one-element condition, got " << n.operand(0).getType();

  if (std::optional<bool> taken = constantBool(n, n.operand(0)))
    return subgraphs.importSubgraph(*taken ? *thenBranch : *elseBranch, {}, results,
                                    /*unrolled=*/false);

  // Decided at run time: both branches are computed (ONNX ops have no side effects) and
  // each output selected elementwise.
  SmallVector<Value> thenValues, elseValues;
  if (failed(subgraphs.importSubgraph(*thenBranch, {}, thenValues, /*unrolled=*/false)) ||
      failed(subgraphs.importSubgraph(*elseBranch, {}, elseValues, /*unrolled=*/false)))
    return failure();
  for (auto [i, pair] : llvm::enumerate(llvm::zip(thenValues, elseValues))) {
    auto [thenValue, elseValue] = pair;
    if (thenValue.getType() != elseValue.getType())
      return n.emitError() << "the condition is only known at run time, so each output is "
                              "selected from both branches, which needs one type: output "
                           << i << " is " << thenValue.getType() << " in 'then_branch' but "
                           << elseValue.getType() << " in 'else_branch'";
  }
  Value cond = reshape(n, n.operand(0), {});
  for (auto [thenValue, elseValue] : llvm::zip(thenValues, elseValues))
    results.push_back(
        onnxir::WhereOp::create(n.builder, n.loc, thenValue.getType(), cond, thenValue, elseValue));
  return success();
}

LogicalResult importLoop(NodeImporter &n, SubgraphImporter &subgraphs, Results &results) {
  const ::onnx::GraphProto *body = findGraph(n, "body");
  if (!body)
    return n.emitError() << "expects a graph attribute 'body'";
  size_t numCarried = n.numOperands() > 2 ? n.numOperands() - 2 : 0;
  size_t bodyOutputs = body->output_size();
  if (static_cast<size_t>(body->input_size()) != 2 + numCarried || bodyOutputs < 1 + numCarried)
    return n.emitError() << "the body takes " << body->input_size() << " inputs and gives "
                         << bodyOutputs << " outputs; with " << numCarried
                         << " loop-carried values it must take " << 2 + numCarried
                         << " and give at least " << 1 + numCarried;
  size_t numScans = bodyOutputs - 1 - numCarried;
  if (n.numResults() != numCarried + numScans)
    return n.emitError() << "has " << n.numResults() << " outputs, the body gives " << numCarried
                         << " loop-carried values and " << numScans << " scan outputs";
  SmallVector<Value> carried;
  for (size_t i = 0; i < numCarried; ++i) {
    if (!n.operand(2 + i))
      return n.emitError() << "loop-carried input " << i << " is empty";
    carried.push_back(n.operand(2 + i));
  }

  int64_t tripCount = std::numeric_limits<int64_t>::max();
  if (n.operand(0)) {
    auto values = n.getConstantInts(n.operand(0));
    if (!values || values->size() != 1)
      return n.emitError() << "the trip count M must be a compile-time constant (the loop is "
                              "unrolled; a trip count known only at run time needs run-time "
                              "shapes)";
    tripCount = (*values)[0];
  }
  bool cond = true;
  if (n.operand(1)) {
    std::optional<bool> value = constantBool(n, n.operand(1));
    if (!value)
      return n.emitError() << "the condition input must be a compile-time constant (the loop "
                              "is unrolled)";
    cond = *value;
  }

  Type i64 = n.builder.getI64Type(), i1 = n.builder.getI1Type();
  SmallVector<SmallVector<Value>> scans(numScans);
  int64_t iteration = 0;
  for (; iteration < tripCount && cond; ++iteration) {
    if (iteration == kMaxIterations)
      return n.emitError() << "loops of more than " << kMaxIterations
                           << " iterations are not supported (the loop is unrolled)";
    if (failed(countIteration(n, subgraphs)))
      return failure();
    SmallVector<Value> inputs{n.constantScalar(i64, static_cast<double>(iteration)),
                              n.constantScalar(i1, 1)};
    inputs.append(carried);
    SmallVector<Value> outputs;
    if (failed(subgraphs.importSubgraph(*body, inputs, outputs, /*unrolled=*/true)))
      return failure();
    std::optional<bool> next = constantBool(n, outputs[0]);
    if (!next)
      return n.emitError() << "the body's condition output is only known at run time (in "
                              "iteration "
                           << iteration << "); the loop is unrolled, so it must fold to a "
                           << "constant";
    cond = *next;
    carried.assign(outputs.begin() + 1, outputs.begin() + 1 + numCarried);
    for (size_t k = 0; k < numScans; ++k)
      scans[k].push_back(outputs[1 + numCarried + k]);
  }
  if (numScans > 0 && iteration == 0)
    return n.emitError() << "runs no iteration, so its scan outputs would be empty; empty "
                            "tensors are not supported";
  results.append(carried);
  for (auto [k, elements] : llvm::enumerate(scans)) {
    if (failed(checkSameTypes(n, elements, k)))
      return failure();
    results.push_back(stack(n, elements, 0));
  }
  return success();
}

/// One Scan over `scanInputs` (each with its direction and axis, all in range): the body
/// runs once per element along the scan axes, `states` threaded through; `results` gets the
/// final states, then each scan output stacked along its axis in its direction.
LogicalResult runScan(NodeImporter &n, SubgraphImporter &subgraphs, const ::onnx::GraphProto &body,
                      SmallVector<Value> states, ArrayRef<Value> scanInputs,
                      ArrayRef<int64_t> inputDirections, ArrayRef<int64_t> inputAxes,
                      ArrayRef<int64_t> outputDirections, ArrayRef<int64_t> outputAxes,
                      Results &results) {
  int64_t length = tensorType(scanInputs[0]).getDimSize(inputAxes[0]);
  for (auto [j, input] : llvm::enumerate(scanInputs))
    if (int64_t other = tensorType(input).getDimSize(inputAxes[j]); other != length)
      return n.emitError() << "scan inputs 0 and " << j << " have " << length << " and " << other
                           << " elements along their scan axes; they must agree";
  if (length > kMaxIterations)
    return n.emitError() << "scans of more than " << kMaxIterations
                         << " iterations are not supported (the scan is unrolled), got " << length;
  size_t numScans = outputAxes.size();
  if (numScans > 0 && length == 0)
    return n.emitError() << "scans no element, so its scan outputs would be empty; empty "
                            "tensors are not supported";
  SmallVector<SmallVector<Value>> scans(numScans);
  for (int64_t t = 0; t < length; ++t) {
    if (failed(countIteration(n, subgraphs)))
      return failure();
    SmallVector<Value> inputs(states);
    for (auto [j, input] : llvm::enumerate(scanInputs))
      inputs.push_back(take(n, input, inputAxes[j], inputDirections[j] ? length - 1 - t : t));
    SmallVector<Value> outputs;
    if (failed(subgraphs.importSubgraph(body, inputs, outputs, /*unrolled=*/true)))
      return failure();
    states.assign(outputs.begin(), outputs.begin() + states.size());
    for (size_t k = 0; k < numScans; ++k)
      scans[k].push_back(outputs[states.size() + k]);
  }
  results.append(states);
  for (auto [k, elements] : llvm::enumerate(scans)) {
    if (failed(checkSameTypes(n, elements, k)))
      return failure();
    if (outputDirections[k])
      std::reverse(elements.begin(), elements.end());
    int64_t rank = tensorType(elements[0]).getRank() + 1;
    int64_t axis = outputAxes[k];
    if (axis < -rank || axis >= rank)
      return n.emitError() << "scan_output_axes[" << k << "] is " << axis
                           << ", out of range for a scan output of rank " << rank;
    results.push_back(stack(n, elements, axis < 0 ? axis + rank : axis));
  }
  return success();
}

/// A per-scan-input or per-scan-output attribute: `count` entries, zeros by default.
FailureOr<SmallVector<int64_t>> scanAttribute(NodeImporter &n, StringRef name, size_t count,
                                              bool isDirection) {
  if (!n.hasAttr(name))
    return SmallVector<int64_t>(count, 0);
  SmallVector<int64_t> values = n.getInts(name);
  if (values.size() != count)
    return n.emitError() << "attribute '" << name << "' has " << values.size()
                         << " entries, expected " << count;
  if (isDirection)
    for (int64_t v : values)
      if (v != 0 && v != 1)
        return n.emitError() << "attribute '" << name << "' holds " << v
                             << "; a direction is 0 (forward) or 1 (reverse)";
  return values;
}

LogicalResult importScan(NodeImporter &n, SubgraphImporter &subgraphs, Results &results) {
  const ::onnx::GraphProto *body = findGraph(n, "body");
  if (!body)
    return n.emitError() << "expects a graph attribute 'body'";
  // Opset 8 takes an optional sequence_lens first and a batch dim on every input.
  bool batched = n.opset < 9;
  size_t first = batched ? 1 : 0;
  int64_t numScanInputs = n.getInt("num_scan_inputs", 0);
  size_t numInputs = n.numOperands() - std::min(first, n.numOperands());
  if (numScanInputs < 1 || static_cast<size_t>(numScanInputs) > numInputs)
    return n.emitError() << "attribute 'num_scan_inputs' is " << numScanInputs
                         << "; it must be between 1 and the number of inputs (" << numInputs << ")";
  size_t numStates = numInputs - numScanInputs;
  if (static_cast<size_t>(body->input_size()) != numInputs ||
      static_cast<size_t>(body->output_size()) < numStates ||
      n.numResults() != static_cast<size_t>(body->output_size()))
    return n.emitError() << "the body takes " << body->input_size() << " inputs and gives "
                         << body->output_size() << " outputs, the node has " << numInputs
                         << " inputs (" << numStates << " state variables) and " << n.numResults()
                         << " outputs; they must match";
  size_t numScans = body->output_size() - numStates;
  SmallVector<Value> inputs;
  for (size_t i = 0; i < numInputs; ++i) {
    if (!n.operand(first + i))
      return n.emitError() << "input " << first + i << " is empty";
    inputs.push_back(n.operand(first + i));
  }
  ArrayRef<Value> states = ArrayRef<Value>(inputs).take_front(numStates);
  ArrayRef<Value> scanInputs = ArrayRef<Value>(inputs).drop_front(numStates);

  if (!batched) {
    auto inputDirections = scanAttribute(n, "scan_input_directions", numScanInputs, true);
    auto outputDirections = scanAttribute(n, "scan_output_directions", numScans, true);
    auto inputAxes = scanAttribute(n, "scan_input_axes", numScanInputs, false);
    auto outputAxes = scanAttribute(n, "scan_output_axes", numScans, false);
    if (failed(inputDirections) || failed(outputDirections) || failed(inputAxes) ||
        failed(outputAxes))
      return failure();
    for (auto [j, axis] : llvm::enumerate(*inputAxes)) {
      int64_t rank = tensorType(scanInputs[j]).getRank();
      if (axis < -rank || axis >= rank)
        return n.emitError() << "scan_input_axes[" << j << "] is " << axis
                             << ", out of range for scan input " << j << " of rank " << rank;
      if (axis < 0)
        axis += rank;
    }
    return runScan(n, subgraphs, *body, SmallVector<Value>(states), scanInputs, *inputDirections,
                   *inputAxes, *outputDirections, *outputAxes, results);
  }

  // Opset 8: the scan axis is 1, after the batch; each batch entry scans on its own.
  auto directions = scanAttribute(n, "directions", numScanInputs, true);
  if (failed(directions))
    return failure();
  for (auto [j, input] : llvm::enumerate(inputs))
    if (tensorType(input).getRank() < (j < numStates ? 1 : 2))
      return n.emitError() << "input " << first + j << " has rank " << tensorType(input).getRank()
                           << "; opset-8 Scan inputs lead with a batch dim (scan inputs then "
                              "with the scan dim)";
  int64_t batch = tensorType(inputs[0]).getDimSize(0);
  if (batch < 1)
    return n.emitError() << "has a batch of " << batch << "; empty tensors are not supported";
  for (auto [j, input] : llvm::enumerate(inputs))
    if (tensorType(input).getDimSize(0) != batch)
      return n.emitError() << "inputs " << first << " and " << first + j
                           << " have different batch sizes, " << batch << " and "
                           << tensorType(input).getDimSize(0);
  int64_t length = tensorType(scanInputs[0]).getDimSize(1);
  if (Value lens = n.operand(0)) {
    auto values = n.getConstantInts(lens);
    if (!values || llvm::any_of(*values, [&](int64_t v) { return v != length; }))
      return n.emitError() << "sequence_lens must be a compile-time constant holding the full "
                              "length "
                           << length << " for every batch entry";
  }
  SmallVector<int64_t> zeros(numScans, 0);
  SmallVector<SmallVector<Value>> perBatch(numStates + numScans);
  for (int64_t b = 0; b < batch; ++b) {
    SmallVector<Value> batchStates, batchInputs;
    for (Value s : states)
      batchStates.push_back(take(n, s, 0, b));
    for (Value x : scanInputs)
      batchInputs.push_back(take(n, x, 0, b));
    SmallVector<Value> outputs;
    if (failed(runScan(n, subgraphs, *body, batchStates, batchInputs, *directions,
                       SmallVector<int64_t>(numScanInputs, 0), zeros, zeros, outputs)))
      return failure();
    for (auto [k, v] : llvm::enumerate(outputs))
      perBatch[k].push_back(v);
  }
  for (ArrayRef<Value> values : perBatch)
    results.push_back(stack(n, values, 0));
  return success();
}

} // namespace

bool cleave::isControlFlowOp(StringRef opType) {
  return opType == "If" || opType == "Loop" || opType == "Scan";
}

LogicalResult cleave::importControlFlow(NodeImporter &n, SubgraphImporter &subgraphs,
                                        Results &results) {
  StringRef op = n.node.op_type();
  if (op == "If")
    return importIf(n, subgraphs, results);
  if (op == "Loop")
    return importLoop(n, subgraphs, results);
  return importScan(n, subgraphs, results);
}
