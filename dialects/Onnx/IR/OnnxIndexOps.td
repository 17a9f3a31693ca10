// Ops that read or produce indices: element gathers and the losses that pick by label.
#ifndef CLEAVE_ONNX_INDEX_OPS_TD
#define CLEAVE_ONNX_INDEX_OPS_TD

def Onnx_GatherElementsOp : Onnx_Op<"gather_elements", [Pure,
    AllElementTypesMatch<["data", "result"]>]> {
  let summary = "take one element per index along an axis (ONNX GatherElements)";
  let description = [{
    The result has the indices' shape; element `(i0, .., ik, .., in)` is
    `data[i0, .., indices[i0, .., in], .., in]` with the index at `axis`. Negative indices
    count from the end of the dim; out-of-range indices are undefined behaviour, as in ONNX.

    ```mlir
    %y = onnx.gather_elements %x, %i {axis = 1 : i64}
        : (tensor<3x3xf32>, tensor<3x2xi64>) -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$data, Onnx_IndexTensor:$indices,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Onnx_GatherNDOp : Onnx_Op<"gather_nd", [Pure, AllElementTypesMatch<["data", "result"]>]> {
  let summary = "take slices at index tuples (ONNX GatherND)";
  let description = [{
    `indices` is `i0 x .. x iq-1 x k`: each of its last-dim tuples indexes the first `k`
    dims of `data` after the `batch_dims` leading dims both share. The result shape is
    `indices.shape[:-1] + data.shape[batch_dims + k:]`. Negative indices count from the end.

    ```mlir
    %y = onnx.gather_nd %x, %i : (tensor<2x2xf32>, tensor<2x2xi64>) -> tensor<2xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$data, RankedTensorOf<[I64]>:$indices,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntNonNegative]>, "0">:$batch_dims);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result shape, `indices.shape[:-1] + data.shape[batch_dims + k:]`, or failure
    /// after reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> data, ::llvm::ArrayRef<int64_t> indices, int64_t batchDims,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Onnx_ScatterElementsOp : Onnx_Op<"scatter_elements", [Pure,
    AllTypesMatch<["data", "result"]>, AllElementTypesMatch<["data", "updates"]>]> {
  let summary = "write updates at indices along an axis (ONNX ScatterElements, Scatter)";
  let description = [{
    The result is `data` with element `u` of `updates` written at `u`'s position with the
    index at `axis` replaced by `indices[u]` (same shape as `updates`), combined by
    `reduction` ("none" replaces; "add", "mul", "max", "min" combine with the value there).

    ```mlir
    %y = onnx.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "none"}
        : (tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<1x5xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$data, Onnx_IndexTensor:$indices, Onnx_AnyTensor:$updates,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       Onnx_StrEnumAttr<["none", "add", "mul", "max", "min"]>:$reduction);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Onnx_ScatterNDOp : Onnx_Op<"scatter_nd", [Pure,
    AllTypesMatch<["data", "result"]>, AllElementTypesMatch<["data", "updates"]>]> {
  let summary = "write slices at index tuples (ONNX ScatterND)";
  let description = [{
    `indices` is `i0 x .. x iq-1 x k`; the slice `updates[i0, .., iq-1]` is written at the
    first `k` dims of `data` that the tuple names, combined by `reduction` as in
    `onnx.scatter_elements`.

    ```mlir
    %y = onnx.scatter_nd %x, %i, %u {reduction = "add"}
        : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$data, RankedTensorOf<[I64]>:$indices,
                       Onnx_AnyTensor:$updates,
                       Onnx_StrEnumAttr<["none", "add", "mul", "max", "min"]>:$reduction);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Onnx_NegativeLogLikelihoodLossOp : Onnx_Op<"nll_loss", [Pure,
    AllElementTypesMatch<["input", "result"]>]> {
  let summary = "negative log-likelihood loss (ONNX NegativeLogLikelihoodLoss)";
  let description = [{
    `input` is N x C x d1 x .. x dk (log-probabilities), `target` N x d1 x .. x dk class
    indices, `weight` (optional) the C class weights. Each element's loss is
    `-input[n, t, d..] * weight[t]` with `t = target[n, d..]`, or 0 where `t` equals
    `ignore_index`. `reduction` "none" gives the losses (target's shape), "sum" their sum and
    "mean" their sum divided by the sum of the weights taken (rank 0).

    ```mlir
    %l = onnx.nll_loss %x, %t, %w {reduction = "mean"}
        : (tensor<3x5xf32>, tensor<3xi64>, tensor<5xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_IndexTensor:$target,
                       Optional<Onnx_FloatTensor>:$weight,
                       Onnx_StrEnumAttr<["none", "sum", "mean"]>:$reduction,
                       OptionalAttr<I64Attr>:$ignore_index);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $target (`,` $weight^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // CLEAVE_ONNX_INDEX_OPS_TD
