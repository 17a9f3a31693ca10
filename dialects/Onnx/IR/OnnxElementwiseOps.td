// Elementwise ops: arithmetic, activations, comparisons, logic and casts, each carrying the
// Onnx_Elementwise trait through Onnx_ElementwiseOp.
#ifndef CLEAVE_ONNX_ELEMENTWISE_OPS_TD
#define CLEAVE_ONNX_ELEMENTWISE_OPS_TD

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

def Onnx_AddOp : Onnx_BinaryOp<"add", Onnx_NumericTensor, [Commutative]> {
  let summary = "elementwise addition with broadcasting (ONNX Add)";
  let description = [{
    ```mlir
    %y = onnx.add %a, %b : (tensor<8x256xf32>, tensor<256xf32>) -> tensor<8x256xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_SubOp : Onnx_BinaryOp<"sub"> {
  let summary = "elementwise subtraction with broadcasting (ONNX Sub)";
  let description = [{
    ```mlir
    %y = onnx.sub %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_MulOp : Onnx_BinaryOp<"mul", Onnx_NumericTensor, [Commutative]> {
  let summary = "elementwise multiplication with broadcasting (ONNX Mul)";
  let description = [{
    ```mlir
    %y = onnx.mul %a, %b : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_DivOp : Onnx_BinaryOp<"div"> {
  let summary = "elementwise division with broadcasting (ONNX Div)";
  let description = [{
    Integer division truncates toward zero, as onnxruntime does.

    ```mlir
    %y = onnx.div %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_PowOp : Onnx_BroadcastOp<"pow", [AllElementTypesMatch<["base", "result"]>]> {
  let summary = "elementwise power with broadcasting (ONNX Pow)";
  let description = [{
    The exponent may have another element type than the base; the result has the base's.
    Integer bases are computed in f64 and truncated back, as onnxruntime does for the exact
    values integer powers give.

    ```mlir
    %y = onnx.pow %x, %e : (tensor<4xf32>, tensor<i64>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$base, Onnx_NumericTensor:$exponent);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$base `,` $exponent attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Onnx_ModOp : Onnx_BroadcastOp<"mod", [SameOperandsAndResultElementType]> {
  let summary = "elementwise remainder with broadcasting (ONNX Mod)";
  let description = [{
    With `fmod` the remainder has the sign of the dividend (C's fmod, required for floats);
    without, it has the sign of the divisor (Python's %).

    ```mlir
    %y = onnx.mod %a, %b {fmod = false} : (tensor<6xi32>, tensor<6xi32>) -> tensor<6xi32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$lhs, Onnx_NumericTensor:$rhs, BoolAttr:$fmod);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Onnx_BitShiftOp : Onnx_BroadcastOp<"bit_shift", [SameOperandsAndResultElementType]> {
  let summary = "elementwise logical shift of unsigned integers with broadcasting (ONNX BitShift)";
  let description = [{
    A shift by the bit width or more gives 0.

    ```mlir
    %y = onnx.bit_shift %a, %b {left = true} : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
    ```
  }];
  let arguments = (ins RankedTensorOf<[UI8, UI16, UI32, UI64]>:$lhs,
                       RankedTensorOf<[UI8, UI16, UI32, UI64]>:$rhs, BoolAttr:$left);
  let results = (outs RankedTensorOf<[UI8, UI16, UI32, UI64]>:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Onnx_MinOp : Onnx_ElementwiseOp<"min", [SameOperandsAndResultElementType], ["getFlops"]> {
  let summary = "elementwise minimum of one or more tensors with broadcasting (ONNX Min)";
  let description = [{
    A NaN in any operand gives NaN, as onnxruntime does.

    ```mlir
    %y = onnx.min %a, %b, %c : (tensor<3xf32>, tensor<3xf32>, tensor<1xf32>) -> tensor<3xf32>
    ```
  }];
  let arguments = (ins Variadic<Onnx_NumericTensor>:$inputs);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Onnx_MaxOp : Onnx_ElementwiseOp<"max", [SameOperandsAndResultElementType], ["getFlops"]> {
  let summary = "elementwise maximum of one or more tensors with broadcasting (ONNX Max)";
  let description = [{
    A NaN in any operand gives NaN, as onnxruntime does.

    ```mlir
    %y = onnx.max %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Variadic<Onnx_NumericTensor>:$inputs);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Unary math
//===----------------------------------------------------------------------===//

def Onnx_NegOp : Onnx_UnaryOp<"neg", Onnx_NumericTensor> {
  let summary = "elementwise negation (ONNX Neg)";
  let description = [{
    ```mlir
    %y = onnx.neg %x : tensor<4xi64>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_AbsOp : Onnx_UnaryOp<"abs", Onnx_NumericTensor> {
  let summary = "elementwise absolute value (ONNX Abs)";
  let description = [{
    ```mlir
    %y = onnx.abs %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_SqrtOp : Onnx_UnaryOp<"sqrt"> {
  let summary = "elementwise square root (ONNX Sqrt)";
  let description = [{
    ```mlir
    %y = onnx.sqrt %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_ExpOp : Onnx_UnaryOp<"exp"> {
  let summary = "elementwise natural exponential (ONNX Exp)";
  let description = [{
    ```mlir
    %y = onnx.exp %x : tensor<4xf32>
    ```
  }];
}

def Onnx_LogOp : Onnx_UnaryOp<"log"> {
  let summary = "elementwise natural logarithm (ONNX Log)";
  let description = [{
    ```mlir
    %y = onnx.log %x : tensor<4xf32>
    ```
  }];
}

def Onnx_ReciprocalOp : Onnx_UnaryOp<"reciprocal"> {
  let summary = "elementwise reciprocal, 1/x (ONNX Reciprocal)";
  let description = [{
    ```mlir
    %y = onnx.reciprocal %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_TanhOp : Onnx_UnaryOp<"tanh"> {
  let summary = "elementwise hyperbolic tangent (ONNX Tanh)";
  let description = [{
    ```mlir
    %y = onnx.tanh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_ErfOp : Onnx_UnaryOp<"erf"> {
  let summary = "elementwise Gauss error function (ONNX Erf)";
  let description = [{
    ```mlir
    %y = onnx.erf %x : tensor<4xf32>
    ```
  }];
}

def Onnx_FloorOp : Onnx_UnaryOp<"floor"> {
  let summary = "elementwise round down to an integer value (ONNX Floor)";
  let description = [{
    ```mlir
    %y = onnx.floor %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_CeilOp : Onnx_UnaryOp<"ceil"> {
  let summary = "elementwise round up to an integer value (ONNX Ceil)";
  let description = [{
    ```mlir
    %y = onnx.ceil %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_RoundOp : Onnx_UnaryOp<"round"> {
  let summary = "elementwise round to the nearest integer value, halves to even (ONNX Round)";
  let description = [{
    ```mlir
    %y = onnx.round %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_SignOp : Onnx_UnaryOp<"sign"> {
  let summary = "elementwise -1, 0 or 1 by the sign of x (ONNX Sign)";
  let description = [{
    ```mlir
    %y = onnx.sign %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_SinOp : Onnx_UnaryOp<"sin"> {
  let summary = "elementwise sine (ONNX Sin)";
  let description = [{
    ```mlir
    %y = onnx.sin %x : tensor<4xf32>
    ```
  }];
}

def Onnx_CosOp : Onnx_UnaryOp<"cos"> {
  let summary = "elementwise cosine (ONNX Cos)";
  let description = [{
    ```mlir
    %y = onnx.cos %x : tensor<4xf32>
    ```
  }];
}

def Onnx_TanOp : Onnx_UnaryOp<"tan"> {
  let summary = "elementwise tangent (ONNX Tan)";
  let description = [{
    ```mlir
    %y = onnx.tan %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AsinOp : Onnx_UnaryOp<"asin"> {
  let summary = "elementwise arcsine (ONNX Asin)";
  let description = [{
    ```mlir
    %y = onnx.asin %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AcosOp : Onnx_UnaryOp<"acos"> {
  let summary = "elementwise arccosine (ONNX Acos)";
  let description = [{
    ```mlir
    %y = onnx.acos %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AtanOp : Onnx_UnaryOp<"atan"> {
  let summary = "elementwise arctangent (ONNX Atan)";
  let description = [{
    ```mlir
    %y = onnx.atan %x : tensor<4xf32>
    ```
  }];
}

def Onnx_SinhOp : Onnx_UnaryOp<"sinh"> {
  let summary = "elementwise hyperbolic sine (ONNX Sinh)";
  let description = [{
    ```mlir
    %y = onnx.sinh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_CoshOp : Onnx_UnaryOp<"cosh"> {
  let summary = "elementwise hyperbolic cosine (ONNX Cosh)";
  let description = [{
    ```mlir
    %y = onnx.cosh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AsinhOp : Onnx_UnaryOp<"asinh"> {
  let summary = "elementwise inverse hyperbolic sine (ONNX Asinh)";
  let description = [{
    ```mlir
    %y = onnx.asinh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AcoshOp : Onnx_UnaryOp<"acosh"> {
  let summary = "elementwise inverse hyperbolic cosine (ONNX Acosh)";
  let description = [{
    ```mlir
    %y = onnx.acosh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_AtanhOp : Onnx_UnaryOp<"atanh"> {
  let summary = "elementwise inverse hyperbolic tangent (ONNX Atanh)";
  let description = [{
    ```mlir
    %y = onnx.atanh %x : tensor<4xf32>
    ```
  }];
}

def Onnx_IsNaNOp : Onnx_ElementwiseOp<"is_nan", [SameOperandsAndResultShape]> {
  let summary = "elementwise test for NaN (ONNX IsNaN)";
  let description = [{
    ```mlir
    %y = onnx.is_nan %x : tensor<4xf32> -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input);
  let results = (outs Onnx_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Onnx_IsInfOp : Onnx_ElementwiseOp<"is_inf", [SameOperandsAndResultShape]> {
  let summary = "elementwise test for infinity (ONNX IsInf)";
  let description = [{
    `detect_positive` and `detect_negative` choose which infinities count.

    ```mlir
    %y = onnx.is_inf %x {detect_negative = true, detect_positive = false}
        : tensor<4xf32> -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, BoolAttr:$detect_negative,
                       BoolAttr:$detect_positive);
  let results = (outs Onnx_BoolTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Onnx_SoftplusOp : Onnx_UnaryOp<"softplus"> {
  let summary = "elementwise log(exp(x) + 1) (ONNX Softplus)";
  let description = [{
    ```mlir
    %y = onnx.softplus %x : tensor<4xf32>
    ```
  }];
}

def Onnx_SoftsignOp : Onnx_UnaryOp<"softsign"> {
  let summary = "elementwise x / (1 + |x|) (ONNX Softsign)";
  let description = [{
    ```mlir
    %y = onnx.softsign %x : tensor<4xf32>
    ```
  }];
}

def Onnx_EluOp : Onnx_ElementwiseOp<"elu", [SameOperandsAndResultType], ["getFlops"]> {
  let summary = "exponential linear unit: x if x >= 0, else alpha * (exp(x) - 1) (ONNX Elu)";
  let description = [{
    ```mlir
    %y = onnx.elu %x {alpha = 1.000000e+00 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_SeluOp : Onnx_ElementwiseOp<"selu", [SameOperandsAndResultType], ["getFlops"]> {
  let summary = "scaled exponential linear unit: gamma * (x if x > 0, else alpha * (exp(x) - 1)) (ONNX Selu)";
  let description = [{
    ```mlir
    %y = onnx.selu %x {alpha = 1.67326 : f32, gamma = 1.0507 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha, F32Attr:$gamma);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def Onnx_ReluOp : Onnx_UnaryOp<"relu", Onnx_NumericTensor> {
  let summary = "rectified linear unit, max(x, 0) (ONNX Relu)";
  let description = [{
    Signed integer inputs are accepted, as in opset 14.

    ```mlir
    %y = onnx.relu %x : tensor<8x1024xf32>
    ```
  }];
}

def Onnx_LeakyReluOp : Onnx_ElementwiseOp<"leaky_relu", [SameOperandsAndResultType],
                                          ["getFlops"]> {
  let summary = "leaky rectified linear unit: x if x >= 0, else alpha * x (ONNX LeakyRelu)";
  let description = [{
    ```mlir
    %y = onnx.leaky_relu %x {alpha = 1.000000e-01 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_SigmoidOp : Onnx_ElementwiseOp<"sigmoid", [SameOperandsAndResultType],
                                        ["getFlops"]> {
  let summary = "logistic function, 1 / (1 + exp(-x)) (ONNX Sigmoid)";
  let description = [{
    ```mlir
    %y = onnx.sigmoid %x : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_HardSigmoidOp : Onnx_ElementwiseOp<"hard_sigmoid", [SameOperandsAndResultType],
                                            ["getFlops"]> {
  let summary = "max(0, min(1, alpha * x + beta)) (ONNX HardSigmoid)";
  let description = [{
    ```mlir
    %y = onnx.hard_sigmoid %x {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
        : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_HardSwishOp : Onnx_ElementwiseOp<"hard_swish", [SameOperandsAndResultType],
                                          ["getFlops"]> {
  let summary = "x * max(0, min(1, x / 6 + 0.5)) (ONNX HardSwish)";
  let description = [{
    ```mlir
    %y = onnx.hard_swish %x : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_CeluOp : Onnx_ElementwiseOp<"celu", [SameOperandsAndResultType], ["getFlops"]> {
  let summary = "continuously differentiable exponential linear unit: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (ONNX Celu)";
  let description = [{
    ```mlir
    %y = onnx.celu %x {alpha = 2.000000e+00 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_ThresholdedReluOp : Onnx_ElementwiseOp<"thresholded_relu",
                                                [SameOperandsAndResultType]> {
  let summary = "x if x > alpha, else 0 (ONNX ThresholdedRelu)";
  let description = [{
    ```mlir
    %y = onnx.thresholded_relu %x {alpha = 1.000000e+00 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_ShrinkOp : Onnx_ElementwiseOp<"shrink", [SameOperandsAndResultType]> {
  let summary = "x - bias if x > lambd, x + bias if x < -lambd, else 0 (ONNX Shrink)";
  let description = [{
    ```mlir
    %y = onnx.shrink %x {bias = 0.000000e+00 : f32, lambd = 1.500000e+00 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_FloatTensor:$input, F32Attr:$bias, F32Attr:$lambd);
  let results = (outs Onnx_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Onnx_PReluOp : Onnx_BinaryOp<"prelu"> {
  let summary = "x if x >= 0, else slope * x, the slope broadcast to x (ONNX PRelu)";
  let description = [{
    ```mlir
    %y = onnx.prelu %x, %slope : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32>
    ```
  }];
}

def Onnx_ClipOp : Onnx_ElementwiseOp<"clip", [AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>], ["getFlops"]> {
  let summary = "clamp to [min, max]; either bound may be absent (ONNX Clip)";
  let description = [{
    The bounds are rank-0 tensors of the input's element type, so they need not be
    compile-time constants. As onnxruntime, `max` applies after `min`, so min > max gives
    max everywhere.

    ```mlir
    %y = onnx.clip %x min %lo max %hi
        : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
    %z = onnx.clip %x max %hi : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_NumericTensor:$input,
                       Optional<Onnx_NumericTensor>:$min,
                       Optional<Onnx_NumericTensor>:$max);
  let results = (outs Onnx_NumericTensor:$result);
  let assemblyFormat = [{
    $input (`min` $min^)? (`max` $max^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Comparisons, logic and selection
//===----------------------------------------------------------------------===//

def Onnx_EqualOp : Onnx_CompareOp<"equal", Onnx_AnyTensor, [Commutative]> {
  let summary = "elementwise equality with broadcasting (ONNX Equal)";
  let description = [{
    ```mlir
    %y = onnx.equal %a, %b : (tensor<4xi64>, tensor<i64>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_LessOp : Onnx_CompareOp<"less"> {
  let summary = "elementwise a < b with broadcasting (ONNX Less)";
  let description = [{
    ```mlir
    %y = onnx.less %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_LessOrEqualOp : Onnx_CompareOp<"less_or_equal"> {
  let summary = "elementwise a <= b with broadcasting (ONNX LessOrEqual)";
  let description = [{
    ```mlir
    %y = onnx.less_or_equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_GreaterOp : Onnx_CompareOp<"greater"> {
  let summary = "elementwise a > b with broadcasting (ONNX Greater)";
  let description = [{
    ```mlir
    %y = onnx.greater %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_GreaterOrEqualOp : Onnx_CompareOp<"greater_or_equal"> {
  let summary = "elementwise a >= b with broadcasting (ONNX GreaterOrEqual)";
  let description = [{
    ```mlir
    %y = onnx.greater_or_equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_NotOp : Onnx_UnaryOp<"not", Onnx_BoolTensor> {
  let summary = "elementwise logical negation (ONNX Not)";
  let description = [{
    ```mlir
    %y = onnx.not %x : tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_AndOp : Onnx_BinaryOp<"and", Onnx_BoolTensor, [Commutative]> {
  let summary = "elementwise logical and with broadcasting (ONNX And)";
  let description = [{
    ```mlir
    %y = onnx.and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_OrOp : Onnx_BinaryOp<"or", Onnx_BoolTensor, [Commutative]> {
  let summary = "elementwise logical or with broadcasting (ONNX Or)";
  let description = [{
    ```mlir
    %y = onnx.or %a, %b : (tensor<4xi1>, tensor<i1>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_XorOp : Onnx_BinaryOp<"xor", Onnx_BoolTensor, [Commutative]> {
  let summary = "elementwise logical exclusive or with broadcasting (ONNX Xor)";
  let description = [{
    ```mlir
    %y = onnx.xor %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
    ```
  }];
  let hasFolder = 1;
}

def Onnx_WhereOp : Onnx_BroadcastOp<"where",
    [AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "elementwise select, condition ? lhs : rhs, with broadcasting (ONNX Where)";
  let description = [{
    The branches have one element type; the result's shape broadcasts all three operands.

    ```mlir
    %y = onnx.where %c, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Onnx_BoolTensor:$condition, Onnx_AnyTensor:$lhs, Onnx_AnyTensor:$rhs);
  let results = (outs Onnx_AnyTensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Casts and identities
//===----------------------------------------------------------------------===//

def Onnx_CastOp : Onnx_ElementwiseOp<"cast", [SameOperandsAndResultShape]> {
  let summary = "elementwise conversion to the result's element type (ONNX Cast)";
  let description = [{
    Float to integer truncates toward zero; float to bool is x != 0 (NaN is true); bool to
    a number is 0 or 1; integers are sign- or zero-extended according to their own
    signedness, and wrap when narrowed. Cast is the one op that takes and gives bfloat16:
    it converts through f32, and narrowing to bfloat16 truncates the mantissa (as ONNX's
    reference outputs for Cast-13 do).

    ```mlir
    %y = onnx.cast %x : tensor<4xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Onnx_CastTensor:$input);
  let results = (outs Onnx_CastTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Onnx_IdentityOp : Onnx_UnaryOp<"identity", Onnx_AnyTensor> {
  let summary = "the input, unchanged (ONNX Identity, and Dropout at inference)";
  let description = [{
    ```mlir
    %y = onnx.identity %x : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

#endif // CLEAVE_ONNX_ELEMENTWISE_OPS_TD
