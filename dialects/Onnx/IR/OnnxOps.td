// The onnx-level dialect's ops, one file per op family.
#ifndef CLEAVE_ONNX_OPS_TD
#define CLEAVE_ONNX_OPS_TD

include "dialects/Onnx/IR/OnnxDialect.td"

//===----------------------------------------------------------------------===//
// Constants and parameters
//===----------------------------------------------------------------------===//

def Onnx_ConstantOp : Onnx_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a small constant tensor, held inline";
  let description = [{
    Constants the compiler may inspect or fold: shapes, axes, indices, small tables. Large
    weights are `onnx.parameter`.

    ```mlir
    %shape = onnx.constant dense<[1, 512]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Onnx_ParameterOp : Onnx_Op<"parameter", [Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a named weight of the model";
  let description = [{
    A model weight (an ONNX initializer, or a large constant). Its data is held as an
    attribute, normally a `dense_resource` blob, so that printed IR does not hold it in full;
    code generation turns parameters into arguments of the stage function and the artifact
    stores their data, sliced per rank.

    ```mlir
    %w = onnx.parameter "fc.weight" dense_resource<fc_weight> : tensor<1000x512xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, ElementsAttr:$value);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$name attr-dict $value";
}

include "dialects/Onnx/IR/OnnxElementwiseOps.td"
include "dialects/Onnx/IR/OnnxNNOps.td"
include "dialects/Onnx/IR/OnnxNormOps.td"
include "dialects/Onnx/IR/OnnxShapeOps.td"
include "dialects/Onnx/IR/OnnxIndexOps.td"

#endif // CLEAVE_ONNX_OPS_TD
