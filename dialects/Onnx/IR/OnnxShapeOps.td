// Shape and data-movement ops: reshape, transpose, concat, slice, gather, pad, ...
#ifndef CLEAVE_ONNX_SHAPE_OPS_TD
#define CLEAVE_ONNX_SHAPE_OPS_TD

def Onnx_ReshapeOp : Onnx_Op<"reshape", [Pure, SameOperandsAndResultElementType]> {
  let summary = "reshape to a static shape (ONNX Reshape, Flatten, Squeeze, Unsqueeze)";
  let description = [{
    The target shape is the result type: the importer resolves ONNX's `0` and `-1` entries
    (and Flatten, Squeeze, Unsqueeze axes) at compile time.

    ```mlir
    %y = onnx.reshape %x : tensor<1x512x1x1xf32> -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_TransposeOp : Onnx_Op<"transpose", [Pure, SameOperandsAndResultElementType]> {
  let summary = "permute dimensions (ONNX Transpose)";
  let description = [{
    ```mlir
    %y = onnx.transpose %x {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // CLEAVE_ONNX_SHAPE_OPS_TD
