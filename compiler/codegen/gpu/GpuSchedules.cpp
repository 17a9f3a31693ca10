// GPU code generation: kernel schedules for contractions (shared-memory tiles, with their
// neighbouring elementwise ops), reductions (a block of threads per output) and everything
// else (a thread per output element), emitted for the GPU or serially for the host.
#include "compiler/Passes.h"
#include "compiler/codegen/BufferUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_GPUSCHEDULESPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// Grid dimensions y and z are limited to 65535 blocks on both vendors; x to 2^31 - 1.
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxGridX = std::numeric_limits<int32_t>::max();

/// Emits one kernel: on the GPU a gpu.launch whose work items are spread over the threads
/// of a block with a barrier after each step; serially (for testing on the host) loops over
/// the blocks and, inside, over each step's work items in order. The schedules are written
/// once against this class, so the serial form executes exactly their tiling, indexing,
/// guards and reduction trees. Kernels keep everything that crosses a step in shared or
/// private buffers, never in SSA values, which is what makes the two forms equivalent: one
/// step's items never read what another item of the same step writes.
class KernelEmitter {
public:
  KernelEmitter(OpBuilder &b, Location loc, bool serial, int64_t threads)
      : b(b), loc(loc), serial(serial), threads(threads) {}

  /// Opens a kernel of `grid` (x, y, z) blocks with `shared` workgroup buffers and
  /// `privates` per-thread buffers; returns the block ids (x, y, z) and sets `buffers` (the
  /// shared ones, then the private ones; index private ones through `at`).
  SmallVector<Value> open(ArrayRef<int64_t> grid, ArrayRef<MemRefType> shared,
                          ArrayRef<MemRefType> privates, SmallVectorImpl<Value> &buffers) {
    if (!serial) {
      auto inSpace = [&](MemRefType type, gpu::AddressSpace space) -> Type {
        return MemRefType::get(type.getShape(), type.getElementType(),
                               MemRefLayoutAttrInterface(),
                               gpu::AddressSpaceAttr::get(b.getContext(), space));
      };
      SmallVector<Type> workgroup, thread;
      for (MemRefType type : shared)
        workgroup.push_back(inSpace(type, gpu::AddressSpace::Workgroup));
      for (MemRefType type : privates)
        thread.push_back(inSpace(type, gpu::AddressSpace::Private));
      auto launch = gpu::LaunchOp::create(b, loc, index(grid[0]), index(grid[1]),
                                          index(grid[2]), index(threads), index(1), index(1),
                                          nullptr, nullptr, {}, workgroup, thread);
      Block &body = launch.getBody().front();
      b.setInsertionPointToStart(&body);
      gpu::TerminatorOp::create(b, loc);
      b.setInsertionPointToStart(&body);
      llvm::append_range(buffers, launch.getWorkgroupAttributions());
      llvm::append_range(buffers, launch.getPrivateAttributions());
      gpu::KernelDim3 blockIds = launch.getBlockIds();
      threadId = launch.getThreadIds().x;
      return {blockIds.x, blockIds.y, blockIds.z};
    }
    // Buffers are allocated once, before the block loops: every schedule writes an element
    // before it reads it. A private buffer gets a leading dim over the threads.
    for (MemRefType type : shared)
      buffers.push_back(memref::AllocaOp::create(b, loc, type));
    for (MemRefType type : privates) {
      SmallVector<int64_t> shape{threads};
      llvm::append_range(shape, type.getShape());
      buffers.push_back(
          memref::AllocaOp::create(b, loc, MemRefType::get(shape, type.getElementType())));
    }
    SmallVector<Value> ids;
    for (int64_t extent : grid) {
      if (extent == 1) {
        ids.push_back(index(0));
        continue;
      }
      auto loop = scf::ForOp::create(b, loc, index(0), index(extent), index(1));
      b.setInsertionPointToStart(loop.getBody());
      ids.push_back(loop.getInductionVar());
    }
    return ids;
  }

  /// One step: `fn(i)` for every i in [0, count), spread over the threads, then (on the
  /// GPU, unless `sync` is false) a barrier.
  void step(int64_t count, function_ref<void(Value)> fn, bool sync = true) {
    OpBuilder::InsertionGuard guard(b);
    Value lower = serial ? index(0) : threadId;
    Value stride = serial ? index(1) : index(threads);
    auto loop = scf::ForOp::create(b, loc, lower, index(count), stride);
    b.setInsertionPointToStart(loop.getBody());
    fn(loop.getInductionVar());
    b.setInsertionPointAfter(loop);
    if (!serial && sync)
      gpu::BarrierOp::create(b, loc);
  }

  /// A step of one work item per thread, `fn(t)` with t the thread: the only steps that
  /// may touch private buffers.
  void stepPerThread(function_ref<void(Value)> fn, bool sync = true) {
    step(threads, fn, sync);
  }

  /// The indices of element `indices` of thread `t`'s part of a private buffer.
  SmallVector<Value> at(Value t, ArrayRef<int64_t> indices) {
    SmallVector<Value> out;
    if (serial)
      out.push_back(t);
    for (int64_t i : indices)
      out.push_back(index(i));
    return out;
  }

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

private:
  OpBuilder &b;
  Location loc;
  bool serial;
  int64_t threads;
  Value threadId;
};

/// Splits the linear index `linear` over `sizes` (row-major, the last fastest).
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<int64_t> sizes) {
  SmallVector<Value> parts(sizes.size());
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    if (i == 0) {
      parts[i] = linear;
      break;
    }
    Value size = arith::ConstantIndexOp::create(b, loc, sizes[i]);
    parts[i] = arith::RemUIOp::create(b, loc, linear, size);
    linear = arith::DivUIOp::create(b, loc, linear, size);
  }
  return parts;
}

/// The operand indices that `map` gives at the loop indices `dims`.
SmallVector<Value> mapIndices(OpBuilder &b, Location loc, AffineMap map, ValueRange dims) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(dims[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), dims));
  }
  return indices;
}

/// The number of points of a box of `sizes`.
int64_t productOf(ArrayRef<int64_t> sizes) {
  int64_t n = 1;
  for (int64_t s : sizes)
    n *= s;
  return n;
}

/// Whether any result of `map` depends on loop dim `dim`.
bool usesDim(AffineMap map, unsigned dim) {
  return llvm::any_of(map.getResults(),
                      [&](AffineExpr e) { return e.isFunctionOfDim(dim); });
}

/// A statically shaped op on buffers (no zero-size dims) whose region has an argument per
/// operand and whose outputs each map the parallel dims, all of them and nothing else, so
/// that each output element has one parallel index; sets `sizes`.
bool isStaticOnBuffers(linalg::LinalgOp op, SmallVectorImpl<int64_t> &sizes) {
  if (!op.hasPureBufferSemantics() ||
      op.getBlock()->getNumArguments() != op->getNumOperands())
    return false;
  sizes = op.getStaticLoopRanges();
  if (llvm::any_of(sizes, [](int64_t s) { return ShapedType::isDynamic(s) || s <= 0; }))
    return false;
  auto iterators = op.getIteratorTypesArray();
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap out = op.getMatchingIndexingMap(&init);
    if (!isa<MemRefType>(init.get().getType()) || !out.isProjectedPermutation())
      return false;
    for (unsigned d = 0; d < iterators.size(); ++d)
      if (usesDim(out, d) != (iterators[d] == utils::IteratorType::parallel))
        return false;
  }
  return true;
}

/// One f32 output and no linalg.index: what the contraction and reduction schedules take.
bool isSingleF32Output(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.hasIndexSemantics())
    return false;
  auto type = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  return type.getElementType().isF32();
}

// ---------------------------------------------------------------------------------------
// Contractions: out[batch, m, n] += A[batch, m, k] * B[batch, k, n], for any op whose body
// is a multiply-add and whose loop dims group that way (matmuls, batched matmuls, 2-D
// convolutions, whose input window is the A operand).
// ---------------------------------------------------------------------------------------

/// The loop dims of a contraction by role: used by both inputs and the output (batch), by
/// the first input and the output (m), by the second input and the output (n), reduced (k).
struct Contraction {
  SmallVector<unsigned> batch, m, n, k;
};

/// The roles of `op`'s loop dims if its body is `out + a * b` in f32 and both m and n are
/// non-empty.
std::optional<Contraction> matchContraction(linalg::LinalgOp op, ArrayRef<int64_t> sizes) {
  if (op.getNumDpsInputs() != 2 || op.getNumReductionLoops() == 0)
    return std::nullopt;
  Block *body = op.getBlock();
  if (body->getOperations().size() != 3)
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  BlockArgument acc = body->getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() != acc && add.getRhs() != acc) || product == acc)
    return std::nullopt;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return std::nullopt;
  Value a = body->getArgument(0), b = body->getArgument(1);
  if (!((mul.getLhs() == a && mul.getRhs() == b) || (mul.getLhs() == b && mul.getRhs() == a)))
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type || !type.getElementType().isF32())
      return std::nullopt;
  }

  Contraction c;
  AffineMap mapA = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap mapB = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  auto iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < sizes.size(); ++d) {
    bool inA = usesDim(mapA, d), inB = usesDim(mapB, d);
    if (iterators[d] == utils::IteratorType::reduction) {
      if (!inA && !inB)
        return std::nullopt;
      c.k.push_back(d);
    } else if (inA && !inB) {
      c.m.push_back(d);
    } else if (inB && !inA) {
      c.n.push_back(d);
    } else {
      c.batch.push_back(d);
    }
  }
  if (c.m.empty() || c.n.empty())
    return std::nullopt;
  return c;
}

/// Splits `op`'s loop dims into its parallel and its reduction dims.
void splitDims(linalg::LinalgOp op, SmallVectorImpl<unsigned> &parallel,
               SmallVectorImpl<unsigned> &reduced) {
  for (auto [d, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    (iterator == utils::IteratorType::parallel ? parallel : reduced).push_back(d);
}

/// The sizes of loop dims `dims`.
SmallVector<int64_t> sizesOf(ArrayRef<unsigned> dims, ArrayRef<int64_t> sizes) {
  SmallVector<int64_t> out;
  for (unsigned d : dims)
    out.push_back(sizes[d]);
  return out;
}

/// `point` (loop indices, null where not set) with `dims` set from the linear index
/// `linear` over their sizes.
SmallVector<Value> withDims(OpBuilder &b, Location loc, ArrayRef<Value> point,
                            ArrayRef<unsigned> dims, Value linear, ArrayRef<int64_t> sizes) {
  SmallVector<Value> out(point);
  for (auto [d, v] : llvm::zip(dims, delinearize(b, loc, linear, sizesOf(dims, sizes))))
    out[d] = v;
  return out;
}

/// Clones `op`'s body at loop indices `point`: inputs loaded through their maps (scalar
/// operands used as they are), the block arguments in `bound` replaced by their values,
/// linalg.index by the point's indices. Returns the yielded values.
SmallVector<Value> cloneBodyAt(OpBuilder &b, Location loc, linalg::LinalgOp op,
                               ArrayRef<Value> point, const llvm::DenseMap<Value, Value> &bound) {
  Block *body = op.getBlock();
  IRMapping mapping;
  for (auto [arg, value] : bound)
    mapping.map(arg, value);
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = body->getArgument(input->getOperandNumber());
    if (arg.use_empty() || bound.count(arg))
      continue;
    if (!isa<ShapedType>(input->get().getType())) {
      mapping.map(arg, input->get()); // a scalar operand, such as a fill's value
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(input);
    mapping.map(arg, memref::LoadOp::create(b, loc, input->get(),
                                            mapIndices(b, loc, map, point)));
  }
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), point[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  return llvm::map_to_vector(cast<linalg::YieldOp>(body->getTerminator()).getValues(),
                             [&](Value v) { return mapping.lookupOrDefault(v); });
}

/// Whether all-parallel `op` touches each element of `operand` at exactly one point of its
/// iteration space: every result of the operand's map is a loop dim of the operand dim's
/// size (each dim once) or the constant 0 on a dim of size 1, and every loop dim of size
/// greater than 1 is among them.
bool isOneToOne(linalg::LinalgOp op, OpOperand *operand, ArrayRef<int64_t> loopSizes) {
  auto type = dyn_cast<MemRefType>(operand->get().getType());
  if (!type || !type.hasStaticShape() || productOf(type.getShape()) != productOf(loopSizes))
    return false;
  AffineMap map = op.getMatchingIndexingMap(operand);
  llvm::SmallDenseSet<unsigned> seen;
  for (auto [expr, size] : llvm::zip(map.getResults(), type.getShape())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      if (loopSizes[dim.getPosition()] != size || !seen.insert(dim.getPosition()).second)
        return false;
      continue;
    }
    auto constant = dyn_cast<AffineConstantExpr>(expr);
    if (!constant || constant.getValue() != 0 || size != 1)
      return false;
  }
  for (auto [d, size] : llvm::enumerate(loopSizes))
    if (size > 1 && !seen.count(d))
      return false;
  return true;
}

/// The point at which `op` touches element `indices` of `operand` (isOneToOne).
SmallVector<Value> pointOfElement(OpBuilder &b, Location loc, linalg::LinalgOp op,
                                  OpOperand *operand, ValueRange indices) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> point(op.getNumLoops(), zero);
  for (auto [expr, index] : llvm::zip(op.getMatchingIndexingMap(operand).getResults(), indices))
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      point[dim.getPosition()] = index;
  return point;
}

/// Tiles of TM x TN outputs per block of 16x16 threads, each thread owning a micro-tile of
/// (TM/16) x (TN/16) outputs strided by 16 (so that neighbouring threads touch neighbouring
/// shared-memory words); the k dims advance TK at a time through shared-memory copies of
/// the A and B tiles. A thread's accumulators are a private buffer indexed by constants,
/// which LLVM keeps in registers.
constexpr int64_t kTileK = 16;       ///< k elements per shared-memory step
constexpr int64_t kThreadsSide = 16; ///< a block is kThreadsSide^2 threads

/// The output tile side of a contraction: 64 where there are enough 64x64 tiles to fill a
/// large GPU, 32 otherwise; 0 if the grid would pass its limits.
int64_t contractionTile(const Contraction &c, ArrayRef<int64_t> sizes) {
  int64_t M = productOf(sizesOf(c.m, sizes)), N = productOf(sizesOf(c.n, sizes));
  int64_t B = productOf(sizesOf(c.batch, sizes));
  int64_t tile = (M + 63) / 64 * ((N + 63) / 64) * B >= 128 ? 64 : 32;
  if ((N + tile - 1) / tile > kMaxGridX || (M + tile - 1) / tile > kMaxGridYZ ||
      B > kMaxGridYZ)
    return 0;
  return tile;
}

/// Ops fused into a contraction's kernel: the op that writes its output buffer right
/// before it (a fill, a broadcast bias: computed per element instead of loaded) and the
/// elementwise op right after it that reads the result (bias, activation, residual: applied
/// before the store), with the operand through which it reads it. Null where none.
struct ContractionFusion {
  linalg::LinalgOp producer, consumer;
  OpOperand *read = nullptr;
};

/// An all-parallel op on buffers with one output, each element of which it writes once
/// from its inputs alone (the output argument unused); sets `sizes`.
bool isPointwiseWrite(linalg::LinalgOp op, SmallVectorImpl<int64_t> &sizes) {
  return isStaticOnBuffers(op, sizes) && op.getNumDpsInits() == 1 &&
         op.getNumReductionLoops() == 0 &&
         op.getBlock()->getArgument(op.getDpsInitOperand(0)->getOperandNumber()).use_empty() &&
         isOneToOne(op, op.getDpsInitOperand(0), sizes);
}

/// What the kernel of contraction `op` can take in (see ContractionFusion). The producer
/// must write exactly the contraction's output buffer and read none of it. The consumer
/// must read that buffer once, element for element, write either it (at the element read)
/// or a buffer that no input of the kernel is a view of; when it writes elsewhere, the
/// contraction's buffer must be a temporary nothing else uses.
ContractionFusion fusionFor(linalg::LinalgOp op) {
  ContractionFusion fusion;
  Value buffer = op.getDpsInitOperand(0)->get();
  SmallVector<int64_t> sizes;
  auto producer = dyn_cast_or_null<linalg::LinalgOp>(op->getPrevNode());
  if (producer && isPointwiseWrite(producer, sizes) &&
      producer.getDpsInitOperand(0)->get() == buffer &&
      llvm::none_of(producer.getDpsInputOperands(),
                    [&](OpOperand *in) { return rootBuffer(in->get()) == rootBuffer(buffer); }))
    fusion.producer = producer;

  auto consumer = dyn_cast_or_null<linalg::LinalgOp>(op->getNextNode());
  if (!consumer || !isPointwiseWrite(consumer, sizes))
    return fusion;
  Value out = consumer.getDpsInitOperand(0)->get();
  // The buffers the kernel reads besides the result: written to, they would change under
  // the blocks still reading them.
  SmallVector<Value> read;
  for (OpOperand *in : op.getDpsInputOperands())
    read.push_back(rootBuffer(in->get()));
  if (fusion.producer)
    for (OpOperand *in : fusion.producer.getDpsInputOperands())
      read.push_back(rootBuffer(in->get()));
  for (OpOperand *in : consumer.getDpsInputOperands()) {
    if (!isa<ShapedType>(in->get().getType()))
      continue;
    if (in->get() == buffer && !fusion.read) {
      fusion.read = in;
      continue;
    }
    if (rootBuffer(in->get()) == rootBuffer(buffer) || rootBuffer(in->get()) == rootBuffer(out))
      return fusion;
    read.push_back(rootBuffer(in->get()));
  }
  if (!fusion.read || !isOneToOne(consumer, fusion.read, sizes) ||
      llvm::is_contained(read, rootBuffer(out)))
    return fusion;
  if (out == buffer) {
    if (consumer.getMatchingIndexingMap(fusion.read) !=
        consumer.getMatchingIndexingMap(consumer.getDpsInitOperand(0)))
      return fusion;
  } else if (rootBuffer(out) == rootBuffer(buffer) || !buffer.getDefiningOp<memref::AllocOp>() ||
             llvm::any_of(buffer.getUsers(), [&](Operation *user) {
               return user != op && user != consumer && user != fusion.producer &&
                      !isa<memref::DeallocOp>(user);
             })) {
    return fusion;
  }
  fusion.consumer = consumer;
  return fusion;
}

/// Emits contraction `op` as a shared-memory tiled kernel before it, with `fusion`'s ops
/// computed in its epilogue (the caller erases them). `contractionTile` must be non-zero.
void scheduleContraction(OpBuilder &b, linalg::LinalgOp op, const Contraction &c,
                         ArrayRef<int64_t> sizes, const ContractionFusion &fusion,
                         bool serial) {
  int64_t M = productOf(sizesOf(c.m, sizes)), N = productOf(sizesOf(c.n, sizes));
  int64_t K = productOf(sizesOf(c.k, sizes)), B = productOf(sizesOf(c.batch, sizes));
  int64_t tile = contractionTile(c, sizes);
  int64_t micro = tile / kThreadsSide;
  int64_t gridX = (N + tile - 1) / tile, gridY = (M + tile - 1) / tile;

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Type f32 = b.getF32Type();
  KernelEmitter kernel(b, loc, serial, kThreadsSide * kThreadsSide);
  SmallVector<Value> shared;
  SmallVector<Value> ids = kernel.open(
      {gridX, gridY, B},
      {MemRefType::get({tile, kTileK}, f32), MemRefType::get({kTileK, tile}, f32)},
      {MemRefType::get({micro, micro}, f32)}, shared);
  Value tileA = shared[0], tileB = shared[1], accumulators = shared[2];
  Value m0 = arith::MulIOp::create(b, loc, ids[1], kernel.index(tile));
  Value n0 = arith::MulIOp::create(b, loc, ids[0], kernel.index(tile));
  SmallVector<Value> batchIdx = delinearize(b, loc, ids[2], sizesOf(c.batch, sizes));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));

  Value operandA = op.getDpsInputOperand(0)->get();
  Value operandB = op.getDpsInputOperand(1)->get();
  Value output = op.getDpsInitOperand(0)->get();
  AffineMap mapA = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap mapB = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap mapOut = op.getMatchingIndexingMap(op.getDpsInitOperand(0));

  // The loop indices of a point (m, n, k) of the tile, linear within each group; dims of a
  // group an operand does not use are left at 0.
  auto loopIndices = [&](Value m, Value n, Value k) {
    SmallVector<Value> dims(sizes.size(), kernel.index(0));
    auto scatter = [&](ArrayRef<unsigned> group, Value linear) {
      if (!linear)
        return;
      SmallVector<Value> parts = delinearize(b, loc, linear, sizesOf(group, sizes));
      for (auto [d, v] : llvm::zip(group, parts))
        dims[d] = v;
    };
    for (auto [d, v] : llvm::zip(c.batch, batchIdx))
      dims[d] = v;
    scatter(c.m, m);
    scatter(c.n, n);
    scatter(c.k, k);
    return dims;
  };
  auto inBounds = [&](Value v, int64_t bound) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, v, kernel.index(bound));
  };
  // The rows and columns of thread t's micro-tile within the block's tile.
  auto microTile = [&](Value t, SmallVectorImpl<Value> &rows, SmallVectorImpl<Value> &cols) {
    SmallVector<Value> yx = delinearize(b, loc, t, {kThreadsSide, kThreadsSide});
    for (int64_t r = 0; r < micro; ++r) {
      rows.push_back(arith::AddIOp::create(b, loc, yx[0], kernel.index(r * kThreadsSide)));
      cols.push_back(arith::AddIOp::create(b, loc, yx[1], kernel.index(r * kThreadsSide)));
    }
  };

  kernel.stepPerThread([&](Value t) {
    for (int64_t r = 0; r < micro; ++r)
      for (int64_t q = 0; q < micro; ++q)
        memref::StoreOp::create(b, loc, zero, accumulators, kernel.at(t, {r, q}));
  }, /*sync=*/false);

  auto kLoop = scf::ForOp::create(b, loc, kernel.index(0), kernel.index(K),
                                  kernel.index(kTileK));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(kLoop.getBody());
    Value k0 = kLoop.getInductionVar();
    // Copies a rows x cols tile starting at (row0, col0) of the operand's linearised
    // dims into `buffer`, zeros outside the operand.
    auto copyTile = [&](Value operand, AffineMap map, Value buffer, int64_t rows,
                        int64_t cols, Value row0, int64_t rowBound, Value col0,
                        int64_t colBound, function_ref<SmallVector<Value>(Value, Value)> at,
                        bool sync) {
      kernel.step(rows * cols, [&](Value e) {
        SmallVector<Value> rc = delinearize(b, loc, e, {rows, cols});
        Value row = arith::AddIOp::create(b, loc, row0, rc[0]);
        Value col = arith::AddIOp::create(b, loc, col0, rc[1]);
        Value cond = arith::AndIOp::create(b, loc, inBounds(row, rowBound),
                                           inBounds(col, colBound));
        auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32}, cond, /*withElse=*/true);
        {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPointToStart(&ifOp.getThenRegion().front());
          scf::YieldOp::create(b, loc,
                               memref::LoadOp::create(b, loc, operand,
                                                      mapIndices(b, loc, map, at(row, col)))
                                   .getResult());
          b.setInsertionPointToStart(&ifOp.getElseRegion().front());
          scf::YieldOp::create(b, loc, zero);
        }
        memref::StoreOp::create(b, loc, ifOp.getResult(0), buffer, rc);
      }, sync);
    };
    // Both tiles in one step: the copies are independent, one barrier follows them.
    copyTile(operandA, mapA, tileA, tile, kTileK, m0, M, k0, K,
             [&](Value m, Value k) { return loopIndices(m, nullptr, k); }, /*sync=*/false);
    copyTile(operandB, mapB, tileB, kTileK, tile, k0, K, n0, N,
             [&](Value k, Value n) { return loopIndices(nullptr, n, k); }, /*sync=*/true);
    // Each thread's micro-tile: TK products of a column of A's tile by a row of B's.
    kernel.stepPerThread([&](Value t) {
      SmallVector<Value> rows, cols, init;
      microTile(t, rows, cols);
      for (int64_t r = 0; r < micro; ++r)
        for (int64_t q = 0; q < micro; ++q)
          init.push_back(
              memref::LoadOp::create(b, loc, accumulators, kernel.at(t, {r, q})));
      auto kk = scf::ForOp::create(b, loc, kernel.index(0), kernel.index(kTileK),
                                   kernel.index(1), init);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(kk.getBody());
        Value i = kk.getInductionVar();
        SmallVector<Value> as, bs, next;
        for (Value row : rows)
          as.push_back(memref::LoadOp::create(b, loc, tileA, ValueRange{row, i}));
        for (Value col : cols)
          bs.push_back(memref::LoadOp::create(b, loc, tileB, ValueRange{i, col}));
        for (int64_t r = 0; r < micro; ++r)
          for (int64_t q = 0; q < micro; ++q) {
            Value prod = arith::MulFOp::create(b, loc, as[r], bs[q]);
            next.push_back(arith::AddFOp::create(b, loc, kk.getRegionIterArgs()[r * micro + q],
                                                 prod));
          }
        scf::YieldOp::create(b, loc, next);
      }
      for (int64_t r = 0; r < micro; ++r)
        for (int64_t q = 0; q < micro; ++q)
          memref::StoreOp::create(b, loc, kk.getResult(r * micro + q), accumulators,
                                  kernel.at(t, {r, q}));
    });
  }

  // Each thread adds its micro-tile to the output (the op accumulates into its initial
  // value).
  kernel.stepPerThread([&](Value t) {
    SmallVector<Value> rows, cols;
    microTile(t, rows, cols);
    for (int64_t r = 0; r < micro; ++r)
      for (int64_t q = 0; q < micro; ++q) {
        Value m = arith::AddIOp::create(b, loc, m0, rows[r]);
        Value n = arith::AddIOp::create(b, loc, n0, cols[q]);
        Value cond = arith::AndIOp::create(b, loc, inBounds(m, M), inBounds(n, N));
        auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        SmallVector<Value> indices = mapIndices(b, loc, mapOut, loopIndices(m, n, nullptr));
        Value init;
        if (linalg::LinalgOp producer = fusion.producer) {
          SmallVector<Value> point =
              pointOfElement(b, loc, producer, producer.getDpsInitOperand(0), indices);
          init = cloneBodyAt(b, loc, producer, point, {})[0];
        } else {
          init = memref::LoadOp::create(b, loc, output, indices);
        }
        Value acc = memref::LoadOp::create(b, loc, accumulators, kernel.at(t, {r, q}));
        Value value = arith::AddFOp::create(b, loc, init, acc);
        linalg::LinalgOp consumer = fusion.consumer;
        if (!consumer) {
          memref::StoreOp::create(b, loc, value, output, indices);
          continue;
        }
        OpOperand *written = consumer.getDpsInitOperand(0);
        SmallVector<Value> point = pointOfElement(b, loc, consumer, fusion.read, indices);
        llvm::DenseMap<Value, Value> bound{
            {consumer.getBlock()->getArgument(fusion.read->getOperandNumber()), value}};
        memref::StoreOp::create(
            b, loc, cloneBodyAt(b, loc, consumer, point, bound)[0], written->get(),
            mapIndices(b, loc, consumer.getMatchingIndexingMap(written), point));
      }
  }, /*sync=*/false);
}
// ---------------------------------------------------------------------------------------
// Reductions: out[p] = combine(x(p, r) for r) with an associative, commutative combine.
// ---------------------------------------------------------------------------------------

/// Reductions shorter than this keep one thread per output.
constexpr int64_t kMinCooperativeReduction = 32;
constexpr int64_t kMaxReductionThreads = 256;

/// A reduction body `combine(x, out)`: the combining op and its identity.
struct Reduction {
  Operation *combine = nullptr;
  TypedAttr identity;
};

/// The combining op of `op`'s body, if it is an op with an identity (add, mul, max, min)
/// of the output argument (used nowhere else) with a value computed by pure ops.
std::optional<Reduction> matchReduction(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Operation *combine = yield.getValues()[0].getDefiningOp();
  if (!combine || combine->getBlock() != body || combine->getNumOperands() != 2)
    return std::nullopt;
  // The output argument is one operand of combine, and only that (so x is the other).
  BlockArgument acc = body->getArguments().back();
  if (!acc.hasOneUse() || acc.getUses().begin()->getOwner() != combine)
    return std::nullopt;
  std::optional<TypedAttr> identity = arith::getNeutralElement(combine);
  if (!identity)
    return std::nullopt;
  // Everything else in the body computes x; it is cloned into the kernel.
  for (Operation &inner : body->without_terminator())
    if (&inner != combine && !isPure(&inner))
      return std::nullopt;
  return Reduction{combine, *identity};
}

/// Combines two partial results with the body's combining op.
Value combineWith(OpBuilder &b, Operation *combine, Value lhs, Value rhs) {
  OperationState state(combine->getLoc(), combine->getName());
  state.addOperands({lhs, rhs});
  state.addTypes(lhs.getType());
  state.addAttributes(combine->getAttrs());
  return b.create(state)->getResult(0);
}

/// Emits reduction `op` as a block of threads per output before it; fails (emitting
/// nothing) for fewer than kMinCooperativeReduction reduced elements or too many outputs.
LogicalResult scheduleReduction(OpBuilder &b, linalg::LinalgOp op, const Reduction &red,
                                ArrayRef<int64_t> sizes, bool serial) {
  SmallVector<unsigned> parallel, reduced;
  splitDims(op, parallel, reduced);
  int64_t P = productOf(sizesOf(parallel, sizes)), R = productOf(sizesOf(reduced, sizes));
  if (R < kMinCooperativeReduction || P > kMaxGridX)
    return failure();
  int64_t threads = kMaxReductionThreads;
  while (threads / 2 >= R && threads > 32)
    threads /= 2;

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Type f32 = b.getF32Type();
  KernelEmitter kernel(b, loc, serial, threads);
  SmallVector<Value> shared;
  SmallVector<Value> ids =
      kernel.open({P, 1, 1}, {MemRefType::get({threads}, f32)}, {}, shared);
  Value partials = shared[0];
  SmallVector<Value> dims =
      withDims(b, loc, SmallVector<Value>(sizes.size()), parallel, ids[0], sizes);

  // Each thread folds the elements t, t + threads, ... into one partial result: the
  // body, its output argument bound to the partial result so far.
  BlockArgument accumulated = op.getBlock()->getArguments().back();
  Value identity = arith::ConstantOp::create(b, loc, red.identity);
  kernel.stepPerThread([&](Value t) {
    auto loop = scf::ForOp::create(b, loc, t, kernel.index(R), kernel.index(threads),
                                   ValueRange{identity});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> point =
          withDims(b, loc, dims, reduced, loop.getInductionVar(), sizes);
      llvm::DenseMap<Value, Value> bound{{accumulated, loop.getRegionIterArgs()[0]}};
      scf::YieldOp::create(b, loc, cloneBodyAt(b, loc, op, point, bound));
    }
    memref::StoreOp::create(b, loc, loop.getResult(0), partials, ValueRange{t});
  });
  // A tree over the partial results, halving the active threads each step.
  for (int64_t half = threads / 2; half >= 1; half /= 2) {
    kernel.step(half, [&](Value i) {
      Value j = arith::AddIOp::create(b, loc, i, kernel.index(half));
      Value lhs = memref::LoadOp::create(b, loc, partials, ValueRange{i});
      Value rhs = memref::LoadOp::create(b, loc, partials, ValueRange{j});
      memref::StoreOp::create(b, loc, combineWith(b, red.combine, lhs, rhs), partials,
                              ValueRange{i});
    }, /*sync=*/half > 1);
  }
  Value output = op.getDpsInitOperand(0)->get();
  AffineMap mapOut = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  kernel.step(1, [&](Value) {
    for (unsigned d : reduced)
      dims[d] = kernel.index(0);
    SmallVector<Value> indices = mapIndices(b, loc, mapOut, dims);
    Value old = memref::LoadOp::create(b, loc, output, indices);
    Value total = memref::LoadOp::create(b, loc, partials, ValueRange{kernel.index(0)});
    memref::StoreOp::create(b, loc, combineWith(b, red.combine, total, old), output,
                            indices);
  }, /*sync=*/false);
  return success();
}

// ---------------------------------------------------------------------------------------
// Everything else: one thread per output element, the parallel dims linearised over blocks
// of 256 threads and the reduction dims (if any) a sequential loop in the thread.
// ---------------------------------------------------------------------------------------

constexpr int64_t kThreadsPerBlock = 256;

/// Emits `op` as one thread per output element; fails only past the grid's limit.
LogicalResult schedulePerElement(OpBuilder &b, linalg::LinalgOp op, ArrayRef<int64_t> sizes,
                                 bool serial) {
  SmallVector<unsigned> parallel, reduced;
  splitDims(op, parallel, reduced);
  int64_t P = productOf(sizesOf(parallel, sizes)), R = productOf(sizesOf(reduced, sizes));
  // Small ops get a block of as many warps as they need.
  int64_t threads = std::min(kThreadsPerBlock, (P + 31) / 32 * 32);
  int64_t grid = (P + threads - 1) / threads;
  if (grid > kMaxGridX)
    return failure();

  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  KernelEmitter kernel(b, loc, serial, threads);
  SmallVector<Value> buffers;
  SmallVector<Value> ids = kernel.open({grid, 1, 1}, {}, {}, buffers);
  Block *body = op.getBlock();
  // The body at a point, the output arguments bound to `outputs` (null where unused).
  auto evaluate = [&](ArrayRef<Value> point, ArrayRef<Value> outputs) {
    llvm::DenseMap<Value, Value> bound;
    for (auto [i, value] : llvm::enumerate(outputs))
      if (value)
        bound[body->getArgument(op.getNumDpsInputs() + i)] = value;
    return cloneBodyAt(b, loc, op, point, bound);
  };

  kernel.stepPerThread([&](Value t) {
    Value p = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, ids[0], kernel.index(threads)), t);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                         kernel.index(P));
    auto ifOp = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    SmallVector<Value> point = withDims(
        b, loc, SmallVector<Value>(sizes.size(), kernel.index(0)), parallel, p, sizes);
    SmallVector<SmallVector<Value>> outIndices;
    SmallVector<Value> outputs;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      outIndices.push_back(mapIndices(b, loc, op.getMatchingIndexingMap(&init), point));
      // A reduction starts from the output's value; otherwise load it only if the body
      // reads it.
      bool used =
          !reduced.empty() || !body->getArgument(init.getOperandNumber()).use_empty();
      outputs.push_back(used ? memref::LoadOp::create(b, loc, init.get(), outIndices.back())
                             : Value());
    }
    SmallVector<Value> results;
    if (reduced.empty()) {
      results = evaluate(point, outputs);
    } else {
      auto loop = scf::ForOp::create(b, loc, kernel.index(0), kernel.index(R),
                                     kernel.index(1), outputs);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> inner =
          withDims(b, loc, point, reduced, loop.getInductionVar(), sizes);
      SmallVector<Value> carried(loop.getRegionIterArgs());
      scf::YieldOp::create(b, loc, evaluate(inner, carried));
      results = loop.getResults();
    }
    for (auto [value, init, indices] :
         llvm::zip(results, op.getDpsInitsMutable(), outIndices))
      memref::StoreOp::create(b, loc, value, init.get(), indices);
  }, /*sync=*/false);
  return success();
}

struct GpuSchedulesPass : cleave::impl::GpuSchedulesPassBase<GpuSchedulesPass> {
  using GpuSchedulesPassBase::GpuSchedulesPassBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    // Contractions first: their kernels take in the ops around them, which must still be
    // linalg ops when they are looked at.
    llvm::DenseSet<Operation *> fused;
    OpBuilder b(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> sizes;
      if (fused.count(op) || !isStaticOnBuffers(op, sizes) || !isSingleF32Output(op) ||
          op.getNumReductionLoops() == 0)
        continue;
      std::optional<Contraction> c = matchContraction(op, sizes);
      if (!c || !contractionTile(*c, sizes))
        continue;
      ContractionFusion fusion = fusionFor(op);
      scheduleContraction(b, op, *c, sizes, fusion, serial);
      for (linalg::LinalgOp done : {fusion.producer, fusion.consumer, op})
        if (done) {
          fused.insert(done);
          done->erase();
        }
    }
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> sizes;
      if (fused.count(op) || !isStaticOnBuffers(op, sizes))
        continue;
      LogicalResult scheduled = failure();
      if (isSingleF32Output(op) && op.getNumReductionLoops() > 0)
        if (std::optional<Reduction> r = matchReduction(op))
          scheduled = scheduleReduction(b, op, *r, sizes, serial);
      if (failed(scheduled))
        scheduled = schedulePerElement(b, op, sizes, serial);
      if (succeeded(scheduled))
        op->erase();
    }
  }
};

} // namespace
