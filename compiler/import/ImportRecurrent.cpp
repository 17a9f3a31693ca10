// ONNX import patterns: the recurrent layers RNN, GRU and LSTM, unrolled over their (static)
// sequence into matmuls, slices, elementwise ops and concats.
//
// The input projection X * W^T (+ both biases) is one matmul over all time steps; each step
// then costs one matmul with R plus the gate arithmetic. Unrolling keeps every op one the
// rest of the pipeline already partitions, fuses and generates code for; a 256-step layer
// is a few thousand small ops.
#include "compiler/import/NodeImporter.h"

#include "dialects/Onnx/IR/OnnxOps.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace cleave;

namespace {

using Results = SmallVectorImpl<Value>;

enum class Cell { RNN, GRU, LSTM };

/// The longest sequence unrolled.
constexpr int64_t kMaxSteps = 1024;

/// An activation function of the `activations` attribute with its alpha and beta.
struct Activation {
  std::string name; // lower case
  float alpha = 0.0f, beta = 0.0f;
};

/// How many of `activation_alpha` / `activation_beta` an activation takes, and their
/// defaults (those of the ONNX operator of the same name; onnxruntime's choice for Affine
/// and ScaledTanh).
struct ActivationInfo {
  int numAlpha, numBeta;
  float alpha, beta;
};

std::optional<ActivationInfo> activationInfo(StringRef name) {
  if (name == "sigmoid" || name == "tanh" || name == "relu" || name == "softsign" ||
      name == "softplus")
    return ActivationInfo{0, 0, 0.0f, 0.0f};
  if (name == "leakyrelu")
    return ActivationInfo{1, 0, 0.01f, 0.0f};
  if (name == "thresholdedrelu" || name == "elu")
    return ActivationInfo{1, 0, 1.0f, 0.0f};
  if (name == "hardsigmoid")
    return ActivationInfo{1, 1, 0.2f, 0.5f};
  if (name == "affine" || name == "scaledtanh")
    return ActivationInfo{1, 1, 1.0f, name == "affine" ? 0.0f : 1.0f};
  return std::nullopt;
}

/// Builds the unrolled layer for one node.
class Unroller {
public:
  Unroller(NodeImporter &n, Cell cell) : n(n), b(n.builder), loc(n.loc), cell(cell) {}

  LogicalResult run(Results &results);

private:
  /// The number of gates: 1 (RNN), 3 (GRU) or 4 (LSTM).
  int64_t gates() const { return cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4; }
  size_t activationsPerDirection() const {
    return cell == Cell::RNN ? 1 : cell == Cell::GRU ? 2 : 3;
  }
  StringRef opName() const {
    return cell == Cell::RNN ? "RNN" : cell == Cell::GRU ? "GRU" : "LSTM";
  }

  RankedTensorType tensorType(ArrayRef<int64_t> shape) const {
    return RankedTensorType::get(shape, elementType);
  }
  Value slice(Value v, ArrayRef<int64_t> starts, ArrayRef<int64_t> sizes) {
    SmallVector<int64_t> steps(starts.size(), 1);
    return onnxir::SliceOp::create(b, loc, tensorType(sizes), v, b.getDenseI64ArrayAttr(starts),
                                   b.getDenseI64ArrayAttr(steps));
  }
  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return onnxir::ReshapeOp::create(b, loc, tensorType(shape), v);
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    auto in = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(in.getDimSize(p));
    return onnxir::TransposeOp::create(b, loc, tensorType(shape), v, b.getDenseI64ArrayAttr(perm));
  }
  Value concat(ArrayRef<Value> values, int64_t axis) {
    if (values.size() == 1)
      return values[0];
    SmallVector<int64_t> shape(cast<RankedTensorType>(values[0].getType()).getShape());
    shape[axis] = 0;
    for (Value v : values)
      shape[axis] += cast<RankedTensorType>(v.getType()).getDimSize(axis);
    return onnxir::ConcatOp::create(b, loc, tensorType(shape), values, axis);
  }
  /// The result type of a broadcasting binary op between `x` and `y`, where `y` broadcasts
  /// to `x` or `x` to `y`.
  RankedTensorType binaryType(Value x, Value y) {
    auto tx = cast<RankedTensorType>(x.getType()), ty = cast<RankedTensorType>(y.getType());
    return tx.getRank() >= ty.getRank() ? tx : ty;
  }
  Value add(Value x, Value y) { return onnxir::AddOp::create(b, loc, binaryType(x, y), x, y); }
  Value sub(Value x, Value y) { return onnxir::SubOp::create(b, loc, binaryType(x, y), x, y); }
  Value mul(Value x, Value y) { return onnxir::MulOp::create(b, loc, binaryType(x, y), x, y); }
  /// x * w^T + c (c optional, broadcast along rows): x is M x K, w is N x K.
  Value matmulT(Value x, Value w, Value c) {
    int64_t m = cast<RankedTensorType>(x.getType()).getDimSize(0);
    int64_t nn = cast<RankedTensorType>(w.getType()).getDimSize(0);
    return onnxir::GemmOp::create(b, loc, tensorType({m, nn}), x, w, c, b.getF32FloatAttr(1.0f),
                                  b.getF32FloatAttr(1.0f), b.getBoolAttr(false),
                                  b.getBoolAttr(true));
  }
  /// `f(clip(x))`; `clipped = false` leaves out the clip.
  Value activate(Value x, const Activation &f, bool clipped = true);

  LogicalResult parse();
  /// Runs direction `d` (reverse when `reverse`): fills `outputs[t]` with H at time t, and
  /// `lastH` / `lastC` with the final states.
  void runDirection(int64_t d, bool reverse, SmallVectorImpl<Value> &outputs, Value &lastH,
                    Value &lastC);
  /// The initial state of direction `d` from input `index` (initial_h / initial_c), or zeros.
  Value initialState(size_t index, int64_t d);

  NodeImporter &n;
  OpBuilder &b;
  Location loc;
  Cell cell;

  Type elementType;
  int64_t seqLen = 0, batch = 0, inputSize = 0, hidden = 0, numDirections = 1;
  bool batchFirst = false, linearBeforeReset = false, inputForget = false;
  std::string direction;
  std::optional<float> clip;
  Value clipMin, clipMax;
  SmallVector<Activation> activations;
  /// X as seq x batch x input.
  Value input;
};

Value Unroller::activate(Value x, const Activation &f, bool clipped) {
  if (clip && clipped)
    x = onnxir::ClipOp::create(b, loc, cast<RankedTensorType>(x.getType()), x, clipMin, clipMax);
  auto type = cast<RankedTensorType>(x.getType());
  const std::string &name = f.name;
  if (name == "sigmoid")
    return onnxir::SigmoidOp::create(b, loc, x);
  if (name == "tanh")
    return onnxir::TanhOp::create(b, loc, x);
  if (name == "relu")
    return onnxir::ReluOp::create(b, loc, x);
  if (name == "softsign")
    return onnxir::SoftsignOp::create(b, loc, x);
  if (name == "softplus")
    return onnxir::SoftplusOp::create(b, loc, x);
  if (name == "leakyrelu")
    return onnxir::LeakyReluOp::create(b, loc, type, x, b.getF32FloatAttr(f.alpha));
  if (name == "thresholdedrelu")
    return onnxir::ThresholdedReluOp::create(b, loc, type, x, b.getF32FloatAttr(f.alpha));
  if (name == "elu")
    return onnxir::EluOp::create(b, loc, type, x, b.getF32FloatAttr(f.alpha));
  if (name == "hardsigmoid")
    return onnxir::HardSigmoidOp::create(b, loc, type, x, b.getF32FloatAttr(f.alpha),
                                         b.getF32FloatAttr(f.beta));
  if (name == "affine")
    return add(mul(x, n.constantScalar(elementType, f.alpha)),
               n.constantScalar(elementType, f.beta));
  // scaledtanh: alpha * tanh(beta * x).
  Value t = onnxir::TanhOp::create(b, loc, mul(x, n.constantScalar(elementType, f.beta)));
  return mul(t, n.constantScalar(elementType, f.alpha));
}

LogicalResult Unroller::parse() {
  RankedTensorType xType = n.operandType(0), wType = n.operandType(1), rType = n.operandType(2);
  if (!xType || !wType || !rType)
    return n.emitError() << "expects inputs X, W and R";
  elementType = xType.getElementType();
  if (!isa<FloatType>(elementType))
    return n.emitError() << "expects a float X, got " << xType;
  for (size_t i = 1; i < n.numOperands(); ++i) {
    RankedTensorType t = n.operandType(i);
    if (t && i != 4 && t.getElementType() != elementType)
      return n.emitError() << "expects input " << i << " of X's element type, got " << t;
  }
  if (xType.getRank() != 3)
    return n.emitError() << "expects a rank-3 X, got " << xType;
  batchFirst = n.opset >= 14 && n.getInt("layout", 0) != 0;
  seqLen = xType.getDimSize(batchFirst ? 1 : 0);
  batch = xType.getDimSize(batchFirst ? 0 : 1);
  inputSize = xType.getDimSize(2);
  if (xType.getNumElements() == 0)
    return n.emitError() << "expects a non-empty X, got " << xType;
  // Each step becomes ops of its own; past this the import and code generation take minutes.
  if (seqLen > kMaxSteps)
    return n.emitError() << "sequences of more than " << kMaxSteps << " steps are not "
                         << "supported (the layer is unrolled), got " << seqLen;

  direction = n.getString("direction", "forward");
  if (direction == "bidirectional")
    numDirections = 2;
  else if (direction != "forward" && direction != "reverse")
    return n.emitError() << "attribute 'direction' must be forward, reverse or bidirectional, "
                         << "got '" << direction << "'";

  if (rType.getRank() != 3)
    return n.emitError() << "expects a rank-3 R, got " << rType;
  hidden = n.getInt("hidden_size", rType.getDimSize(2));
  int64_t g = gates();
  if (hidden < 1 || rType.getShape() != ArrayRef<int64_t>{numDirections, g * hidden, hidden})
    return n.emitError() << "expects R of shape " << numDirections << "x" << g * hidden << "x"
                         << hidden << " (directions x " << g << "*hidden_size x hidden_size), "
                         << "got " << rType;
  if (wType.getShape() != ArrayRef<int64_t>{numDirections, g * hidden, inputSize})
    return n.emitError() << "expects W of shape " << numDirections << "x" << g * hidden << "x"
                         << inputSize << ", got " << wType;
  if (RankedTensorType bType = n.operandType(3);
      bType && bType.getShape() != ArrayRef<int64_t>{numDirections, 2 * g * hidden})
    return n.emitError() << "expects B of shape " << numDirections << "x" << 2 * g * hidden
                         << ", got " << bType;
  SmallVector<int64_t> stateShape = batchFirst ? SmallVector<int64_t>{batch, numDirections, hidden}
                                               : SmallVector<int64_t>{numDirections, batch, hidden};
  for (size_t i : {size_t(5), size_t(6)}) {
    if (i == 6 && cell != Cell::LSTM)
      break;
    RankedTensorType t = n.operandType(i);
    if (t && t.getShape() != ArrayRef<int64_t>(stateShape))
      return n.emitError() << "expects " << (i == 5 ? "initial_h" : "initial_c") << " of shape "
                           << stateShape[0] << "x" << stateShape[1] << "x" << stateShape[2]
                           << ", got " << t;
  }
  if (cell == Cell::LSTM) {
    if (RankedTensorType p = n.operandType(7);
        p && p.getShape() != ArrayRef<int64_t>{numDirections, 3 * hidden})
      return n.emitError() << "expects P of shape " << numDirections << "x" << 3 * hidden
                           << ", got " << p;
  }

  // sequence_lens: every sequence must run the full length, known at compile time.
  if (Value lens = n.operand(4)) {
    auto values = n.getConstantInts(lens);
    if (!values)
      return n.emitError() << "sequence_lens must be a compile-time constant (a graph input "
                           << "is not supported); every sequence must have the full length "
                           << seqLen;
    for (int64_t v : *values)
      if (v != seqLen)
        return n.emitError() << "sequence_lens holds " << v << ", but only sequences of the "
                             << "full length " << seqLen << " are supported";
  }

  if (n.hasAttr("clip")) {
    clip = n.getFloat("clip", 0.0f);
    if (!(*clip > 0.0f))
      return n.emitError() << "attribute 'clip' must be positive, got " << *clip;
    clipMin = n.constantScalar(elementType, -*clip);
    clipMax = n.constantScalar(elementType, *clip);
  }
  linearBeforeReset = cell == Cell::GRU && n.getInt("linear_before_reset", 0) != 0;
  inputForget = cell == Cell::LSTM && n.getInt("input_forget", 0) != 0;

  // activations, with alphas and betas taken in order by the functions that use them.
  std::vector<std::string> names = n.getStrings("activations");
  size_t per = activationsPerDirection();
  if (names.empty()) {
    for (int64_t d = 0; d < numDirections; ++d) {
      if (cell == Cell::RNN)
        names.push_back("Tanh");
      else
        names.insert(names.end(), {"Sigmoid", "Tanh"});
      if (cell == Cell::LSTM)
        names.push_back("Tanh");
    }
  }
  if (names.size() != per * numDirections)
    return n.emitError() << "attribute 'activations' must list " << per * numDirections
                         << " functions, got " << names.size();
  SmallVector<float> alphas = n.getFloats("activation_alpha"),
                     betas = n.getFloats("activation_beta");
  size_t nextAlpha = 0, nextBeta = 0;
  for (const std::string &name : names) {
    Activation f;
    f.name = llvm::StringRef(name).lower();
    auto info = activationInfo(f.name);
    if (!info)
      return n.emitError() << "unsupported activation '" << name << "'";
    f.alpha = info->alpha;
    f.beta = info->beta;
    if (info->numAlpha && nextAlpha < alphas.size())
      f.alpha = alphas[nextAlpha++];
    if (info->numBeta && nextBeta < betas.size())
      f.beta = betas[nextBeta++];
    activations.push_back(f);
  }

  input = batchFirst ? transpose(n.operand(0), {1, 0, 2}) : n.operand(0);
  return success();
}

Value Unroller::initialState(size_t index, int64_t d) {
  if (Value init = n.operand(index)) {
    Value s = batchFirst ? slice(init, {0, d, 0}, {batch, 1, hidden})
                         : slice(init, {d, 0, 0}, {1, batch, hidden});
    return reshape(s, {batch, hidden});
  }
  auto type = tensorType({batch, hidden});
  return onnxir::ConstantOp::create(b, loc,
                                    DenseElementsAttr::get(type, b.getFloatAttr(elementType, 0.0)));
}

void Unroller::runDirection(int64_t d, bool reverse, SmallVectorImpl<Value> &outputs, Value &lastH,
                            Value &lastC) {
  int64_t g = gates(), gh = g * hidden;
  const Activation *act = &activations[d * activationsPerDirection()];
  Value w = reshape(slice(n.operand(1), {d, 0, 0}, {1, gh, inputSize}), {gh, inputSize});
  Value r = reshape(slice(n.operand(2), {d, 0, 0}, {1, gh, hidden}), {gh, hidden});

  // The bias added to the input projection: Wb + Rb, except GRU's Rb[h] under
  // linear_before_reset, which goes inside the reset gate's product.
  Value bias, hiddenBias;
  if (n.operand(3)) {
    Value both = reshape(slice(n.operand(3), {d, 0}, {1, 2 * gh}), {2 * gh});
    Value wb = slice(both, {0}, {gh}), rb = slice(both, {gh}, {gh});
    if (linearBeforeReset) {
      Value zr = add(slice(wb, {0}, {2 * hidden}), slice(rb, {0}, {2 * hidden}));
      bias = concat({zr, slice(wb, {2 * hidden}, {hidden})}, 0);
      hiddenBias = slice(rb, {2 * hidden}, {hidden});
    } else {
      bias = add(wb, rb);
    }
  }
  // (seq * batch) x gh: step t reads rows [t * batch, (t + 1) * batch).
  Value projected = matmulT(reshape(input, {seqLen * batch, inputSize}), w, bias);

  // GRU multiplies the reset hidden state by R[h] alone.
  Value rZR, rH;
  if (cell == Cell::GRU) {
    rZR = slice(r, {0, 0}, {2 * hidden, hidden});
    rH = slice(r, {2 * hidden, 0}, {hidden, hidden});
  }
  Value pI, pO, pF;
  if (cell == Cell::LSTM && n.operand(7)) {
    Value p = reshape(slice(n.operand(7), {d, 0}, {1, 3 * hidden}), {3 * hidden});
    pI = slice(p, {0}, {hidden});
    pO = slice(p, {hidden}, {hidden});
    pF = slice(p, {2 * hidden}, {hidden});
  }

  Value h = initialState(5, d);
  Value c = cell == Cell::LSTM ? initialState(6, d) : Value();
  outputs.assign(seqLen, Value());
  auto gate = [&](Value v, int64_t k) { return slice(v, {0, k * hidden}, {batch, hidden}); };
  for (int64_t step = 0; step < seqLen; ++step) {
    int64_t t = reverse ? seqLen - 1 - step : step;
    Value xt = slice(projected, {t * batch, 0}, {batch, gh});
    switch (cell) {
    case Cell::RNN:
      h = activate(matmulT(h, r, xt), act[0]);
      break;
    case Cell::GRU: {
      Value zr = matmulT(h, rZR, slice(xt, {0, 0}, {batch, 2 * hidden}));
      Value z = activate(gate(zr, 0), act[0]);
      Value rs = activate(gate(zr, 1), act[0]);
      Value xh = gate(xt, 2);
      Value pre = linearBeforeReset ? add(xh, mul(rs, matmulT(h, rH, hiddenBias)))
                                    : matmulT(mul(rs, h), rH, xh);
      Value candidate = activate(pre, act[1]);
      // (1 - z) * candidate + z * h
      h = add(candidate, mul(z, sub(h, candidate)));
      break;
    }
    case Cell::LSTM: {
      Value all = matmulT(h, r, xt);
      Value i = gate(all, 0), o = gate(all, 1), f = gate(all, 2), cc = gate(all, 3);
      if (pI) {
        i = add(i, mul(pI, c));
        f = add(f, mul(pF, c));
      }
      Value it = activate(i, act[0]);
      Value ft = inputForget ? sub(n.constantScalar(elementType, 1.0), it) : activate(f, act[0]);
      c = add(mul(ft, c), mul(it, activate(cc, act[1])));
      if (pO)
        o = add(o, mul(pO, c));
      Value ot = activate(o, act[0]);
      // The clip bounds the gates' inputs, not the cell state (as onnxruntime does).
      h = mul(ot, activate(c, act[2], /*clipped=*/false));
      break;
    }
    }
    outputs[t] = h;
  }
  lastH = h;
  lastC = c;
}

LogicalResult Unroller::run(Results &results) {
  if (failed(parse()))
    return failure();
  SmallVector<SmallVector<Value>> perDirection(numDirections);
  SmallVector<Value> lastH, lastC;
  for (int64_t d = 0; d < numDirections; ++d) {
    Value h, c;
    bool reverse = direction == "reverse" || d == 1;
    runDirection(d, reverse, perDirection[d], h, c);
    lastH.push_back(reshape(h, {1, batch, hidden}));
    if (c)
      lastC.push_back(reshape(c, {1, batch, hidden}));
  }
  auto requested = [&](size_t i) {
    return i < n.numResults() && !n.node.output(static_cast<int>(i)).empty();
  };

  // Y: seq x directions x batch x hidden (batch x seq x directions x hidden with layout 1).
  Value y;
  if (requested(0)) {
    SmallVector<Value> directions;
    for (auto &outputs : perDirection) {
      // The steps' batch x hidden states stacked in time order, then split into steps.
      directions.push_back(reshape(concat(outputs, 0), {seqLen, 1, batch, hidden}));
    }
    y = concat(directions, 1);
    if (batchFirst)
      y = transpose(y, {2, 0, 1, 3});
  }
  // Y_h, Y_c: directions x batch x hidden (batch x directions x hidden with layout 1).
  auto state = [&](ArrayRef<Value> last) {
    Value s = concat(last, 0);
    return batchFirst ? transpose(s, {1, 0, 2}) : s;
  };
  results.push_back(y);
  if (n.numResults() > 1)
    results.push_back(requested(1) ? state(lastH) : Value());
  if (n.numResults() > 2 && cell == Cell::LSTM)
    results.push_back(requested(2) ? state(lastC) : Value());
  return success();
}

template <Cell cell> LogicalResult importRecurrent(NodeImporter &n, Results &results) {
  if (n.numResults() > (cell == Cell::LSTM ? 3u : 2u))
    return n.emitError() << "expects at most " << (cell == Cell::LSTM ? 3 : 2) << " outputs";
  return Unroller(n, cell).run(results);
}

} // namespace

void cleave::populateRecurrentImporters(OpImporterRegistry &registry) {
  registry.add("RNN", 1, importRecurrent<Cell::RNN>);
  registry.add("GRU", 1, importRecurrent<Cell::GRU>);
  registry.add("LSTM", 1, importRecurrent<Cell::LSTM>);
}
