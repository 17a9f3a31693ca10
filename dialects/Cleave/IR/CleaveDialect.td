// The cleave dialect: the contract between the compiler's phases.
#ifndef CLEAVE_CLEAVE_DIALECT_TD
#define CLEAVE_CLEAVE_DIALECT_TD

include "mlir/IR/OpBase.td"

def Cleave_Dialect : Dialect {
  let name = "cleave";
  let cppNamespace = "::cleave::plan";
  let summary = "the distributed plan as the compiler's phases hand it on";
  let description = [{
    What one phase of the compiler tells the next and the artifact: which pipeline stage a
    function is, the device it runs on and what the cost model expects of it, which of its
    arguments are tensors received from the previous stage or parameters (with their data),
    which results are sent on, and the collectives a tensor-parallel split needs. Every
    `cleave.*` attribute is verified by this dialect wherever it appears, and the collectives
    are ops with verifiers, so that a phase cannot hand on a plan the next one misreads.

    ```mlir
    func.func @main(%h: tensor<2x32xf32> {cleave.recv = #cleave.transfer<"h", 0>},
                    %w: tensor<32x8xf32> {cleave.param = "w"})
        -> (tensor<2x8xf32> {onnx.name = "y"})
        attributes {cleave.stage = 1 : i64, cleave.device = "cpu:1"}
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    /// On a function: the pipeline stage it is (i64 >= 0).
    static constexpr llvm::StringLiteral kStageAttr = "cleave.stage";
    /// On a function: the device it runs on, "KIND:INDEX" (kind cpu, cuda or rocm).
    static constexpr llvm::StringLiteral kDeviceAttr = "cleave.device";
    /// On a function: the cost model's estimate for one microbatch (#cleave.estimate).
    static constexpr llvm::StringLiteral kEstimateAttr = "cleave.estimate";
    /// On an argument: a tensor received from a stage (#cleave.transfer, the sender).
    static constexpr llvm::StringLiteral kRecvAttr = "cleave.recv";
    /// On a result: a tensor sent to a stage (#cleave.transfer, the receiver); on the
    /// argument that holds it once results are out-parameters.
    static constexpr llvm::StringLiteral kSendAttr = "cleave.send";
    /// On an argument: the parameter it is (its manifest name).
    static constexpr llvm::StringLiteral kParamAttr = "cleave.param";
    /// On an argument: the parameter's data, as lowering left it.
    static constexpr llvm::StringLiteral kParamValueAttr = "cleave.param_value";
    /// On a function: its first argument is the runtime context pointer.
    static constexpr llvm::StringLiteral kCtxArgAttr = "cleave.ctx_arg";
    /// On a structured op: the CPU schedule that applies to it (i64 >= 0).
    static constexpr llvm::StringLiteral kScheduleAttr = "cleave.schedule";
    /// On a module: the ops a tensor-parallel split sliced (array of #cleave.split).
    static constexpr llvm::StringLiteral kTensorParallelAttr = "cleave.tensor_parallel";
    /// On a module: the collectives that split needs (array of #cleave.collective).
    static constexpr llvm::StringLiteral kCollectivesAttr = "cleave.collectives";
    /// On a module: the op groups timed by cleave-cpu-profile-ops (array of #cleave.op_group,
    /// ids 0, 1, ... in order).
    static constexpr llvm::StringLiteral kOpGroupsAttr = "cleave.op_groups";
  }];
}

#endif // CLEAVE_CLEAVE_DIALECT_TD
