// Adds the runtime's C entry points to a module lowered to the LLVM dialect.
#include "compiler/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

using namespace mlir;
using namespace cleave;

namespace cleave {
#define GEN_PASS_DEF_CPUENTRYPOINTSPASS
#include "compiler/Passes.h.inc"
} // namespace cleave

namespace {

struct CpuEntryPointsPass : cleave::impl::CpuEntryPointsPassBase<CpuEntryPointsPass> {
  using CpuEntryPointsPassBase::CpuEntryPointsPassBase;

  /// Adds `void cleave_set_num_threads(int n)`, which the runtime calls after loading the
  /// code: it keeps `n` in a global (initially 1, so a caller that never sets it gets one
  /// thread, as from code without parallel regions) and sets OpenMP's thread count. Returns
  /// the global and the declaration of `omp_set_num_threads`. At most once per module.
  std::pair<LLVM::GlobalOp, LLVM::LLVMFuncOp> addThreadControl(OpBuilder &b, Location loc) {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto i32 = IntegerType::get(context, 32);
    auto voidType = LLVM::LLVMVoidType::get(context);
    auto setterType = LLVM::LLVMFunctionType::get(voidType, {i32});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto ompSet = module.lookupSymbol<LLVM::LLVMFuncOp>("omp_set_num_threads");
    if (!ompSet)
      ompSet = LLVM::LLVMFuncOp::create(b, loc, "omp_set_num_threads", setterType);
    auto global = module.lookupSymbol<LLVM::GlobalOp>("cleave_num_threads");
    if (!global)
      global = LLVM::GlobalOp::create(b, loc, i32, /*isConstant=*/false,
                                      LLVM::Linkage::Internal, "cleave_num_threads",
                                      b.getI32IntegerAttr(1));
    if (module.lookupSymbol(CLEAVE_SYMBOL_SET_NUM_THREADS))
      return {global, ompSet};
    auto setter = LLVM::LLVMFuncOp::create(b, loc, CLEAVE_SYMBOL_SET_NUM_THREADS, setterType);
    Block *block = setter.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value n = block->getArgument(0);
    // The runtime checks the count, but the ABI is C: a count below one means one.
    Value one = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(1));
    Value tooFew = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::slt, n, one);
    Value count = LLVM::SelectOp::create(b, loc, tooFew, one, n);
    Value addr = LLVM::AddressOfOp::create(b, loc, global);
    LLVM::StoreOp::create(b, loc, count, addr);
    LLVM::CallOp::create(b, loc, ompSet, ValueRange{count});
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    return {global, ompSet};
  }

  /// Gives `decl` (whose first argument is ctx) a body that calls entry `slot` of the
  /// runtime's function table, which ctx's first member points to.
  void defineTableCall(LLVM::LLVMFuncOp decl, int32_t slot) {
    MLIRContext *context = &getContext();
    auto ptrType = LLVM::LLVMPointerType::get(context);
    Location loc = decl.getLoc();
    OpBuilder b(context);
    Block *block = decl.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value table = LLVM::LoadOp::create(b, loc, ptrType, block->getArgument(0));
    Value entry = LLVM::GEPOp::create(b, loc, ptrType, ptrType, table,
                                      ArrayRef<LLVM::GEPArg>{slot});
    Value fn = LLVM::LoadOp::create(b, loc, ptrType, entry);
    SmallVector<Value> operands{fn};
    llvm::append_range(operands, block->getArguments());
    LLVM::CallOp::create(b, loc, decl.getFunctionType(), operands);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
    decl.setLinkage(LLVM::Linkage::Internal);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    auto impl = module.lookupSymbol<LLVM::LLVMFuncOp>(implName.getValue());
    if (!impl) {
      module.emitError("the stage function '") << implName.getValue()
                        << "' could not be lowered to the LLVM dialect";
      return signalPassFailure();
    }
    auto ptrType = LLVM::LLVMPointerType::get(context);
    auto voidType = LLVM::LLVMVoidType::get(context);
    for (Type type : impl.getFunctionType().getParams())
      if (type != ptrType) {
        impl.emitError("expects only pointer arguments (bare-pointer memrefs), got ") << type;
        return signalPassFailure();
      }

    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Location loc = impl.getLoc();
    auto i32 = IntegerType::get(context, 32);
    // Code with OpenMP parallel regions takes its thread count from the runtime; see
    // addThreadControl.
    bool threaded = false;
    module.walk([&](omp::ParallelOp) {
      threaded = true;
      return WalkResult::interrupt();
    });
    LLVM::GlobalOp numThreads;
    LLVM::LLVMFuncOp setOmpThreads;
    if (threaded)
      std::tie(numThreads, setOmpThreads) = addThreadControl(b, loc);
    // void cleave_stage_N(void *ctx, void **args)
    auto entryType = LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType});
    auto entry = LLVM::LLVMFuncOp::create(b, loc, entryName.getValue(), entryType);
    Block *block = entry.addEntryBlock(b);
    b.setInsertionPointToStart(block);
    Value args = block->getArgument(1);
    SmallVector<Value> operands;
    // A stage that calls the runtime (cleave-lower-collectives) takes ctx first.
    unsigned first = impl->hasAttr(plan::CleaveDialect::kCtxArgAttr) ? 1 : 0;
    if (first)
      operands.push_back(block->getArgument(0));
    for (unsigned i = first; i < impl.getNumArguments(); ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, args,
                                       ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i - first)});
      operands.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
    }
    if (threaded) {
      // omp_set_num_threads sets a per-thread setting: apply the session's count on the
      // thread that runs the stage, which need not be the one that loaded the code.
      Value addr = LLVM::AddressOfOp::create(b, loc, numThreads);
      Value n = LLVM::LoadOp::create(b, loc, i32, addr);
      LLVM::CallOp::create(b, loc, setOmpThreads, ValueRange{n});
    }
    LLVM::CallOp::create(b, loc, impl, operands);
    LLVM::ReturnOp::create(b, loc, ValueRange{});

    if (!module.lookupSymbol(CLEAVE_SYMBOL_ABI_VERSION)) {
      b.setInsertionPointToEnd(module.getBody());
      auto versionFn = LLVM::LLVMFuncOp::create(b, loc, CLEAVE_SYMBOL_ABI_VERSION,
                                                LLVM::LLVMFunctionType::get(i32, {}));
      Block *vb = versionFn.addEntryBlock(b);
      b.setInsertionPointToStart(vb);
      Value version =
          LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(CLEAVE_ABI_VERSION));
      LLVM::ReturnOp::create(b, loc, version);
    }
    // Runtime functions are reached through the table at ctx (cleave_stage_context in
    // cleave/abi.h), not as symbols of the host process.
    if (auto allReduce = module.lookupSymbol<LLVM::LLVMFuncOp>(plan::kAllReduceRuntimeFn);
        allReduce && allReduce.isExternal())
      defineTableCall(allReduce, CLEAVE_RT_SLOT_ALL_REDUCE);
    if (auto allGather = module.lookupSymbol<LLVM::LLVMFuncOp>(plan::kAllGatherRuntimeFn);
        allGather && allGather.isExternal())
      defineTableCall(allGather, CLEAVE_RT_SLOT_ALL_GATHER);
    // Code compiled with --profile-ops (cleave-cpu-profile-ops) times its op groups.
    if (auto begin = module.lookupSymbol<LLVM::LLVMFuncOp>(plan::kProfBeginRuntimeFn);
        begin && begin.isExternal())
      defineTableCall(begin, CLEAVE_RT_SLOT_PROF_BEGIN);
    if (auto end = module.lookupSymbol<LLVM::LLVMFuncOp>(plan::kProfEndRuntimeFn);
        end && end.isExternal())
      defineTableCall(end, CLEAVE_RT_SLOT_PROF_END);
    // The stage implementation is internal: only the C entry points are the ABI.
    impl.setLinkage(LLVM::Linkage::Internal);
  }
};

} // namespace
