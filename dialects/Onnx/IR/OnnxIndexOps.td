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
