// CPU code generation: transform-dialect schedules for tiling and vectorisation.
#include "compiler/Passes.h"
#include "compiler/codegen/BufferUtils.h"
#include "dialects/Cleave/IR/CleaveOps.h"

#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZEPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

/// Register tiles: 8x32 f32 accumulators = 16 AVX-512 registers, leaving room for operands.
/// Cache tiles: a 256x128 block of B stays in L2 while 64 rows of A stream past it.
/// Every tile size divides its dimension, so tiles are static and vectorise without masks
/// (masked partial tiles hit upstream limitations); dims no candidate divides are not tiled
/// at that level, and ops that cannot be register-tiled stay loops.
int64_t pickTile(int64_t dim, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (c <= dim && dim % c == 0)
      return c;
  return 0;
}

/// The schedule of one matmul-like op tagged `cleave.schedule = id`, or "" if none fits.
/// `batch` adds a leading batch dim tiled by 1.
std::string matmulSchedule(int64_t id, StringRef opName, int64_t m, int64_t n, int64_t k,
                           bool batch) {
  // The M register tile is the number of broadcast rows: any count up to 8 works.
  int64_t rm = pickTile(m, {8, 7, 6, 5, 4, 3, 2, 1}), rn = pickTile(n, {32, 16, 8});
  if (!rm || !rn)
    return "";
  // Cache tiles are multiples of the register tiles that divide the dim, or the whole dim.
  auto cacheTile = [](int64_t dim, int64_t target, int64_t reg) {
    for (int64_t c = target / reg * reg; c >= reg; c -= reg)
      if (dim % c == 0)
        return c;
    return dim;
  };
  int64_t cm = cacheTile(m, 64, rm), cn = cacheTile(n, 128, rn);
  // A K cache tile smaller than 16 would put the k loop outside the register tiles.
  int64_t ck = pickTile(k, {256, 128, 64, 32, 16});
  if (!ck)
    ck = k;
  std::string b = batch ? "1, " : "";
  std::string zero = batch ? "0, " : "";
  std::string handles = batch ? "!transform.any_op, !transform.any_op, !transform.any_op, "
                                "!transform.any_op, !transform.any_op"
                              : "!transform.any_op, !transform.any_op, !transform.any_op, "
                                "!transform.any_op";
  int loops = batch ? 4 : 3;
  // The cache tiles of the parallel dims (batch, M, N) are the iterations of an scf.forall,
  // which becomes an OpenMP worksharing loop: threads split the output and never share a
  // reduction, so results do not depend on the thread count. K stays a sequential loop
  // inside each thread's tile.
  return llvm::formatv(R"mlir(
    %op{0} = transform.structured.match ops{{["{1}"]} attributes {{cleave.schedule = {0} : i64}
        in %root : (!transform.any_op) -> !transform.any_op
    %p{0}, %pl{0} = transform.structured.tile_using_forall %op{0} tile_sizes [{3}{4}, {5}]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %c{0}, %cl{0} = transform.structured.tile_using_for %p{0} tile_sizes [{10}0, 0, {6}]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %r{0}, %rl{0}:{2} = transform.structured.tile_using_for %c{0} tile_sizes [{3}{8}, {9}, 1]
        : (!transform.any_op) -> ({7})
    transform.structured.vectorize %r{0} : !transform.any_op
)mlir",
                       id, opName, loops, b, cm, cn, ck, handles, rm, rn, zero)
      .str();
}

/// Element count from which an all-parallel generic (elementwise ops, im2col copies) is
/// split over threads: below it, starting the threads costs more than the loop.
constexpr int64_t kMinParallelElements = 1 << 16;

/// The schedule of an all-parallel generic tagged `cleave.schedule = id`: dim `dim` (the
/// outermost one longer than 1) in at most 16 chunks, the iterations of an scf.forall
/// (threads). Chunks need not divide the dim, as the generic stays scalar loops.
std::string parallelGenericSchedule(int64_t id, ArrayRef<int64_t> ranges, size_t dim) {
  int64_t chunks = std::min<int64_t>(ranges[dim], 16);
  std::string sizes;
  for (size_t i = 0; i < ranges.size(); ++i)
    sizes += (i ? ", " : "") +
             std::to_string(i == dim ? (ranges[dim] + chunks - 1) / chunks : 0);
  return llvm::formatv(R"mlir(
    %op{0} = transform.structured.match ops{{["linalg.generic"]} attributes {{cleave.schedule = {0} : i64}
        in %root : (!transform.any_op) -> !transform.any_op
    %p{0}, %pl{0} = transform.structured.tile_using_forall %op{0} tile_sizes [{1}]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
)mlir",
                       id, sizes)
      .str();
}

/// Depthwise convolutions and poolings (NCHW) iterate with the window innermost: the named
/// ops' loops are (n, oh, ow, c, kh, kw) and (n, c, oh, ow, kh, kw). LLVM then vectorises
/// the tiny window loops, or the strided channel dim with gathers and scatters. Interchanged
/// to (n, c, oh, kh, kw, ow), the innermost loop walks an output row and the matching input
/// row (contiguous at stride 1, interleaved at stride 2); the channels (then dim 1) are split
/// over threads.
std::string windowSchedule(int64_t id, StringRef opName, StringRef interchange,
                           int64_t channels) {
  int64_t chunks = std::min<int64_t>(channels, 16);
  return llvm::formatv(R"mlir(
    %w{0} = transform.structured.match ops{{["{1}"]}
        attributes {{cleave.schedule = {0} : i64} in %root
        : (!transform.any_op) -> !transform.any_op
    %wg{0} = transform.structured.generalize %w{0}
        : (!transform.any_op) -> !transform.any_op
    %wi{0} = transform.structured.interchange %wg{0} iterator_interchange = [{2}]
        : (!transform.any_op) -> !transform.any_op
    %wp{0}, %wl{0} = transform.structured.tile_using_forall %wi{0}
        tile_sizes [0, {3}, 0, 0, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
)mlir",
                       id, opName, interchange, (channels + chunks - 1) / chunks)
      .str();
}

/// On tensors: tiles and vectorises every matmul and batch matmul that fits, then lowers
/// the contractions to broadcasts and FMAs; splits big all-parallel generics over threads.
std::string tensorSchedule(ModuleOp module) {
  std::string body;
  int64_t id = 0;
  module.walk([&](linalg::LinalgOp op) {
    bool batch = isa<linalg::BatchMatmulOp>(op);
    if (!isa<linalg::MatmulOp>(op) && !batch)
      return;
    if (!op.hasPureTensorSemantics() || !op.getNumDpsInits())
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return;
    // Default indexing maps only (no transposed/broadcast variants).
    if (!op.hasOnlyProjectedPermutations())
      return;
    ArrayRef<int64_t> r(ranges);
    if (batch)
      r = r.drop_front();
    std::string schedule =
        matmulSchedule(id, op->getName().getStringRef(), r[0], r[1], r[2], batch);
    if (schedule.empty())
      return;
    op->setAttr(plan::CleaveDialect::kScheduleAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), id));
    body += schedule;
    ++id;
  });
  module.walk([&](linalg::LinalgOp op) {
    // (op, its loops' interchange to (n, c, oh, kh, kw, ow), its channel loop)
    StringRef interchange;
    int64_t channelLoop = 1;
    if (isa<linalg::DepthwiseConv2DNchwChwOp>(op)) {
      interchange = "0, 3, 1, 4, 5, 2";
      channelLoop = 3;
    } else if (isa<linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(op)) {
      interchange = "0, 1, 2, 4, 5, 3";
    } else {
      return;
    }
    if (!op.hasPureTensorSemantics())
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return;
    op->setAttr(plan::CleaveDialect::kScheduleAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), id));
    body += windowSchedule(id, op->getName().getStringRef(), interchange, ranges[channelLoop]);
    ++id;
  });
  module.walk([&](linalg::GenericOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() == 0)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return;
    const auto *split = llvm::find_if(ranges, [](int64_t r) { return r > 1; });
    if (split == ranges.end())
      return;
    int64_t elements = 1;
    for (int64_t r : ranges)
      elements *= r;
    if (elements < kMinParallelElements)
      return;
    op->setAttr(plan::CleaveDialect::kScheduleAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), id));
    body += parallelGenericSchedule(id, ranges, split - ranges.begin());
    ++id;
  });
  return R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
)mlir" + body +
         R"mlir(
    %funcs = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
)mlir";
}

// On buffers. The accumulator tile's read and write move out of the k loop (it lives in
// registers), contractions become outer products, i.e. broadcast + FMA, and transfers are
// lowered to 1-D loads and stores the LLVM lowering maps to (masked) vector memory ops.
const char *const kBufferSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %funcs = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.memref.fold_memref_alias_ops
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %funcs : !transform.any_op
    %hoisted = transform.structured.hoist_redundant_vector_transfers %funcs
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %hoisted {
      transform.apply_patterns.vector.lower_masked_transfers
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.lower_masks
      transform.apply_patterns.vector.lower_broadcast
      transform.apply_patterns.vector.lower_transpose
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerreduction"
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

/// Keeps matmul accumulator tiles in registers across the k loop: in a loop whose only
/// memory write is a vector.transfer_write of a tile that a loop-invariant transfer_read
/// of the same view loads, and whose other reads are of other buffers, the read moves
/// before the loop, the write after it, and the tile is carried as an iteration value.
/// Upstream's hoisting does the same but gives up on any buffer that also has a view
/// elsewhere in the function (a reshaped convolution output, an output written through
/// a collapse); buffers of different roots never alias here, because bufferization gives
/// a matmul's output its own buffer and the runtime passes distinct buffers.
void hoistAccumulatorTiles(Operation *root) {
  root->walk([](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
  bool changed = true;
  while (changed) {
    changed = false;
    root->walk([&](scf::ForOp loop) {
      vector::TransferWriteOp write;
      SmallVector<vector::TransferReadOp> reads;
      for (Operation &op : loop.getBody()->without_terminator()) {
        if (auto w = dyn_cast<vector::TransferWriteOp>(op)) {
          if (write)
            return WalkResult::advance(); // one written tile only
          write = w;
        } else if (auto r = dyn_cast<vector::TransferReadOp>(op)) {
          reads.push_back(r);
        } else if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op)) {
          return WalkResult::advance();
        }
      }
      if (!write || !isa<MemRefType>(write.getBase().getType()))
        return WalkResult::advance();
      Value tileRoot = rootBuffer(write.getBase());
      vector::TransferReadOp read;
      for (vector::TransferReadOp r : reads) {
        if (rootBuffer(r.getBase()) != tileRoot)
          continue;
        if (read || r.getBase() != write.getBase() || r.getIndices() != write.getIndices() ||
            r.getVectorType() != write.getVectorType() ||
            r.getPermutationMap() != write.getPermutationMap() ||
            !r->isBeforeInBlock(write))
          return WalkResult::advance(); // another access to the tile's buffer
        read = r;
      }
      if (!read || llvm::any_of(read->getOperands(), [&](Value v) {
            return !loop.isDefinedOutsideOfLoop(v);
          }))
        return WalkResult::advance();

      loop.moveOutOfLoop(read);
      write->moveAfter(loop);
      IRRewriter rewriter(loop.getContext());
      FailureOr<LoopLikeOpInterface> newLoop =
          cast<LoopLikeOpInterface>(loop.getOperation())
              .replaceWithAdditionalYields(
                  rewriter, read.getVector(), /*replaceInitOperandUsesInLoop=*/true,
                  [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                    return SmallVector<Value>{write.getVector()};
                  });
      if (failed(newLoop))
        return WalkResult::interrupt();
      write.getValueToStoreMutable().assign(newLoop->getOperation()->getResults().back());
      changed = true;
      return WalkResult::interrupt();
    });
  }
}

struct CpuTileAndVectorizePass
    : cleave::impl::CpuTileAndVectorizePassBase<CpuTileAndVectorizePass> {
  using CpuTileAndVectorizePassBase::CpuTileAndVectorizePassBase;

  void runOnOperation() override {
    if (phase.getValue() != "buffer" && phase.getValue() != "tensor") {
      getOperation().emitError("unknown schedule phase '") << phase.getValue() << "'";
      return signalPassFailure();
    }
    if (phase.getValue() == "buffer")
      hoistAccumulatorTiles(getOperation());
    std::string text =
        phase.getValue() == "buffer" ? kBufferSchedule : tensorSchedule(getOperation());
    OwningOpRef<ModuleOp> schedule = parseSourceString<ModuleOp>(text, &getContext());
    if (!schedule)
      return signalPassFailure();
    Operation *entry = transform::detail::findTransformEntryPoint(
        getOperation(), *schedule, transform::TransformDialect::kTransformEntryPointSymbolName);
    if (!entry)
      return signalPassFailure();
    if (failed(transform::applyTransformNamedSequence(getOperation(), entry, *schedule,
                                                      transform::TransformOptions())))
      return signalPassFailure();
    getOperation().walk(
        [](Operation *op) { op->removeAttr(plan::CleaveDialect::kScheduleAttr); });
  }
};

} // namespace
