// The pipe dialect: the dialect and its ops (transfers between pipeline stages).
#ifndef CLEAVE_PIPE_OPS_TD
#define CLEAVE_PIPE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Pipe_Dialect : Dialect {
  let name = "pipe";
  let cppNamespace = "::cleave::pipe";
  let summary = "transfers of tensors between the stages of a pipeline-parallel plan";
  let description = [{
    A pipeline stage is a function (`@stage_<k>`, with `cleave.stage = k`) that receives the
    tensors crossing its incoming cut with one `pipe.recv` at its start and sends the tensors
    crossing its outgoing cut with one `pipe.send` at its end. Transfers only go from stage k
    to stage k + 1; a tensor needed further on is forwarded by the stages in between. Every
    transferred tensor has a name, unique in the plan, that the artifact and runtime use.
  }];
}

class Pipe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pipe_Dialect, mnemonic, traits>;

def Pipe_SendOp : Pipe_Op<"send", [MemoryEffects<[MemWrite]>]> {
  let summary = "send tensors to the next pipeline stage";
  let description = [{
    Sends `values` to stage `to`, in order, each under the matching entry of `names`. In a
    function with a `cleave.stage = k` attribute, `to` must be k + 1.

    ```mlir
    pipe.send %h, %x to 1 as ["mm", "x"] : tensor<2x32xf32>, tensor<2x16xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$values, I64Attr:$to,
                       StrArrayAttr:$names);
  let assemblyFormat = "$values `to` $to `as` $names attr-dict `:` type($values)";
  let hasVerifier = 1;
}

def Pipe_RecvOp : Pipe_Op<"recv", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "receive tensors from the previous pipeline stage";
  let description = [{
    Receives one tensor per result from stage `from`, in order, each under the matching entry
    of `names`. In a function with a `cleave.stage = k` attribute, `from` must be k - 1.

    ```mlir
    %h, %x = pipe.recv from 0 as ["mm", "x"] : tensor<2x32xf32>, tensor<2x16xf32>
    ```
  }];
  let arguments = (ins I64Attr:$from, StrArrayAttr:$names);
  let results = (outs Variadic<AnyStaticShapeTensor>:$values);
  let assemblyFormat = "`from` $from `as` $names attr-dict `:` type($values)";
  let hasVerifier = 1;
}

#endif // CLEAVE_PIPE_OPS_TD
