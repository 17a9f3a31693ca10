// The cleave dialect's attributes: transfers, estimates and the tensor-parallel plan.
#ifndef CLEAVE_CLEAVE_ATTRS_TD
#define CLEAVE_CLEAVE_ATTRS_TD

include "dialects/Cleave/IR/CleaveDialect.td"
include "mlir/IR/AttrTypeBase.td"

/// A double, printed as a float literal (APFloat hashes; double does not).
class Cleave_SecondsParameter<string desc> : APFloatParameter<desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value = 0;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ $_printer << $_self.convertToDouble() }];
}

class Cleave_Attr<string name, string attrMnemonic> : AttrDef<Cleave_Dialect, name> {
  let mnemonic = attrMnemonic;
}

def Cleave_TransferAttr : Cleave_Attr<"Transfer", "transfer"> {
  let summary = "a tensor crossing a pipeline cut: its name and the peer stage";
  let description = [{
    Names the tensor in the plan (unique among the plan's transfers; the artifact and the
    runtime pair a send with its receive by it) and the stage at the other end: the sender on
    a `cleave.recv` argument, the receiver on a `cleave.send` result.

    ```mlir
    %h: tensor<2x32xf32> {cleave.recv = #cleave.transfer<"h", 0>}
    ```
  }];
  let parameters = (ins "mlir::StringAttr":$name, "int64_t":$peer);
  let assemblyFormat = "`<` $name `,` $peer `>`";
  let genVerifyDecl = 1;
}

def Cleave_EstimateAttr : Cleave_Attr<"Estimate", "estimate"> {
  let summary = "the cost model's estimate for one microbatch of a stage";
  let description = [{
    Seconds are the stage's compute plus sending its outgoing cut; bytes are those its ops
    move, its parameters, its activations and what it sends.

    ```mlir
    cleave.estimate = #cleave.estimate<seconds = 1.0e-03, compute_seconds = 9.0e-04,
      send_seconds = 1.0e-04, flops = 1024, bytes = 4096, param_bytes = 512,
      activation_bytes = 2048, send_bytes = 256>
    ```
  }];
  let parameters = (ins Cleave_SecondsParameter<"">:$seconds,
                        Cleave_SecondsParameter<"">:$compute_seconds,
                        Cleave_SecondsParameter<"">:$send_seconds, "int64_t":$flops,
                        "int64_t":$bytes,
                        "int64_t":$param_bytes, "int64_t":$activation_bytes,
                        "int64_t":$send_bytes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Cleave_SplitAttr : Cleave_Attr<"Split", "split"> {
  let summary = "an op whose parameter a tensor-parallel split slices";
  let description = [{
    `how` is `column` (output features), `row` (input features: the result is a partial
    sum) or `vocab` (a lookup table's rows).

    ```mlir
    #cleave.split<node = "fc1", how = "column", weight = "w1">
    ```
  }];
  let parameters = (ins "mlir::StringAttr":$node, "mlir::StringAttr":$how,
                        "mlir::StringAttr":$weight);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Cleave_CollectiveAttr : Cleave_Attr<"Collective", "collective"> {
  let summary = "a collective a tensor-parallel split needs";
  let description = [{
    `kind` is `all_reduce_sum` or `all_gather`, `after` the node producing the value it acts
    on, `elements` the elements of the full (reduced or gathered) value.

    ```mlir
    #cleave.collective<kind = "all_reduce_sum", after = "fc2", elements = 64>
    ```
  }];
  let parameters = (ins "mlir::StringAttr":$kind, "mlir::StringAttr":$after,
                        "int64_t":$elements);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Cleave_OpGroupAttr : Cleave_Attr<"OpGroup", "op_group"> {
  let summary = "an op group that `cleave-cpu-profile-ops` times: its id and ONNX nodes";
  let description = [{
    `id` is what the group's `cleave_rt_prof_begin` / `cleave_rt_prof_end` calls pass (0, 1,
    ... in program order), `nodes` the names of the ONNX nodes whose ops the group runs, in
    program order.

    ```mlir
    #cleave.op_group<id = 0, nodes = ["conv1", "relu1"]>
    ```
  }];
  let parameters = (ins "int64_t":$id, "mlir::ArrayAttr":$nodes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // CLEAVE_CLEAVE_ATTRS_TD
