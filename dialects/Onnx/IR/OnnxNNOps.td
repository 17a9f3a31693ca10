// Neural-network ops: matmul/gemm, convolution, transposed convolution, pooling.
#ifndef CLEAVE_ONNX_NN_OPS_TD
#define CLEAVE_ONNX_NN_OPS_TD

def Onnx_MatMulOp : Onnx_Op<"matmul", [Pure, SameOperandsAndResultElementType],
                            ["getFlops"]> {
  let summary = "numpy matmul: batched, broadcasting batch dims (ONNX MatMul)";
  let description = [{
    1-D operands are promoted as numpy does (prepend / append a unit dim, removed after).

    ```mlir
    %y = onnx.matmul %a, %b : (tensor<8x256xf32>, tensor<256x1024xf32>) -> tensor<8x1024xf32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$lhs, Onnx_NumericTensor:$rhs);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The result shape of a matmul of operands of these shapes, or failure after reporting
    /// the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> lhs, ::llvm::ArrayRef<int64_t> rhs,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Onnx_GemmOp : Onnx_Op<"gemm", [Pure, SameOperandsAndResultElementType],
                          ["getFlops"]> {
  let summary = "general matrix multiply: alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let description = [{
    `op(X)` is `X` or its transpose (`transA`, `transB`). `C` is optional and broadcasts
    (numpy, unidirectionally) to the `M x N` result. The importer turns the `broadcast`
    attribute of opsets before 7 into this form.

    ```mlir
    %y = onnx.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, transA = false,
                               transB = true}
        : (tensor<8x512xf32>, tensor<1000x512xf32>, tensor<1000xf32>) -> tensor<8x1000xf32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$a, Onnx_NumericTensor:$b,
                       Optional<Onnx_NumericTensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$transA,
                       DefaultValuedAttr<BoolAttr, "false">:$transB);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The `M x N` result shape of op(A) * op(B), or failure after reporting the problem
    /// through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::mlir::RankedTensorType a, ::mlir::RankedTensorType b, bool transA, bool transB,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

/// Attributes shared by the convolutions: one entry per spatial dim, `pads` holding the
/// begin pads of every spatial dim, then the end pads (ONNX's order).
class Onnx_ConvBase<string mnemonic> : Onnx_Op<mnemonic,
    [Pure, SameOperandsAndResultElementType], ["getFlops"]> {
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$weight,
                       Optional<Onnx_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Onnx_ConvOp : Onnx_ConvBase<"conv"> {
  let summary = "N-d grouped convolution, NC[D]HW layout (ONNX Conv)";
  let description = [{
    `input` is `N x C x D1 x ... x Dr`, `weight` is `M x C/group x k1 x ... x kr` and the
    optional `bias` has `M` elements. Padding is explicit: the importer resolves `auto_pad`
    and takes the kernel shape from the weight.

    ```mlir
    %y = onnx.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
                               pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
        : (tensor<1x3x224x224xf32>, tensor<64x3x3x3xf32>, tensor<64xf32>)
        -> tensor<1x64x112x112xf32>
    ```
  }];
  let extraClassDeclaration = [{
    /// The result shape of a convolution with these operand shapes and attributes, or
    /// failure after reporting the problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> weight,
        ::llvm::ArrayRef<int64_t> strides, ::llvm::ArrayRef<int64_t> pads,
        ::llvm::ArrayRef<int64_t> dilations, int64_t group,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

def Onnx_ConvTransposeOp : Onnx_ConvBase<"conv_transpose"> {
  let summary = "N-d grouped transposed convolution (ONNX ConvTranspose)";
  let description = [{
    `input` is `N x C x D1 x ... x Dr`, `weight` is `C x M/group x k1 x ... x kr`. Output
    dim `i` is `strides[i] * (D_i - 1) + output_padding[i] + (k_i - 1) * dilations[i] + 1 -
    pads[i] - pads[r + i]`. The importer resolves `output_shape` and `auto_pad` into `pads`
    and `output_padding`; a pad may then be negative (the output grows by zeros plus bias).

    ```mlir
    %y = onnx.conv_transpose %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64,
                                     output_padding = array<i64: 0, 0>,
                                     pads = array<i64: 0, 0, 0, 0>,
                                     strides = array<i64: 2, 2>}
        : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x9x9xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, Onnx_FloatTensor:$weight,
                       Optional<Onnx_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$output_padding,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let extraClassDeclaration = [{
    /// The result shape of a transposed convolution, or failure after reporting the
    /// problem through `emitError`.
    static ::mlir::FailureOr<::llvm::SmallVector<int64_t>> inferShape(
        ::llvm::ArrayRef<int64_t> input, ::llvm::ArrayRef<int64_t> weight,
        ::llvm::ArrayRef<int64_t> strides, ::llvm::ArrayRef<int64_t> pads,
        ::llvm::ArrayRef<int64_t> dilations, ::llvm::ArrayRef<int64_t> outputPadding,
        int64_t group, ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError);
  }];
}

/// Sliding-window pooling over the spatial dims of an NC[D]HW tensor. `pads` is begin pads
/// then end pads; with `ceil_mode` the last, partial window of each dim is kept.
class Onnx_PoolBase<string mnemonic, Type tensorType, dag extraArgs>
    : Onnx_Op<mnemonic, [Pure, SameOperandsAndResultElementType], ["getFlops"]> {
  let arguments = !con((ins tensorType:$input,
                            DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                            DefaultValuedAttr<BoolAttr, "false">:$ceil_mode),
                       extraArgs);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Onnx_MaxPoolOp : Onnx_Op<"max_pool", [Pure], ["getFlops"]> {
  let summary = "max pooling (ONNX MaxPool)";
  let description = [{
    Padded positions never win (they read as -inf, or the type's minimum for integers).
    The optional second result `indices` (i64, the shape of `result`) is the position of
    each window's first maximum, flattened over the input: `(n * C + c) * S + s`, where
    `S` is the product of the spatial dims and `s` the spatial position flattened
    row-major (`storage_order = 0`) or column-major (`storage_order = 1`).

    ```mlir
    %y = onnx.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>,
                           kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>,
                           strides = array<i64: 2, 2>}
        : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    %v, %i = onnx.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>,
                               pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F16, F32, F64, I8, UI8]>:$input,
                       DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<1>]>,
                                         "0">:$storage_order);
  let results = (outs RankedTensorOf<[F16, F32, F64, I8, UI8]>:$result,
                      Optional<RankedTensorOf<[I64]>>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type(results)";
  let hasVerifier = 1;
}

def Onnx_AveragePoolOp : Onnx_PoolBase<"average_pool", Onnx_FloatTensor,
    (ins DefaultValuedAttr<BoolAttr, "false">:$count_include_pad)> {
  let summary = "average pooling (ONNX AveragePool)";
  let description = [{
    Each output is the window's sum divided by the number of positions it covers inside the
    input, or, with `count_include_pad`, inside the explicitly padded input (the extra
    positions `ceil_mode` adds never count).

    ```mlir
    %y = onnx.average_pool %x {count_include_pad = false, dilations = array<i64: 1, 1>,
                               kernel_shape = array<i64: 2, 2>,
                               pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
        : tensor<1x8x6x6xf32> -> tensor<1x8x3x3xf32>
    ```
  }];
}

/// Reduces every spatial dim of an NC[D]HW tensor to size 1.
class Onnx_GlobalPoolBase<string mnemonic, Type tensorType>
    : Onnx_Op<mnemonic, [Pure, SameOperandsAndResultElementType], ["getFlops"]> {
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Onnx_GlobalAveragePoolOp
    : Onnx_GlobalPoolBase<"global_average_pool", Onnx_FloatTensor> {
  let summary = "mean over all spatial dims (ONNX GlobalAveragePool)";
  let description = [{
    ```mlir
    %y = onnx.global_average_pool %x : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
    ```
  }];
}

def Onnx_GlobalMaxPoolOp
    : Onnx_GlobalPoolBase<"global_max_pool", Onnx_FloatTensor> {
  let summary = "maximum over all spatial dims (ONNX GlobalMaxPool)";
  let description = [{
    ```mlir
    %y = onnx.global_max_pool %x : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
    ```
  }];
}

#endif // CLEAVE_ONNX_NN_OPS_TD
