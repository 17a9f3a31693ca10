// The onnx-level dialect's op interfaces and traits.
#ifndef CLEAVE_ONNX_INTERFACES_TD
#define CLEAVE_ONNX_INTERFACES_TD

include "mlir/IR/OpBase.td"

/// Cost of an op for the partitioner and `--explain`: floating-point operations and bytes
/// touched, for the static shapes the op has.
def Onnx_CostInterface : OpInterface<"CostInterface"> {
  let cppNamespace = "::cleave::onnxir";
  let description = [{
    Estimates the work an op does. The default counts one operation per result element and
    the bytes of every operand and result; ops that do more (matmul, conv, reductions)
    override `getFlops`.
  }];
  let methods = [
    InterfaceMethod<"floating-point (or integer) operations this op performs",
      "int64_t", "getFlops", (ins), [{}], [{
        return ::cleave::onnxir::defaultFlops($_op.getOperation());
      }]>,
    InterfaceMethod<"bytes read and written by this op",
      "int64_t", "getBytes", (ins), [{}], [{
        return ::cleave::onnxir::defaultBytes($_op.getOperation());
      }]>,
  ];
}

/// Elementwise with numpy broadcasting: each result element is computed from the operand
/// elements at the same position, the operands broadcast to the result shape (which the
/// trait verifies). Passes ask for the trait (`onnxir::isElementwise`) instead of listing
/// ops; see `cleave::onnxir::OpTrait::Elementwise` in OnnxOps.h.
def Onnx_Elementwise : NativeOpTrait<"Elementwise"> {
  let cppNamespace = "::cleave::onnxir::OpTrait";
}

#endif // CLEAVE_ONNX_INTERFACES_TD
