// Tensor parallelism: finds Megatron column/row pairs and rewrites @main for one rank.
#include "compiler/partition/TensorParallel.h"

#include "compiler/Passes.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_TENSORPARALLELPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// A matmul-like op whose weight is a parameter: Gemm (B a parameter, no transA) or a 2-D
/// MatMul with a parameter right operand, with the bias it adds (Gemm's C, or the parameter
/// of the single Add that follows a MatMul).
struct Linear {
  Operation *op = nullptr;
  Value input;
  onnxir::ParameterOp weight;
  /// The weight's dim holding the output features (1 for a [K, N] weight, 0 for transB).
  int64_t outDim = 1;
  onnxir::ParameterOp bias; ///< may be null
  onnxir::AddOp biasAdd;    ///< the Add of a MatMul's bias; null for Gemm
  Value output;             ///< after the bias
  int64_t features() {
    return cast<RankedTensorType>(weight.getType()).getDimSize(outDim);
  }
};

/// The node name of `op`, for the plan and for diagnostics.
std::string nodeName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().getStringRef().str();
}

/// Element types whose data slices byte-wise.
bool sliceable(onnxir::ParameterOp param) {
  auto type = cast<RankedTensorType>(param.getType());
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return false;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(param.getValue()))
    return resource.getRawHandle().getBlob() != nullptr;
  if (auto dense = dyn_cast<DenseElementsAttr>(param.getValue()))
    return true;
  return false;
}

/// A 1-D bias of `features` elements, or one broadcast along them ([1], or [1, features]).
bool biasFits(onnxir::ParameterOp bias, int64_t features) {
  auto type = cast<RankedTensorType>(bias.getType());
  if (type.getRank() == 0)
    return true;
  for (int64_t i = 0; i + 1 < type.getRank(); ++i)
    if (type.getDimSize(i) != 1)
      return false;
  int64_t last = type.getDimSize(type.getRank() - 1);
  return (last == features || last == 1) && sliceable(bias);
}

std::optional<Linear> matchLinear(Operation *op) {
  Linear l;
  l.op = op;
  if (auto gemm = dyn_cast<onnxir::GemmOp>(op)) {
    l.weight = gemm.getB().getDefiningOp<onnxir::ParameterOp>();
    if (!l.weight || gemm.getTransA())
      return std::nullopt;
    l.input = gemm.getA();
    l.outDim = gemm.getTransB() ? 0 : 1;
    if (Value c = gemm.getC()) {
      l.bias = c.getDefiningOp<onnxir::ParameterOp>();
      if (!l.bias)
        return std::nullopt;
    }
    l.output = gemm.getResult();
  } else if (auto matmul = dyn_cast<onnxir::MatMulOp>(op)) {
    l.weight = matmul.getRhs().getDefiningOp<onnxir::ParameterOp>();
    auto lhsType = cast<RankedTensorType>(matmul.getLhs().getType());
    if (!l.weight || lhsType.getRank() < 2)
      return std::nullopt;
    l.input = matmul.getLhs();
    l.output = matmul.getResult();
    if (l.output.hasOneUse())
      if (auto add = dyn_cast<onnxir::AddOp>(*l.output.getUsers().begin())) {
        Value other = add.getLhs() == l.output ? add.getRhs() : add.getLhs();
        if (auto bias = other.getDefiningOp<onnxir::ParameterOp>())
          if (add.getResult().getType() == l.output.getType()) {
            l.bias = bias;
            l.biasAdd = add;
            l.output = add.getResult();
          }
      }
  } else {
    return std::nullopt;
  }
  if (cast<RankedTensorType>(l.weight.getType()).getRank() != 2 || !sliceable(l.weight))
    return std::nullopt;
  if (l.bias && !biasFits(l.bias, l.features()))
    return std::nullopt;
  return l;
}

/// Ops that act on each element alone, so a column-split tensor passes through them.
bool isElementwiseUnary(Operation *op) {
  return isa<onnxir::ReluOp, onnxir::LeakyReluOp, onnxir::SigmoidOp, onnxir::TanhOp,
             onnxir::EluOp, onnxir::SeluOp, onnxir::HardSigmoidOp, onnxir::HardSwishOp,
             onnxir::SoftplusOp, onnxir::SoftsignOp, onnxir::ErfOp, onnxir::ExpOp,
             onnxir::NegOp, onnxir::AbsOp, onnxir::IdentityOp>(op);
}

/// A column op, the elementwise ops after it, and the row op they feed.
struct Pair {
  Linear column, row;
  SmallVector<Operation *> between;
};

/// `value`'s type with its last dim divided by `tp`.
RankedTensorType narrowLast(Type type, int64_t tp) {
  auto t = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(t.getShape());
  shape.back() /= tp;
  return t.clone(shape);
}

/// A new parameter holding part `rank` of `tp` equal parts of `param` along `dim`.
onnxir::ParameterOp sliceParameter(OpBuilder &b, onnxir::ParameterOp param, int64_t dim,
                                   int64_t tp, int64_t rank) {
  auto type = cast<RankedTensorType>(param.getType());
  SmallVector<int64_t> shape(type.getShape());
  auto sliced = type.clone([&] {
    SmallVector<int64_t> s = shape;
    s[dim] /= tp;
    return s;
  }());
  b.setInsertionPoint(param);
  ElementsAttr value;
  auto dense = dyn_cast<DenseElementsAttr>(param.getValue());
  if (dense && dense.isSplat()) {
    value = dense.resizeSplat(sliced);
  } else {
    ArrayRef<char> data;
    if (dense)
      data = dense.getRawData();
    else
      data = cast<DenseResourceElementsAttr>(param.getValue()).getRawHandle().getBlob()->getData();
    size_t elementBytes = type.getElementType().getIntOrFloatBitWidth() / 8;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < dim; ++i)
      outer *= shape[i];
    for (int64_t i = dim + 1; i < static_cast<int64_t>(shape.size()); ++i)
      inner *= shape[i];
    int64_t part = shape[dim] / tp;
    size_t chunk = part * inner * elementBytes;
    std::vector<char> out;
    out.reserve(outer * chunk);
    for (int64_t o = 0; o < outer; ++o) {
      const char *begin = data.data() + (o * shape[dim] + rank * part) * inner * elementBytes;
      out.insert(out.end(), begin, begin + chunk);
    }
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(out), 64);
    value = DenseResourceElementsAttr::get(sliced, "param", std::move(blob));
  }
  return onnxir::ParameterOp::create(b, param.getLoc(), sliced, param.getName(), value);
}

/// Replaces `linear`'s use of `param` by `replacement` and erases `param` if now unused.
void replaceParameter(Operation *user, onnxir::ParameterOp param,
                      onnxir::ParameterOp replacement) {
  user->replaceUsesOfWith(param.getResult(), replacement.getResult());
  if (param->use_empty())
    param->erase();
}

/// The private declaration standing for a `kind` collective on values of `type`.
func::FuncOp collectiveDecl(ModuleOp module, StringRef kind, Type type, int64_t index) {
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  std::string name = ("cleave_" + kind + "_" + llvm::Twine(index)).str();
  auto decl = func::FuncOp::create(b, module.getLoc(), name,
                                   b.getFunctionType({type}, {type}));
  decl.setPrivate();
  decl->setAttr(kCollectiveAttr, b.getStringAttr(kind));
  return decl;
}

/// Elements of the all-reduce a pair needs (its row op's result).
int64_t reduceElements(const Pair &pair) {
  return cast<RankedTensorType>(pair.row.op->getResult(0).getType()).getNumElements();
}

std::vector<Pair> findPairs(func::FuncOp main, int64_t tp) {
  // Every candidate first; an op can belong to two (as row of one, column of the next).
  std::vector<Pair> candidates;
  for (Operation &op : main.getBody().front()) {
    std::optional<Linear> column = matchLinear(&op);
    if (!column || column->features() % tp != 0)
      continue;
    Pair pair;
    pair.column = *column;
    Value v = column->output;
    while (v.hasOneUse() && isElementwiseUnary(*v.getUsers().begin())) {
      pair.between.push_back(*v.getUsers().begin());
      v = pair.between.back()->getResult(0);
    }
    if (!v.hasOneUse())
      continue;
    std::optional<Linear> row = matchLinear(*v.getUsers().begin());
    // The row op's input features are the column op's outputs (dim 1 - outDim of its weight).
    if (!row || row->input != v ||
        cast<RankedTensorType>(row->weight.getType()).getDimSize(1 - row->outDim) !=
            column->features())
      continue;
    pair.row = *row;
    candidates.push_back(std::move(pair));
  }
  // Smallest all-reduce first (ties: program order), each op in one pair at most.
  std::stable_sort(candidates.begin(), candidates.end(), [](const Pair &a, const Pair &b) {
    return reduceElements(a) < reduceElements(b);
  });
  std::vector<Pair> pairs;
  llvm::SmallPtrSet<Operation *, 16> used;
  for (Pair &pair : candidates) {
    if (used.contains(pair.column.op) || used.contains(pair.row.op))
      continue;
    used.insert(pair.column.op);
    used.insert(pair.row.op);
    pairs.push_back(std::move(pair));
  }
  // Rewritten in program order.
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair &a, const Pair &b) {
    return a.column.op->isBeforeInBlock(b.column.op);
  });
  return pairs;
}

} // namespace

FailureOr<std::vector<TensorParallelPair>>
cleave::applyTensorParallel(ModuleOp module, int64_t tp, int64_t rank) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().getBlocks().size() != 1)
    return module.emitError("expects one function @main with one block"), failure();
  std::vector<Pair> pairs = findPairs(main, tp);
  if (pairs.empty())
    return main.emitError("tensor parallelism (--tp=")
               << tp << ") found no Gemm/MatMul pair with parameter weights to split "
               << "(a matmul with a weight whose output features divide by " << tp
               << ", elementwise ops, then a matmul with a weight)",
           failure();

  OpBuilder b(module.getContext());
  std::vector<TensorParallelPair> plan;
  int64_t index = 0;
  for (Pair &pair : pairs) {
    Linear &col = pair.column, &row = pair.row;
    plan.push_back({nodeName(col.op), nodeName(row.op), col.weight.getName().str(),
                    row.weight.getName().str()});
    int64_t features = col.features();
    // Column op: weight sliced along its output features, bias with it.
    replaceParameter(col.op, col.weight, sliceParameter(b, col.weight, col.outDim, tp, rank));
    if (col.bias) {
      auto biasType = cast<RankedTensorType>(col.bias.getType());
      Operation *user = col.biasAdd ? col.biasAdd.getOperation() : col.op;
      if (biasType.getRank() > 0 && biasType.getShape().back() == features)
        replaceParameter(user, col.bias,
                         sliceParameter(b, col.bias, biasType.getRank() - 1, tp, rank));
    }
    col.op->getResult(0).setType(narrowLast(col.op->getResult(0).getType(), tp));
    if (col.biasAdd)
      col.biasAdd.getResult().setType(narrowLast(col.biasAdd.getResult().getType(), tp));
    for (Operation *op : pair.between)
      op->getResult(0).setType(narrowLast(op->getResult(0).getType(), tp));

    // Row op: weight sliced along its input features; its partial sums are all-reduced.
    replaceParameter(row.op, row.weight,
                     sliceParameter(b, row.weight, 1 - row.outDim, tp, rank));
    if (auto gemm = dyn_cast<onnxir::GemmOp>(row.op); gemm && row.bias && rank != 0) {
      gemm.getCMutable().clear();
      if (row.bias->use_empty())
        row.bias->erase();
    }
    Value partial = row.op->getResult(0);
    func::FuncOp decl = collectiveDecl(module, "all_reduce_sum", partial.getType(), index++);
    b.setInsertionPointAfter(row.op);
    auto call = func::CallOp::create(b, row.op->getLoc(), decl, ValueRange{partial});
    partial.replaceAllUsesExcept(call.getResult(0), call);
  }
  main.walk([&](onnxir::ParameterOp param) {
    param.setNameAttr(b.getStringAttr(param.getName() + ".rank" + llvm::Twine(rank)));
  });
  return plan;
}

namespace {

struct TensorParallelPass : cleave::impl::TensorParallelPassBase<TensorParallelPass> {
  using TensorParallelPassBase::TensorParallelPassBase;

  void runOnOperation() override {
    if (tp < 2 || rank < 0 || rank >= tp) {
      getOperation().emitError("expects tp >= 2 and 0 <= rank < tp, got tp = ")
          << tp.getValue() << ", rank = " << rank.getValue();
      return signalPassFailure();
    }
    FailureOr<std::vector<TensorParallelPair>> pairs =
        applyTensorParallel(getOperation(), tp, rank);
    if (failed(pairs))
      return signalPassFailure();
    Builder b(&getContext());
    SmallVector<Attribute> list;
    for (const TensorParallelPair &p : *pairs)
      list.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("column", b.getStringAttr(p.column)),
           b.getNamedAttr("column_weight", b.getStringAttr(p.columnWeight)),
           b.getNamedAttr("row", b.getStringAttr(p.row)),
           b.getNamedAttr("row_weight", b.getStringAttr(p.rowWeight))}));
    getOperation()->setAttr("cleave.tensor_parallel", b.getArrayAttr(list));
  }
};

} // namespace
