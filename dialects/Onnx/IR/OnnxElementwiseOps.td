// Elementwise ops: arithmetic, activations, comparisons, logic and casts.
#ifndef CLEAVE_ONNX_ELEMENTWISE_OPS_TD
#define CLEAVE_ONNX_ELEMENTWISE_OPS_TD

def Onnx_AddOp : Onnx_BinaryOp<"add", Onnx_NumericTensor, [Commutative]> {
  let summary = "elementwise addition with broadcasting (ONNX Add)";
  let description = [{
    ```mlir
    %y = onnx.add %a, %b : (tensor<8x256xf32>, tensor<256xf32>) -> tensor<8x256xf32>
    ```
  }];
}

def Onnx_SubOp : Onnx_BinaryOp<"sub"> {
  let summary = "elementwise subtraction with broadcasting (ONNX Sub)";
  let description = [{
    ```mlir
    %y = onnx.sub %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
}

def Onnx_MulOp : Onnx_BinaryOp<"mul", Onnx_NumericTensor, [Commutative]> {
  let summary = "elementwise multiplication with broadcasting (ONNX Mul)";
  let description = [{
    ```mlir
    %y = onnx.mul %a, %b : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
    ```
  }];
}

def Onnx_DivOp : Onnx_BinaryOp<"div"> {
  let summary = "elementwise division with broadcasting (ONNX Div)";
  let description = [{
    Integer division truncates toward zero, as onnxruntime does.

    ```mlir
    %y = onnx.div %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
}

def Onnx_ReluOp : Onnx_UnaryOp<"relu"> {
  let summary = "rectified linear unit, max(x, 0) (ONNX Relu)";
  let description = [{
    ```mlir
    %y = onnx.relu %x : tensor<8x1024xf32>
    ```
  }];
}

#endif // CLEAVE_ONNX_ELEMENTWISE_OPS_TD
