// Neural-network ops: matmul/gemm, convolution, pooling, normalisation, softmax, reductions.
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
}

#endif // CLEAVE_ONNX_NN_OPS_TD
