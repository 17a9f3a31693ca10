// Tensor parallelism: propagates splits from weighted ops through @main and rewrites it for
// one rank (docs/partitioning.md, "Tensor parallelism").
#include "compiler/partition/TensorParallel.h"

#include "compiler/Passes.h"
#include "dialects/Cleave/IR/CleaveOps.h"
#include "dialects/Onnx/IR/OnnxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <map>
#include <tuple>

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_TENSORPARALLELPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// How one value of a region is held by the ranks of the group.
struct Layout {
  enum Kind { Replicated, Split, Partial };
  Kind kind = Replicated;
  /// Split: the dim divided over the ranks. It is made of `blocks` equal blocks, and rank r
  /// holds part r of each (blocks > 1 for fused projections such as QKV, sliced later).
  int64_t dim = 0;
  int64_t blocks = 1;

  static Layout split(int64_t dim, int64_t blocks) { return {Split, dim, blocks}; }
  static Layout partial() { return {Partial, 0, 1}; }
  bool isSplit() const { return kind == Split; }
  bool isReplicated() const { return kind == Replicated; }
};

/// A replicated operand that the rewrite cuts to the rank's part of `dim`: a parameter or
/// constant at compile time, any other value with an onnx.slice (blocks == 1 only).
struct OperandCut {
  Operation *op;
  unsigned index;
  int64_t dim, blocks;
};

/// The ops one split spreads over, and what the rewrite does to them.
struct SplitRegion {
  Operation *start = nullptr;
  llvm::DenseMap<Value, Layout> layouts; ///< the non-replicated values
  SmallVector<Operation *> ops;          ///< members in program order, `start` first
  SmallVector<OperandCut> cuts;
  llvm::DenseMap<Operation *, SmallVector<int64_t>> sliceStarts; ///< rank-local starts
  SmallVector<Operation *> biasOnRankZero; ///< row-split ops whose bias rank 0 alone adds
  SmallVector<Operation *> vocabLookups;   ///< Gathers on a table sliced by rows
  SmallVector<std::pair<Operation *, std::string>> splits; ///< (op, how) for the plan
  SmallVector<Value> reduces; ///< partial sums all-reduced (for every use)
  SmallVector<Value> gathers; ///< split values all-gathered for the graph outputs
  int64_t commBytes = 0;
};

using onnxir::nodeName;

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }
int64_t rankOf(Value v) { return tensorType(v).getRank(); }
int64_t dimOf(Value v, int64_t d) { return tensorType(v).getDimSize(d); }

int64_t bytesOf(Value v) { return onnxir::tensorBytes(v.getType()); }

/// The data of a parameter or constant whose bytes can be sliced, or null.
ElementsAttr constantData(Value v) {
  ElementsAttr value;
  if (auto param = v.getDefiningOp<onnxir::ParameterOp>())
    value = param.getValue();
  else if (auto constant = v.getDefiningOp<onnxir::ConstantOp>())
    value = constant.getValue();
  if (!value)
    return {};
  Type element = cast<ShapedType>(value.getType()).getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return {};
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return resource.getRawHandle().getBlob() ? value : ElementsAttr();
  return isa<DenseElementsAttr>(value) ? value : ElementsAttr();
}

/// The name of the parameter `v` is, or "".
std::string parameterName(Value v) {
  if (auto param = v.getDefiningOp<onnxir::ParameterOp>())
    return param.getName().str();
  return "";
}

/// `type` with dim `dim` divided by `tp`.
RankedTensorType narrow(RankedTensorType type, int64_t dim, int64_t tp) {
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] /= tp;
  return type.clone(shape);
}

/// Part `rank` of each of the `blocks` blocks of `value` along `dim`, split `tp` ways.
ElementsAttr sliceData(ElementsAttr value, int64_t dim, int64_t blocks, int64_t tp,
                       int64_t rank) {
  auto type = cast<RankedTensorType>(value.getType());
  RankedTensorType sliced = narrow(type, dim, tp);
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (dense && dense.isSplat())
    return dense.resizeSplat(sliced);
  ArrayRef<char> data = dense ? dense.getRawData()
                              : cast<DenseResourceElementsAttr>(value)
                                    .getRawHandle()
                                    .getBlob()
                                    ->getData();
  ArrayRef<int64_t> shape = type.getShape();
  size_t elementBytes = type.getElementType().getIntOrFloatBitWidth() / 8;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < dim; ++i)
    outer *= shape[i];
  for (int64_t i = dim + 1; i < type.getRank(); ++i)
    inner *= shape[i];
  int64_t block = shape[dim] / blocks, part = block / tp;
  size_t chunk = part * inner * elementBytes;
  std::vector<char> out;
  out.reserve(outer * blocks * chunk);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < blocks; ++k) {
      const char *begin =
          data.data() + ((o * shape[dim]) + k * block + rank * part) * inner * elementBytes;
      out.insert(out.end(), begin, begin + chunk);
    }
  if (dense)
    return DenseElementsAttr::getFromRawBuffer(sliced, ArrayRef<char>(out));
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(out), 64);
  return DenseResourceElementsAttr::get(sliced, "param", std::move(blob));
}

/// Ops that normalise along one `axis` (softmax, log-softmax): a split of any other dim
/// passes through.
bool isAxisNormalization(Operation *op) { return isa<onnxir::SoftmaxOp, onnxir::LogSoftmaxOp>(op); }

/// Reductions over their `axes` attribute, keeping or dropping the reduced dims.
bool isReduction(Operation *op) {
  return isa<onnxir::ReduceSumOp, onnxir::ReduceMeanOp, onnxir::ReduceMaxOp>(op);
}

/// Poolings, each (batch, channel) plane on its own: a split of dim 0 or 1 passes through.
bool isPooling(Operation *op) {
  return isa<onnxir::MaxPoolOp, onnxir::AveragePoolOp, onnxir::GlobalAveragePoolOp,
             onnxir::GlobalMaxPoolOp>(op);
}

/// Follows one split from its start op through @main (see applyTensorParallel).
class Simulator {
public:
  explicit Simulator(int64_t tp) : tp(tp) {}

  /// The region of a split starting at `start` with `blocks`, or a reason it cannot be.
  FailureOr<SplitRegion> run(Operation *start, int64_t blocks, std::string &reason);

  /// Block counts a slice of a split tensor asked for (fused projections).
  SmallVector<int64_t> wantedBlocks;

private:
  Layout layout(Value v) const { return region.layouts.lookup(v); }
  bool cut(Operation *op, unsigned index, int64_t dim, int64_t blocks);
  std::optional<Layout> startRule(Operation *op, int64_t blocks);
  std::optional<Layout> rule(Operation *op);
  std::optional<Layout> elementwise(Operation *op);
  std::optional<Layout> matmul(onnxir::MatMulOp op);
  std::optional<Layout> gemm(onnxir::GemmOp op);
  std::optional<Layout> conv(onnxir::ConvOp op);
  std::optional<Layout> reshape(onnxir::ReshapeOp op);
  std::optional<Layout> slice(onnxir::SliceOp op);

  int64_t tp;
  SplitRegion region;
};

/// Records that operand `index` of `op`, replicated, is cut along `dim`; false when it
/// cannot be. A dim of size 1 broadcasts and needs no cut.
bool Simulator::cut(Operation *op, unsigned index, int64_t dim, int64_t blocks) {
  Value v = op->getOperand(index);
  if (!layout(v).isReplicated())
    return false;
  int64_t size = dimOf(v, dim);
  if (size == 1)
    return true;
  if (size % (tp * blocks) != 0)
    return false;
  if (!constantData(v) && blocks != 1)
    return false;
  region.cuts.push_back({op, index, dim, blocks});
  return true;
}

std::optional<Layout> Simulator::startRule(Operation *op, int64_t blocks) {
  if (auto matmul = dyn_cast<onnxir::MatMulOp>(op)) {
    Value w = matmul.getRhs();
    if (!w.getDefiningOp<onnxir::ParameterOp>() || rankOf(w) != 2 ||
        rankOf(matmul.getLhs()) < 2 || !constantData(w) || !cut(op, 1, 1, blocks))
      return std::nullopt;
    region.splits.push_back({op, "column"});
    return Layout::split(rankOf(matmul.getResult()) - 1, blocks);
  }
  if (auto gemm = dyn_cast<onnxir::GemmOp>(op)) {
    Value w = gemm.getB();
    int64_t outDim = gemm.getTransB() ? 0 : 1;
    if (gemm.getTransA() || !w.getDefiningOp<onnxir::ParameterOp>() || !constantData(w) ||
        !cut(op, 1, outDim, blocks))
      return std::nullopt;
    if (Value c = gemm.getC())
      if (rankOf(c) > 0 && !cut(op, 2, rankOf(c) - 1, blocks))
        return std::nullopt;
    region.splits.push_back({op, "column"});
    return Layout::split(1, blocks);
  }
  if (auto conv = dyn_cast<onnxir::ConvOp>(op)) {
    if (blocks != 1 || conv.getGroup() != 1 ||
        !conv.getWeight().getDefiningOp<onnxir::ParameterOp>() || !cut(op, 1, 0, 1))
      return std::nullopt;
    if (conv.getBias() && !cut(op, 2, 0, 1))
      return std::nullopt;
    region.splits.push_back({op, "column"});
    return Layout::split(1, 1);
  }
  if (auto gather = dyn_cast<onnxir::GatherOp>(op)) {
    Value table = gather.getData();
    if (blocks != 1 || gather.getAxis() != 0 || !table.getDefiningOp<onnxir::ParameterOp>() ||
        rankOf(table) < 1 || !cut(op, 0, 0, 1))
      return std::nullopt;
    region.vocabLookups.push_back(op);
    region.splits.push_back({op, "vocab"});
    return Layout::partial();
  }
  return std::nullopt;
}

/// Numpy broadcasting: the split operands agree on one result dim; the replicated ones are
/// cut along it unless they broadcast there.
std::optional<Layout> Simulator::elementwise(Operation *op) {
  if (op->getNumResults() != 1)
    return std::nullopt;
  int64_t rank = rankOf(op->getResult(0));
  std::optional<Layout> out;
  for (Value v : op->getOperands()) {
    Layout l = layout(v);
    if (l.kind == Layout::Partial)
      return std::nullopt;
    if (!l.isSplit())
      continue;
    Layout mapped = Layout::split(l.dim + rank - rankOf(v), l.blocks);
    if (out && (out->dim != mapped.dim || out->blocks != mapped.blocks))
      return std::nullopt;
    out = mapped;
  }
  if (!out)
    return std::nullopt;
  for (unsigned i = 0; i < op->getNumOperands(); ++i) {
    Value v = op->getOperand(i);
    int64_t dim = out->dim - (rank - rankOf(v));
    if (layout(v).isReplicated() && dim >= 0 && !cut(op, i, dim, out->blocks))
      return std::nullopt;
  }
  return out;
}

std::optional<Layout> Simulator::matmul(onnxir::MatMulOp op) {
  Value lhs = op.getLhs(), rhs = op.getRhs();
  Layout l = layout(lhs), r = layout(rhs);
  int64_t a = rankOf(lhs), b = rankOf(rhs), rank = rankOf(op.getResult());
  if (a < 2 || b < 2 || l.kind == Layout::Partial || r.kind == Layout::Partial)
    return std::nullopt;
  // Split along the contracted dim: each rank sums over its part.
  if (l.isSplit() && l.dim == a - 1) {
    if (r.isSplit())
      return r.dim == b - 2 && r.blocks == l.blocks ? std::optional(Layout::partial())
                                                    : std::nullopt;
    if (l.blocks != 1 || !cut(op, 1, b - 2, 1))
      return std::nullopt;
    if (rhs.getDefiningOp<onnxir::ParameterOp>())
      region.splits.push_back({op, "row"});
    return Layout::partial();
  }
  if (r.isSplit() && r.dim == b - 2)
    return std::nullopt;
  // Otherwise the split passes to a result dim: batch, rows (lhs) or columns (rhs).
  std::optional<Layout> out;
  for (auto [operand, n] : {std::pair(l, a), std::pair(r, b)}) {
    if (!operand.isSplit())
      continue;
    int64_t dim = operand.dim + rank - n;
    if (out && (out->dim != dim || out->blocks != operand.blocks))
      return std::nullopt;
    out = Layout::split(dim, operand.blocks);
  }
  if (!out)
    return std::nullopt;
  if (out->dim < rank - 2)
    for (auto [index, v, n] : {std::tuple(0u, lhs, a), std::tuple(1u, rhs, b)}) {
      int64_t dim = out->dim - (rank - n);
      if (layout(v).isReplicated() && dim >= 0 && !cut(op, index, dim, out->blocks))
        return std::nullopt;
    }
  return out;
}

std::optional<Layout> Simulator::gemm(onnxir::GemmOp op) {
  Layout a = layout(op.getA());
  if (!a.isSplit() || op.getTransA() || !layout(op.getB()).isReplicated() ||
      (op.getC() && !layout(op.getC()).isReplicated()))
    return std::nullopt;
  if (a.dim == 1) {
    // Row split: the weight's input features are cut, C is added by rank 0 alone.
    if (a.blocks != 1 || !op.getB().getDefiningOp<onnxir::ParameterOp>() ||
        !cut(op, 1, op.getTransB() ? 1 : 0, 1))
      return std::nullopt;
    if (op.getC())
      region.biasOnRankZero.push_back(op);
    region.splits.push_back({op, "row"});
    return Layout::partial();
  }
  if (Value c = op.getC(); c && rankOf(c) == 2 && !cut(op, 2, 0, a.blocks))
    return std::nullopt;
  return a;
}

std::optional<Layout> Simulator::conv(onnxir::ConvOp op) {
  Layout in = layout(op.getInput());
  if (!in.isSplit() || !layout(op.getWeight()).isReplicated())
    return std::nullopt;
  if (in.dim == 0)
    return in;
  if (in.dim != 1 || in.blocks != 1 || op.getGroup() != 1 ||
      !op.getWeight().getDefiningOp<onnxir::ParameterOp>() || !cut(op, 1, 1, 1))
    return std::nullopt;
  if (op.getBias())
    region.biasOnRankZero.push_back(op);
  region.splits.push_back({op, "row"});
  return Layout::partial();
}

/// A reshape keeps the split when the split dim leads its group of merged or divided dims
/// and the group's leading result dim divides as finely.
std::optional<Layout> Simulator::reshape(onnxir::ReshapeOp op) {
  Layout in = layout(op.getInput());
  if (!in.isSplit())
    return std::nullopt;
  ArrayRef<int64_t> from = tensorType(op.getInput()).getShape();
  ArrayRef<int64_t> to = tensorType(op.getResult()).getShape();
  size_t i = 0, j = 0;
  while (i < from.size() && j < to.size()) {
    size_t i0 = i, j0 = j;
    int64_t p = from[i++], q = to[j++];
    while (p != q) {
      if (p < q) {
        if (i == from.size())
          return std::nullopt;
        p *= from[i++];
      } else {
        if (j == to.size())
          return std::nullopt;
        q *= to[j++];
      }
    }
    if (in.dim < static_cast<int64_t>(i0) || in.dim >= static_cast<int64_t>(i))
      continue;
    for (size_t k = i0; k < static_cast<size_t>(in.dim); ++k)
      if (from[k] != 1)
        return std::nullopt;
    for (size_t k = j0; k < j; ++k)
      if (to[k] != 1)
        return to[k] % (tp * in.blocks) == 0
                   ? std::optional(Layout::split(static_cast<int64_t>(k), in.blocks))
                   : std::nullopt;
    return std::nullopt;
  }
  return std::nullopt;
}

/// A slice along the split dim keeps it when it takes whole blocks: all of them, or one
/// (which then is the rank's whole part).
std::optional<Layout> Simulator::slice(onnxir::SliceOp op) {
  Layout in = layout(op.getInput());
  if (!in.isSplit())
    return std::nullopt;
  int64_t d = in.dim;
  int64_t size = dimOf(op.getInput(), d), taken = dimOf(op.getResult(), d);
  int64_t start = op.getStarts()[d], step = op.getSteps()[d];
  SmallVector<int64_t> starts(op.getStarts());
  if (taken == size && start == 0 && step == 1) {
    region.sliceStarts[op] = starts;
    return in;
  }
  int64_t block = size / in.blocks;
  if (step != 1 || taken != block || start % block != 0) {
    if (in.blocks == 1 && step == 1 && taken > 0 && size % taken == 0 && start % taken == 0)
      wantedBlocks.push_back(size / taken);
    return std::nullopt;
  }
  starts[d] = start / block * (block / tp);
  region.sliceStarts[op] = starts;
  return Layout::split(d, 1);
}

std::optional<Layout> Simulator::rule(Operation *op) {
  if (op->getNumResults() != 1)
    return std::nullopt;
  if (onnxir::isElementwise(op))
    return elementwise(op);
  if (auto matmulOp = dyn_cast<onnxir::MatMulOp>(op))
    return matmul(matmulOp);
  if (auto gemmOp = dyn_cast<onnxir::GemmOp>(op))
    return gemm(gemmOp);
  if (auto convOp = dyn_cast<onnxir::ConvOp>(op))
    return conv(convOp);
  if (auto reshapeOp = dyn_cast<onnxir::ReshapeOp>(op))
    return reshape(reshapeOp);
  if (auto sliceOp = dyn_cast<onnxir::SliceOp>(op))
    return slice(sliceOp);
  Value input = op->getOperand(0);
  Layout in = layout(input);
  if (!in.isSplit())
    return std::nullopt;
  for (Value v : op->getOperands().drop_front())
    if (!layout(v).isReplicated())
      return std::nullopt;
  int64_t rank = rankOf(input);
  if (auto transpose = dyn_cast<onnxir::TransposeOp>(op)) {
    ArrayRef<int64_t> perm = transpose.getPerm();
    int64_t dim = std::find(perm.begin(), perm.end(), in.dim) - perm.begin();
    return Layout::split(dim, in.blocks);
  }
  if (isAxisNormalization(op)) {
    // Verified ops have their axes in range.
    int64_t axis = *onnxir::normalizeAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(), rank);
    return axis == in.dim ? std::nullopt : std::optional(in);
  }
  if (auto norm = dyn_cast<onnxir::LayerNormalizationOp>(op))
    return in.dim < *onnxir::normalizeAxis(norm.getAxis(), rank) ? std::optional(in) : std::nullopt;
  if (isReduction(op)) {
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keep = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    int64_t dim = in.dim;
    for (int64_t axis : axes) {
      axis = *onnxir::normalizeAxis(axis, rank);
      if (axis == in.dim)
        return std::nullopt;
      if (axis < in.dim && !keep)
        --dim;
    }
    return Layout::split(dim, in.blocks);
  }
  if (isPooling(op))
    return in.dim <= 1 ? std::optional(in) : std::nullopt;
  if (isa<onnxir::BatchNormalizationOp>(op)) {
    if (in.dim == 1)
      for (unsigned i = 1; i < op->getNumOperands(); ++i)
        if (!cut(op, i, 0, in.blocks))
          return std::nullopt;
    return in.dim <= 1 ? std::optional(in) : std::nullopt;
  }
  if (auto gather = dyn_cast<onnxir::GatherOp>(op)) {
    int64_t axis = gather.getAxis();
    if (in.dim == axis)
      return std::nullopt;
    int64_t dim = in.dim < axis ? in.dim : in.dim + rankOf(gather.getIndices()) - 1;
    return Layout::split(dim, in.blocks);
  }
  return std::nullopt;
}

FailureOr<SplitRegion> Simulator::run(Operation *start, int64_t blocks, std::string &reason) {
  region = SplitRegion();
  region.start = start;
  std::optional<Layout> first = startRule(start, blocks);
  if (!first) {
    reason = "its weight cannot be split " + std::to_string(tp) + " ways";
    return failure();
  }
  region.ops.push_back(start);
  region.layouts[start->getResult(0)] = *first;
  for (Operation *op = start->getNextNode(); op; op = op->getNextNode()) {
    if (llvm::all_of(op->getOperands(), [&](Value v) { return layout(v).isReplicated(); }))
      continue;
    if (std::optional<Layout> out = rule(op)) {
      region.ops.push_back(op);
      region.layouts[op->getResult(0)] = *out;
      continue;
    }
    // The op needs whole values: partial sums are all-reduced, split values all-gathered
    // if they are graph outputs.
    for (Value v : op->getOperands()) {
      Layout l = layout(v);
      if (l.kind == Layout::Partial && !llvm::is_contained(region.reduces, v)) {
        region.reduces.push_back(v);
        region.commBytes += bytesOf(v);
      } else if (l.isSplit()) {
        if (!isa<func::ReturnOp>(op) || l.blocks != 1) {
          reason = "'" + nodeName(op) + "' needs the whole of a split tensor";
          return failure();
        }
        if (!llvm::is_contained(region.gathers, v)) {
          region.gathers.push_back(v);
          region.commBytes += bytesOf(v);
        }
      }
    }
  }
  return std::move(region);
}

/// Rewrites @main for one rank, region by region.
class Rewriter {
public:
  Rewriter(ModuleOp module, int64_t tp, int64_t rank)
      : module(module), b(module.getContext()), tp(tp), rank(rank) {}

  void apply(SplitRegion &region, TensorParallelPlan &plan);
  /// Erases the parameters and constants that every cut left unused.
  void finish();

private:
  Value cutValue(Value v, int64_t dim, int64_t blocks, Operation *user);
  void rewriteVocabLookup(onnxir::GatherOp gather);
  Value constant(Location loc, Type element, double value);

  ModuleOp module;
  OpBuilder b;
  int64_t tp, rank;
  std::map<std::tuple<void *, int64_t, int64_t>, Value> cutCache;
  llvm::DenseMap<Value, Value> lookupResults; ///< vocabulary lookup -> its masked result
  llvm::SetVector<Operation *> cutSources;
};

void Rewriter::finish() {
  for (Operation *op : cutSources)
    if (op->use_empty())
      op->erase();
}

Value Rewriter::cutValue(Value v, int64_t dim, int64_t blocks, Operation *user) {
  auto key = std::tuple(v.getAsOpaquePointer(), dim, blocks);
  if (auto it = cutCache.find(key); it != cutCache.end())
    return it->second;
  Value result;
  if (ElementsAttr data = constantData(v)) {
    Operation *def = v.getDefiningOp();
    b.setInsertionPoint(def);
    ElementsAttr sliced = sliceData(data, dim, blocks, tp, rank);
    if (auto param = dyn_cast<onnxir::ParameterOp>(def))
      result = onnxir::ParameterOp::create(b, def->getLoc(), sliced.getType(), param.getName(),
                                           sliced);
    else
      result = onnxir::ConstantOp::create(b, def->getLoc(), sliced.getType(), sliced);
  } else {
    b.setInsertionPoint(user);
    SmallVector<int64_t> starts(rankOf(v), 0), steps(rankOf(v), 1);
    starts[dim] = rank * dimOf(v, dim) / tp;
    result = onnxir::SliceOp::create(b, user->getLoc(), narrow(tensorType(v), dim, tp), v,
                                     starts, steps);
  }
  cutCache[key] = result;
  return result;
}

Value Rewriter::constant(Location loc, Type element, double value) {
  auto type = RankedTensorType::get({}, element);
  Attribute scalar = isa<FloatType>(element)
                         ? Attribute(b.getFloatAttr(element, value))
                         : Attribute(b.getIntegerAttr(element, static_cast<int64_t>(value)));
  return onnxir::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, scalar));
}

/// A lookup in this rank's rows [lo, lo + rows) of the table: other ids read row 0 and
/// are zeroed, so that the all-reduce of the ranks' results is the full lookup.
void Rewriter::rewriteVocabLookup(onnxir::GatherOp gather) {
  Location loc = gather.getLoc();
  Value ids = gather.getIndices();
  RankedTensorType idsType = tensorType(ids);
  Type idType = idsType.getElementType();
  auto mask = idsType.clone(b.getI1Type());
  int64_t rows = dimOf(gather.getData(), 0), vocab = rows * tp;
  b.setInsertionPoint(gather);
  Value zero = constant(loc, idType, 0);
  // ONNX counts negative ids from the end of the table.
  Value negative = onnxir::LessOp::create(b, loc, mask, ids, zero);
  Value wrapped = onnxir::AddOp::create(b, loc, idsType, ids, constant(loc, idType, vocab));
  Value id = onnxir::WhereOp::create(b, loc, idsType, negative, wrapped, ids);
  Value local = onnxir::SubOp::create(b, loc, idsType, id, constant(loc, idType, rank * rows));
  Value above = onnxir::GreaterOrEqualOp::create(b, loc, mask, local, zero);
  Value below = onnxir::LessOp::create(b, loc, mask, local, constant(loc, idType, rows));
  Value mine = onnxir::AndOp::create(b, loc, mask, above, below);
  Value row = onnxir::WhereOp::create(b, loc, idsType, mine, local, zero);
  gather.getIndicesMutable().assign(row);
  b.setInsertionPointAfter(gather);
  RankedTensorType resultType = tensorType(gather.getResult());
  SmallVector<int64_t> maskShape(idsType.getShape());
  maskShape.append(rankOf(gather.getData()) - 1, 1);
  Value expanded = onnxir::ReshapeOp::create(b, loc, mask.clone(maskShape), mine);
  Value zeros = constant(loc, resultType.getElementType(), 0);
  auto select = onnxir::WhereOp::create(b, loc, resultType, expanded, gather.getResult(), zeros);
  gather.getResult().replaceAllUsesExcept(select.getResult(), select);
  lookupResults[gather.getResult()] = select.getResult();
}

void Rewriter::apply(SplitRegion &region, TensorParallelPlan &plan) {
  for (auto &[op, how] : region.splits) {
    unsigned weight = isa<onnxir::GatherOp>(op) ? 0 : 1;
    plan.splits.push_back({nodeName(op), how, parameterName(op->getOperand(weight))});
  }
  for (const OperandCut &c : region.cuts) {
    Value original = c.op->getOperand(c.index);
    c.op->setOperand(c.index, cutValue(original, c.dim, c.blocks, c.op));
    if (Operation *def = original.getDefiningOp();
        def && isa<onnxir::ParameterOp, onnxir::ConstantOp>(def))
      cutSources.insert(def);
  }
  for (auto &[op, starts] : region.sliceStarts)
    cast<onnxir::SliceOp>(op).setStarts(starts);
  if (rank != 0)
    for (Operation *op : region.biasOnRankZero) {
      Value bias = op->getOperand(2);
      if (auto gemm = dyn_cast<onnxir::GemmOp>(op))
        gemm.getCMutable().clear();
      else
        cast<onnxir::ConvOp>(op).getBiasMutable().clear();
      if (Operation *def = bias.getDefiningOp();
          def && isa<onnxir::ParameterOp, onnxir::ConstantOp>(def))
        cutSources.insert(def);
    }
  for (Operation *op : region.vocabLookups)
    rewriteVocabLookup(cast<onnxir::GatherOp>(op));
  for (Operation *op : region.ops) {
    Layout l = region.layouts.lookup(op->getResult(0));
    if (l.isSplit())
      op->getResult(0).setType(narrow(tensorType(op->getResult(0)), l.dim, tp));
  }
  for (Value partial : region.reduces) {
    if (Value masked = lookupResults.lookup(partial))
      partial = masked;
    Operation *def = partial.getDefiningOp();
    Location loc = def->getLoc();
    b.setInsertionPointAfter(def);
    RankedTensorType type = tensorType(partial);
    Value init = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
    auto reduce = plan::AllReduceOp::create(b, loc, TypeRange{type}, partial, init);
    partial.replaceAllUsesExcept(reduce.getResult()[0], reduce);
    plan.collectives.push_back({CLEAVE_COLLECTIVE_ALL_REDUCE_SUM, nodeName(def),
                                tensorType(partial).getNumElements(), bytesOf(partial)});
  }
  for (Value split : region.gathers) {
    Layout l = region.layouts.lookup(split);
    RankedTensorType local = tensorType(split);
    SmallVector<int64_t> stacked{tp};
    llvm::append_range(stacked, local.getShape());
    Operation *def = split.getDefiningOp();
    Location loc = def->getLoc();
    b.setInsertionPointAfter(def);
    Value init = tensor::EmptyOp::create(b, loc, stacked, local.getElementType());
    auto gather = plan::AllGatherOp::create(b, loc, TypeRange{local.clone(stacked)}, split, init);
    // [tp, d0 .. dn] -> [d0 .. tp, d_dim .. dn] -> the full tensor.
    SmallVector<int64_t> perm, shape;
    for (int64_t i = 0; i <= local.getRank(); ++i) {
      int64_t from = i < l.dim ? i + 1 : i == l.dim ? 0 : i;
      perm.push_back(from);
      shape.push_back(stacked[from]);
    }
    Value moved = onnxir::TransposeOp::create(b, loc, local.clone(shape), gather.getResult()[0],
                                              b.getDenseI64ArrayAttr(perm));
    RankedTensorType full = narrow(local, l.dim, 1);
    SmallVector<int64_t> fullShape(local.getShape());
    fullShape[l.dim] *= tp;
    Value whole = onnxir::ReshapeOp::create(b, loc, full.clone(fullShape), moved);
    split.replaceUsesWithIf(whole, [](OpOperand &use) {
      return isa<func::ReturnOp>(use.getOwner());
    });
    plan.collectives.push_back({CLEAVE_COLLECTIVE_ALL_GATHER, nodeName(def),
                                tensorType(whole).getNumElements(), bytesOf(whole)});
  }
}

/// Ops with a parameter weight, where splits start (and which are reported if replicated).
bool hasWeight(Operation *op) {
  Value weight;
  if (auto matmul = dyn_cast<onnxir::MatMulOp>(op))
    weight = matmul.getRhs();
  else if (auto gemm = dyn_cast<onnxir::GemmOp>(op))
    weight = gemm.getB();
  else if (auto conv = dyn_cast<onnxir::ConvOp>(op))
    weight = conv.getWeight();
  else if (auto gather = dyn_cast<onnxir::GatherOp>(op))
    weight = gather.getData();
  return weight && weight.getDefiningOp<onnxir::ParameterOp>();
}

} // namespace

FailureOr<TensorParallelPlan> cleave::applyTensorParallel(ModuleOp module, int64_t tp,
                                                          int64_t rank) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getBody().getBlocks().size() != 1)
    return module.emitError("expects one function @main with one block"), failure();
  // The collectives the split inserts, and their destinations.
  module.getContext()->loadDialect<plan::CleaveDialect, tensor::TensorDialect>();

  // Every candidate region on the unsplit graph, then the cheapest collectives first, each
  // op in one region at most.
  Simulator simulator(tp);
  std::vector<SplitRegion> candidates;
  std::string firstReason;
  for (Operation &op : main.getBody().front()) {
    if (!hasWeight(&op))
      continue;
    simulator.wantedBlocks.clear();
    std::string reason;
    FailureOr<SplitRegion> region = simulator.run(&op, 1, reason);
    for (int64_t blocks : SmallVector<int64_t>(simulator.wantedBlocks)) {
      if (succeeded(region))
        break;
      region = simulator.run(&op, blocks, reason);
    }
    if (succeeded(region))
      candidates.push_back(std::move(*region));
    else if (firstReason.empty())
      firstReason = "'" + nodeName(&op) + "': " + reason;
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const SplitRegion &a, const SplitRegion &b) {
    return a.commBytes < b.commBytes;
  });
  llvm::SmallPtrSet<Operation *, 32> taken;
  std::vector<SplitRegion *> chosen;
  for (SplitRegion &region : candidates) {
    if (llvm::any_of(region.ops, [&](Operation *op) { return taken.contains(op); }))
      continue;
    taken.insert(region.ops.begin(), region.ops.end());
    chosen.push_back(&region);
  }
  if (chosen.empty()) {
    TensorParallelPlan plan;
    plan.refusal = firstReason.empty()
                       ? std::string("no MatMul, Gemm, Conv or Gather has a parameter weight")
                       : "first candidate " + firstReason;
    return plan;
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](SplitRegion *a, SplitRegion *b) {
    return a->start->isBeforeInBlock(b->start);
  });

  TensorParallelPlan plan;
  auto parameterBytes = [&] {
    int64_t total = 0;
    main.walk([&](onnxir::ParameterOp param) { total += bytesOf(param.getResult()); });
    return total;
  };
  plan.parameterBytes = parameterBytes();
  for (Operation &op : main.getBody().front())
    if (hasWeight(&op) && !taken.contains(&op))
      plan.replicated.push_back(nodeName(&op));
  Rewriter rewriter(module, tp, rank);
  for (SplitRegion *region : chosen)
    rewriter.apply(*region, plan);
  rewriter.finish();
  plan.rankParameterBytes = parameterBytes();
  OpBuilder b(module.getContext());
  main.walk([&](onnxir::ParameterOp param) {
    param.setNameAttr(b.getStringAttr(param.getName() + ".rank" + llvm::Twine(rank)));
  });
  return plan;
}

void cleave::printTensorParallelPlan(const TensorParallelPlan &plan, int64_t tp,
                                     llvm::raw_ostream &os, llvm::StringRef indent) {
  os << indent << "tensor-parallel group of " << tp << " ranks:";
  if (plan.splits.empty()) {
    os << " nothing split, every rank runs all of it (" << plan.refusal << ")\n";
    return;
  }
  os << "\n";
  for (const TensorParallelSplit &s : plan.splits)
    os << indent << "  split " << s.how << ": " << s.node << " (" << s.weight << ")\n";
  for (const TensorParallelCollective &c : plan.collectives)
    os << indent << "  " << c.kind << " after " << c.after << ": " << c.elements
       << " elements, " << c.bytes << " bytes\n";
  for (const std::string &node : plan.replicated)
    os << indent << "  replicated: " << node << "\n";
  os << indent
     << llvm::format("  parameters per rank: %lld of %lld bytes (%.2fx)\n",
                     static_cast<long long>(plan.rankParameterBytes),
                     static_cast<long long>(plan.parameterBytes),
                     plan.parameterBytes ? static_cast<double>(plan.rankParameterBytes) /
                                               plan.parameterBytes
                                         : 1.0);
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
    FailureOr<TensorParallelPlan> plan = applyTensorParallel(getOperation(), tp, rank);
    if (failed(plan))
      return signalPassFailure();
    if (plan->splits.empty()) {
      getOperation().lookupSymbol<func::FuncOp>("main").emitError(plan->refusalMessage(tp));
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    Builder b(context);
    SmallVector<Attribute> splits, collectives;
    for (const TensorParallelSplit &s : plan->splits)
      splits.push_back(plan::SplitAttr::get(context, b.getStringAttr(s.node),
                                            b.getStringAttr(s.how), b.getStringAttr(s.weight)));
    for (const TensorParallelCollective &c : plan->collectives)
      collectives.push_back(plan::CollectiveAttr::get(context, b.getStringAttr(c.kind),
                                                      b.getStringAttr(c.after), c.elements));
    getOperation()->setAttr(plan::CleaveDialect::kTensorParallelAttr, b.getArrayAttr(splits));
    getOperation()->setAttr(plan::CleaveDialect::kCollectivesAttr,
                            b.getArrayAttr(collectives));
  }
};

} // namespace
