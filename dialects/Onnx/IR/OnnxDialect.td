// The onnx-level dialect: definition and base classes shared by every op family.
#ifndef CLEAVE_ONNX_DIALECT_TD
#define CLEAVE_ONNX_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::cleave::onnxir";
  let summary = "ONNX operators with static shapes, as imported by Cleave";
  let description = [{
    One op per ONNX operator, with ONNX semantics (numpy broadcasting, attributes as in the
    latest opset Cleave supports) and static, ranked tensor types. Locations are the ONNX node
    names. Weights are `onnx.parameter` ops that name the weight and hold its data as a
    resource, so textual IR never prints them in full.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 0;
}

include "dialects/Onnx/IR/OnnxInterfaces.td"

/// Base of every op. `costMethods` names the CostInterface methods the op defines itself
/// (for example ["getFlops"]); the others use the defaults.
class Onnx_Op<string mnemonic, list<Trait> traits = [], list<string> costMethods = []>
    : Op<Onnx_Dialect, mnemonic,
         traits # [DeclareOpInterfaceMethods<Onnx_CostInterface, costMethods>]>;

// Element type groups.
def Onnx_FloatTensor : RankedTensorOf<[F16, F32, F64]>;
def Onnx_IntTensor : RankedTensorOf<[I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def Onnx_NumericTensor
    : RankedTensorOf<[F16, F32, F64, I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def Onnx_BoolTensor : RankedTensorOf<[I1]>;
def Onnx_AnyTensor
    : RankedTensorOf<[F16, F32, F64, I8, I16, I32, I64, UI8, UI16, UI32, UI64, I1]>;
/// Cast's operand and result: any element type, bfloat16 included (no other op takes it).
def Onnx_CastTensor
    : RankedTensorOf<[F16, BF16, F32, F64, I8, I16, I32, I64, UI8, UI16, UI32, UI64, I1]>;
def Onnx_IndexTensor : RankedTensorOf<[I32, I64]>;

/// An elementwise op (`Onnx_Elementwise`): every op of OnnxElementwiseOps.td is one, and a
/// new elementwise op derives from this class (or the ones below) to be treated as one.
class Onnx_ElementwiseOp<string mnemonic, list<Trait> traits = [],
                         list<string> costMethods = []>
    : Onnx_Op<mnemonic, traits # [Pure, Onnx_Elementwise], costMethods>;

/// Elementwise op with numpy-style (multidirectional) broadcasting of its operands; the
/// Elementwise trait checks the broadcast and that the result has the broadcast shape.
class Onnx_BroadcastOp<string mnemonic, list<Trait> traits = []>
    : Onnx_ElementwiseOp<mnemonic, traits>;

/// Binary arithmetic: same element type in, same out, broadcast shapes.
class Onnx_BinaryOp<string mnemonic, Type operandType = Onnx_NumericTensor,
                    list<Trait> traits = []>
    : Onnx_BroadcastOp<mnemonic, traits # [SameOperandsAndResultElementType]> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

/// Comparison: same element type in, i1 out, broadcast shapes.
class Onnx_CompareOp<string mnemonic, Type operandType = Onnx_NumericTensor,
                     list<Trait> traits = []>
    : Onnx_BroadcastOp<mnemonic, traits # [SameOperandsElementType]> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Onnx_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

/// Unary elementwise op: the result has the operand's type.
class Onnx_UnaryOp<string mnemonic, Type operandType = Onnx_FloatTensor,
                   list<Trait> traits = []>
    : Onnx_ElementwiseOp<mnemonic, traits # [SameOperandsAndResultType]> {
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // CLEAVE_ONNX_DIALECT_TD
