// Normalisation, softmax and reduction ops.
#ifndef CLEAVE_ONNX_NORM_OPS_TD
#define CLEAVE_ONNX_NORM_OPS_TD

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// A reduction over a list of axes. The importer resolves ONNX's forms (axes as attribute
/// or input, empty axes meaning all of them, noop_with_empty_axes) into `axes`: sorted,
/// unique and non-negative. An empty list reduces nothing.
class Onnx_ReduceOp<string mnemonic>
    : Onnx_Op<mnemonic, [Pure, SameOperandsAndResultElementType], ["getFlops"]> {
  let arguments = (ins Onnx_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Onnx_ReduceSumOp : Onnx_ReduceOp<"reduce_sum"> {
  let summary = "sum over axes (ONNX ReduceSum)";
  let description = [{
    With `keepdims` (the default) the reduced dims stay as size 1; without, they are dropped.

    ```mlir
    %y = onnx.reduce_sum %x {axes = array<i64: 1>, keepdims = false}
        : tensor<4x8xf32> -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_ReduceMeanOp : Onnx_ReduceOp<"reduce_mean"> {
  let summary = "arithmetic mean over axes (ONNX ReduceMean)";
  let description = [{
    Integer means divide the sum by the element count, truncating toward zero.

    ```mlir
    %y = onnx.reduce_mean %x {axes = array<i64: 2, 3>} : tensor<1x64x7x7xf32> -> tensor<1x64x1x1xf32>
    ```
  }];
}

def Onnx_ReduceMaxOp : Onnx_ReduceOp<"reduce_max"> {
  let summary = "maximum over axes (ONNX ReduceMax)";
  let description = [{
    A NaN anywhere in a reduced slice makes its result NaN, as numpy's `max` does.

    ```mlir
    %y = onnx.reduce_max %x {axes = array<i64: 0, 1>} : tensor<3x2xf32> -> tensor<1x1xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_ReduceMinOp : Onnx_ReduceOp<"reduce_min"> {
  let summary = "minimum over axes (ONNX ReduceMin)";
  let description = [{
    A NaN anywhere in a reduced slice makes its result NaN, as numpy's `min` does.

    ```mlir
    %y = onnx.reduce_min %x {axes = array<i64: 1>} : tensor<3x2xf32> -> tensor<3x1xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_ReduceProdOp : Onnx_ReduceOp<"reduce_prod"> {
  let summary = "product over axes (ONNX ReduceProd)";
  let description = [{
    ```mlir
    %y = onnx.reduce_prod %x {axes = array<i64: 0>, keepdims = false}
        : tensor<3x2xf32> -> tensor<2xf32>
    ```
  }];
  let hasFolder = 1;
}

/// The index of the largest or smallest element along one axis.
class Onnx_ArgReduceOp<string mnemonic> : Onnx_Op<mnemonic, [Pure]> {
  let arguments = (ins Onnx_NumericTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Onnx_ArgMaxOp : Onnx_ArgReduceOp<"arg_max"> {
  let summary = "index of the maximum along an axis (ONNX ArgMax)";
  let description = [{
    `axis` is non-negative. Among equal maxima the first index is taken, or the last with
    `select_last_index`.

    ```mlir
    %i = onnx.arg_max %x {axis = 1 : i64} : tensor<3x4xf32> -> tensor<3x1xi64>
    ```
  }];
}

def Onnx_ArgMinOp : Onnx_ArgReduceOp<"arg_min"> {
  let summary = "index of the minimum along an axis (ONNX ArgMin)";
  let description = [{
    `axis` is non-negative. Among equal minima the first index is taken, or the last with
    `select_last_index`.

    ```mlir
    %i = onnx.arg_min %x {axis = 0 : i64, keepdims = false} : tensor<3x4xf32> -> tensor<4xi64>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax-like op over one axis (opset 13 semantics; the importer flattens the older
/// "coerce to 2-D" form into a reshape around this op).
class Onnx_SoftmaxOpBase<string mnemonic>
    : Onnx_Op<mnemonic, [Pure, SameOperandsAndResultType], ["getFlops"]> {
  let arguments = (ins Onnx_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Onnx_SoftmaxOp : Onnx_SoftmaxOpBase<"softmax"> {
  let summary = "exp(x) / sum(exp(x)) along one axis (ONNX Softmax)";
  let description = [{
    Computed stably: the maximum along `axis` is subtracted before exponentiating. `axis`
    may be negative (counted from the end).

    ```mlir
    %y = onnx.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
}

def Onnx_LogSoftmaxOp : Onnx_SoftmaxOpBase<"log_softmax"> {
  let summary = "x - log(sum(exp(x))) along one axis (ONNX LogSoftmax)";
  let description = [{
    Computed stably as `(x - max) - log(sum(exp(x - max)))`.

    ```mlir
    %y = onnx.log_softmax %x : tensor<2x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def Onnx_LayerNormalizationOp : Onnx_Op<"layer_normalization", [Pure], ["getFlops"]> {
  let summary = "normalise over the trailing dims from `axis` on (ONNX LayerNormalization)";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, the mean and (biased) variance
    taken over dims `axis` .. rank-1. `scale` and the optional `bias` broadcast
    unidirectionally to the input. The op has either one result, or three: `y`, then the
    mean and the inverse standard deviation (ONNX's optional Mean and InvStdDev outputs),
    whose shape is the input's with the normalised dims set to 1.

    ```mlir
    %y = onnx.layer_normalization %x, %gamma, %beta {epsilon = 1.0e-05 : f32}
        : (tensor<8x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<8x128x768xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$scale,
                       Optional<Onnx_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Onnx_FloatTensor:$result, Variadic<Onnx_FloatTensor>:$statistics);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The shape of the mean and inverse standard deviation results: `input` with the
    /// normalised dims, `axis` (non-negative) and after, set to 1.
    static ::llvm::SmallVector<int64_t> inferStatisticsShape(::llvm::ArrayRef<int64_t> input,
                                                             int64_t axis);
  }];
}

def Onnx_BatchNormalizationOp : Onnx_Op<"batch_normalization",
    [Pure, AllTypesMatch<["input", "result"]>,
     AllElementTypesMatch<["input", "scale", "bias", "mean", "var"]>], ["getFlops"]> {
  let summary = "inference-mode batch normalisation over channel dim 1 (ONNX BatchNormalization)";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, with `scale`, `bias`, `mean` and
    `var` of shape `[C]` broadcast along dim 1 of an `N x C x D1 x ...` input. Training mode
    (batch statistics) is `onnx.batch_normalization_training`.

    ```mlir
    %y = onnx.batch_normalization %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32}
        : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>,
           tensor<64xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$scale,
                       Onnx_FloatTensor:$bias, Onnx_FloatTensor:$mean,
                       Onnx_FloatTensor:$var,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Onnx_BatchNormalizationTrainingOp : Onnx_Op<"batch_normalization_training",
    [Pure, AllTypesMatch<["input", "result"]>,
     AllTypesMatch<["scale", "bias", "mean", "var", "running_mean", "running_var"]>,
     AllElementTypesMatch<["input", "scale"]>], ["getFlops"]> {
  let summary = "training-mode batch normalisation (ONNX BatchNormalization, training_mode=1)";
  let description = [{
    Normalises with the batch's own statistics: per channel `m` and `v`, the mean and the
    biased variance of `input` over every dim but 1, then
    `y = (x - m) / sqrt(v + epsilon) * scale + bias`. Also returns the updated running
    statistics `running_mean = mean * momentum + m * (1 - momentum)` and
    `running_var = var * momentum + v * (1 - momentum)` (the ONNX reference's biased `v`).

    ```mlir
    %y, %rm, %rv = onnx.batch_normalization_training %x, %s, %b, %m, %v
        {epsilon = 1.0e-05 : f32, momentum = 0.9 : f32}
        : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
        -> (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>)
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$scale,
                       Onnx_FloatTensor:$bias, Onnx_FloatTensor:$mean,
                       Onnx_FloatTensor:$var,
                       DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.9">:$momentum);
  let results = (outs Onnx_FloatTensor:$result, Onnx_FloatTensor:$running_mean,
                      Onnx_FloatTensor:$running_var);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif // CLEAVE_ONNX_NORM_OPS_TD
