// Shape and data-movement ops: reshape, transpose, concat, slice, gather, pad, ...
#ifndef CLEAVE_ONNX_SHAPE_OPS_TD
#define CLEAVE_ONNX_SHAPE_OPS_TD

include "mlir/IR/BuiltinAttributeInterfaces.td"

/// A string attribute restricted to the listed values (ONNX's string-valued modes).
class Onnx_StrEnumAttr<list<string> values>
    : ConfinedAttr<StrAttr, [AttrConstraint<
          CPred<"::llvm::is_contained(::llvm::ArrayRef<::llvm::StringRef>{\""
                # !interleave(values, "\", \"")
                # "\"}, ::llvm::cast<::mlir::StringAttr>($_self).getValue())">,
          "one of " # !interleave(values, ", ")>]>;

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
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The result shape of permuting an input of this shape by `perm`, or failure after
    /// reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> perm,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Onnx_ConcatOp : Onnx_Op<"concat", [Pure, SameOperandsAndResultElementType]> {
  let summary = "join tensors along an axis (ONNX Concat)";
  let description = [{
    `axis` is non-negative (the importer normalises ONNX's negative axes).

    ```mlir
    %y = onnx.concat %a, %b {axis = 1 : i64}
        : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Onnx_AnyTensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result shape of joining `inputs` along `axis` (non-negative), or failure after
    /// reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::mlir::TypeRange inputs, int64_t axis,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
  let hasFolder = 1;
}

def Onnx_SliceOp : Onnx_Op<"slice", [Pure, SameOperandsAndResultElementType]> {
  let summary = "strided slice with static bounds (ONNX Slice, Split)";
  let description = [{
    One `starts` and one `steps` entry per dim; the result type gives the number of
    elements taken along each dim. `starts` are in range (the importer resolves ONNX's
    negative and clamped indices); a negative step walks the dim backwards from its start.
    Dim `d` reads `starts[d] + i * steps[d]` for `i` in `[0, size(d))`.

    ```mlir
    %y = onnx.slice %x {starts = array<i64: 0, 9>, steps = array<i64: 1, -2>}
        : tensor<4x10xf32> -> tensor<2x5xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_GatherOp : Onnx_Op<"gather", [Pure]> {
  let summary = "take entries along an axis by index (ONNX Gather)";
  let description = [{
    The result shape is `data[:axis] + indices + data[axis+1:]`. Negative indices count from
    the end of the dim; out-of-range indices are undefined behaviour, as in ONNX.

    ```mlir
    %y = onnx.gather %table, %ids {axis = 0 : i64}
        : (tensor<1000x64xf32>, tensor<8x16xi64>) -> tensor<8x16x64xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$data, Onnx_IndexTensor:$indices,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result shape, `data[:axis] + indices + data[axis+1:]`, or failure after
    /// reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> data, ::llvm::ArrayRef<int64_t> indices, int64_t axis,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
  let hasFolder = 1;
}

def Onnx_ExpandOp : Onnx_Op<"expand", [Pure, SameOperandsAndResultElementType]> {
  let summary = "broadcast to a static shape (ONNX Expand)";
  let description = [{
    The result shape is the numpy broadcast of the input shape and ONNX's `shape` input,
    which the importer resolves at compile time.

    ```mlir
    %y = onnx.expand %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_TileOp : Onnx_Op<"tile", [Pure, SameOperandsAndResultElementType]> {
  let summary = "repeat a tensor along each dim (ONNX Tile)";
  let description = [{
    The repeat count of each dim is the result dim divided by the input dim.

    ```mlir
    %y = onnx.tile %x : tensor<2x3xf32> -> tensor<4x9xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_ConstantOfShapeOp : Onnx_Op<"constant_of_shape", [Pure]> {
  let summary = "a tensor filled with one value (ONNX ConstantOfShape)";
  let description = [{
    Folds to a splat constant when it has at most 4096 elements; larger ones are filled at
    run time rather than stored.

    ```mlir
    %y = onnx.constant_of_shape 0.000000e+00 : f32 : tensor<64x1024xf32>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Onnx_PadOp : Onnx_Op<"pad", [Pure, SameOperandsAndResultElementType]> {
  let summary = "pad (or crop, with negative pads) each dim (ONNX Pad)";
  let description = [{
    `pads` holds the amount added before each dim, then the amount added after each dim;
    negative amounts remove elements. `mode` is `constant` (fill with `constant_value`, zero
    when absent), `reflect` (mirror without repeating the edge) or `edge` (repeat the edge).

    ```mlir
    %y = onnx.pad %x {mode = "reflect", pads = array<i64: 0, 2, 0, 1>}
        : (tensor<3x4xf32>) -> tensor<3x7xf32>
    %z = onnx.pad %x, %v {mode = "constant", pads = array<i64: 1, 0, 1, 0>}
        : (tensor<3x4xf32>, tensor<f32>) -> tensor<5x4xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input, Optional<Onnx_AnyTensor>:$constant_value,
                       DenseI64ArrayAttr:$pads,
                       Onnx_StrEnumAttr<["constant", "reflect", "edge"]>:$mode);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = [{
    $input (`,` $constant_value^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result shape of padding an input of this shape by `pads` (begins, then ends),
    /// or failure after reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> pads,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Onnx_ResizeOp : Onnx_Op<"resize", [Pure, AllElementTypesMatch<["input", "result"]>],
                            ["getFlops"]> {
  let summary = "nearest, (multi)linear or cubic resampling (ONNX Resize, Upsample)";
  let description = [{
    Output coordinate `x` of a dim maps to an input coordinate by
    `coordinate_transformation_mode` with that dim's entry of `scales` (a 1-D f32 tensor,
    one entry per dim; a run-time value is allowed). `nearest` rounds it by `nearest_mode`;
    `linear` interpolates between the two neighbours and `cubic` between the four
    neighbours (Keys' kernel with `cubic_coeff_a`) of every dim whose size or scale changes.
    Cubic taps beyond the border repeat the border element, or with `exclude_outside` get
    weight 0 (the other weights renormalised). `tf_crop_and_resize` maps the output onto
    the crop `roi` (starts of every dim, then ends, as fractions of `size - 1`); outputs
    whose coordinate falls outside the input are `extrapolation_value`.

    ```mlir
    %y = onnx.resize %x, %scales {mode = "cubic", cubic_coeff_a = -0.5 : f32,
        coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor"}
        : (tensor<1x3x8x8xf32>, tensor<4xf32>) -> tensor<1x3x16x16xf32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$input, RankedTensorOf<[F32]>:$scales,
                       Onnx_StrEnumAttr<["nearest", "linear", "cubic"]>:$mode,
                       Onnx_StrEnumAttr<["half_pixel", "asymmetric", "align_corners",
                                         "pytorch_half_pixel", "tf_half_pixel_for_nn",
                                         "tf_crop_and_resize"]>
                           :$coordinate_transformation_mode,
                       Onnx_StrEnumAttr<["round_prefer_floor", "round_prefer_ceil", "floor",
                                         "ceil"]>:$nearest_mode,
                       DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                       OptionalAttr<DenseF32ArrayAttr>:$roi,
                       DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$input `,` $scales attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Onnx_TriluOp : Onnx_Op<"trilu", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "keep the upper or lower triangle of the last two dims (ONNX Trilu)";
  let description = [{
    Element `(i, j)` of the last two dims is kept when `j - i >= k` (`upper`) or
    `j - i <= k` (lower) and zeroed otherwise. `k` is a scalar (rank 0 or one element) i64
    tensor, 0 when absent; it may be a run-time value.

    ```mlir
    %y = onnx.trilu %x {upper = true} : (tensor<4x5xf32>) -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Onnx_AnyTensor:$input, Optional<RankedTensorOf<[I64]>>:$k,
                       BoolAttr:$upper);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = "$input (`,` $k^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

/// Range's element types: ONNX allows no unsigned type for it.
def Onnx_RangeTensor : RankedTensorOf<[F16, F32, F64, I8, I16, I32, I64]>;

def Onnx_RangeOp : Onnx_Op<"range", [Pure, AllTypesMatch<["start", "limit", "delta"]>]> {
  let summary = "an arithmetic sequence (ONNX Range)";
  let description = [{
    Element `i` is `start + i * delta`. The result length is static: the importer takes it
    from the constant operands or from ONNX shape inference; `limit` only decides it.

    ```mlir
    %y = onnx.range %start, %limit, %delta : (tensor<f32>, tensor<f32>, tensor<f32>)
        -> tensor<5xf32>
    ```
  }];
  let arguments = (ins Onnx_RangeTensor:$start, Onnx_RangeTensor:$limit,
                       Onnx_RangeTensor:$delta);
  let results = (outs Onnx_RangeTensor:$result);
  let assemblyFormat = [{
    $start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // CLEAVE_ONNX_SHAPE_OPS_TD
