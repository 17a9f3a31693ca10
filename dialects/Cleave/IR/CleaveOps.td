// The cleave dialect's ops: the collectives of a tensor-parallel group.
#ifndef CLEAVE_CLEAVE_OPS_TD
#define CLEAVE_CLEAVE_OPS_TD

include "dialects/Cleave/IR/CleaveAttrs.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Cleave_CollectiveOp<string mnemonic>
    : Op<Cleave_Dialect, mnemonic, [
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DeclareOpInterfaceMethods<BufferizableOpInterface,
            ["bufferizesToMemoryRead", "bufferizesToMemoryWrite", "getAliasingValues",
             "bufferize"]>]> {
  let arguments = (ins AnyTypeOf<[AnyRankedTensor, AnyMemRef]>:$input,
                       AnyTypeOf<[AnyRankedTensor, AnyMemRef]>:$init);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    $input `into` $init attr-dict `:` type($input) `,` type($init)
    (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// DestinationStyleOpInterface: `init` is where the result goes.
    mlir::MutableOperandRange getDpsInitsMutable() { return getInitMutable(); }
    /// The contract's element type code of the op's element type (cleave/abi.h).
    cleave_dtype getDType();
  }];
  // The same for every collective: they differ only in their verifiers.
  let extraClassDefinition = [{
    cleave_dtype $cppClass::getDType() {
      return *dtypeOf(::llvm::cast<::mlir::ShapedType>(getInput().getType()).getElementType());
    }
    void $cppClass::getEffects(
        ::llvm::SmallVectorImpl<::mlir::SideEffects::EffectInstance<::mlir::MemoryEffects::Effect>>
            &effects) {
      addCollectiveEffects(*this, effects);
    }
    bool $cppClass::bufferizesToMemoryRead(::mlir::OpOperand &operand,
                                           const ::mlir::bufferization::AnalysisState &) {
      return &operand == &getInputMutable();
    }
    bool $cppClass::bufferizesToMemoryWrite(::mlir::OpOperand &operand,
                                            const ::mlir::bufferization::AnalysisState &) {
      return &operand == &getInitMutable();
    }
    ::mlir::bufferization::AliasingValueList $cppClass::getAliasingValues(
        ::mlir::OpOperand &operand, const ::mlir::bufferization::AnalysisState &) {
      if (&operand == &getInitMutable() && getNumResults() == 1)
        return {{getResult()[0], ::mlir::bufferization::BufferRelation::Equivalent}};
      return {};
    }
    ::llvm::LogicalResult $cppClass::bufferize(
        ::mlir::RewriterBase &rewriter, const ::mlir::bufferization::BufferizationOptions &options,
        ::mlir::bufferization::BufferizationState &state) {
      return bufferizeCollective(*this, rewriter, options, state);
    }
  }];
}

def Cleave_AllReduceOp : Cleave_CollectiveOp<"all_reduce"> {
  let summary = "sum a tensor over the ranks of the stage's tensor-parallel group";
  let description = [{
    Every rank of the group contributes `input`; `init` (of the same type) receives the
    elementwise sum of all of them on every rank. On tensors the op returns the sum; after
    bufferization it works on buffers and returns nothing, and the runtime (through its
    function table, slot CLEAVE_RT_SLOT_ALL_REDUCE) or a GPU program's collective step runs
    it. Static shapes of f32, f64, i32 or i64 elements.

    ```mlir
    %sum = cleave.all_reduce %partial into %empty
        : tensor<2x64xf32>, tensor<2x64xf32> -> tensor<2x64xf32>
    cleave.all_reduce %a into %b : memref<2x64xf32>, memref<2x64xf32>
    ```
  }];
}

def Cleave_AllGatherOp : Cleave_CollectiveOp<"all_gather"> {
  let summary = "stack a tensor of every rank of the stage's tensor-parallel group";
  let description = [{
    Every rank contributes `input` of shape `D0 x ... x Dn`; `init`, of shape
    `G x D0 x ... x Dn` with G the group's size, receives the contributions in group order on
    every rank. `init` and `input` never overlap. Any element type the runtime names, static
    shapes.

    ```mlir
    %all = cleave.all_gather %part into %empty
        : tensor<2x16xf32>, tensor<2x2x16xf32> -> tensor<2x2x16xf32>
    ```
  }];
}

#endif // CLEAVE_CLEAVE_OPS_TD
