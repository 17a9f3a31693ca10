// Cleave's compiler passes.
#ifndef CLEAVE_COMPILER_PASSES_TD
#define CLEAVE_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOnnxToLinalgPass : Pass<"cleave-convert-onnx-to-linalg", "mlir::ModuleOp"> {
  let summary = "lower the onnx-level dialect to linalg, tensor, arith and math";
  let description = [{
    Every onnx op becomes upstream ops on tensors: elementwise ops one `linalg.generic` each
    (with broadcasting indexing maps, so later fusion merges chains of them), matmul and
    convolution named linalg ops that tiling schedules recognise, shape ops `tensor` ops.
    Unsigned element types become signless, as arith requires. Example:

    ```mlir
    %y = onnx.relu %x : tensor<4xf32>
    // becomes
    %e = tensor.empty() : tensor<4xf32>
    %y = linalg.generic {...} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
      ^bb0(%a: f32, %b: f32):
        %m = arith.maximumf %a, %cst : f32
        linalg.yield %m : f32
    } -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect", "mlir::math::MathDialect",
                           "mlir::scf::SCFDialect"];
}

def FoldParameterTransposesPass
    : Pass<"cleave-fold-parameter-transposes", "mlir::ModuleOp"> {
  let summary = "transpose weights at compile time instead of at every run";
  let description = [{
    A `linalg.transpose` of an `onnx.parameter` (Gemm with transB = 1, a Transpose of a
    weight) becomes a parameter whose stored data is already transposed. A parameter with
    other users keeps its data and gains a transposed copy named `<name>.T`.

    ```mlir
    %w = onnx.parameter "fc.weight" dense_resource<param> : tensor<1000x512xf32>
    %t = linalg.transpose ins(%w : ...) outs(%e : tensor<512x1000xf32>) permutation = [1, 0]
    // becomes
    %t = onnx.parameter "fc.weight" dense_resource<param> : tensor<512x1000xf32>
    ```
  }];
}

def FuseElementwisePass : Pass<"cleave-fuse-elementwise"> {
  let summary = "fuse elementwise linalg ops, leaving contractions as they are";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` (producer-consumer fusion of elementwise
    generics, reshapes folded by expansion, constant folding), except that no op is fused
    into or out of a contraction (`linalg.matmul`, `linalg.batch_matmul`, or a generic that
    computes one) and no reshape is folded through one: the CPU schedules tile and vectorise
    contractions only in their plain form, and a matmul that absorbed a transpose, a
    softmax's division or a head reshape would run as scalar loops.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect"];
}

def ParametersToArgumentsPass : Pass<"cleave-parameters-to-arguments", "mlir::ModuleOp"> {
  let summary = "turn onnx.parameter ops into arguments of the entry function";
  let description = [{
    Weights are not compiled into code: each `onnx.parameter` in `@main` becomes a function
    argument placed after the graph inputs, tagged `cleave.param = "<name>"` and carrying its
    data as `cleave.param_value` (which the artifact writer takes, and removes), so that the
    runtime passes a pointer into the artifact's mapped parameter section.

    ```mlir
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
      %w = onnx.parameter "w" dense_resource<param> : tensor<4xf32>
      ...
    // becomes
    func.func @main(%x: tensor<4xf32>, %w: tensor<4xf32> {cleave.param = "w"}) -> ...
    ```
  }];
  let dependentDialects = ["cleave::plan::CleaveDialect"];
}

def CpuEntryPointsPass : Pass<"cleave-cpu-entry-points", "mlir::ModuleOp"> {
  let summary = "add the runtime's C entry points to a module lowered to the LLVM dialect";
  let description = [{
    The runtime calls `void cleave_stage_N(void *ctx, void **args)` (see
    docs/artifact-format.md). This pass adds that function, which loads each buffer pointer
    from `args` and calls the bare-pointer stage function, and `cleave_abi_version()`.
    A module with OpenMP parallel regions also gets `void cleave_set_num_threads(int)`,
    which keeps the runtime's thread count in a global and calls `omp_set_num_threads`;
    the entry point applies the count again on the thread that runs the stage.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", "\"cleave_stage_0\"",
           "name of the C entry point to create">,
    Option<"implName", "impl", "std::string", "\"main\"",
           "name of the lowered stage function it calls">,
  ];
  let dependentDialects = ["cleave::plan::CleaveDialect", "mlir::LLVM::LLVMDialect"];
}

def CpuZeroSizeBoundariesPass
    : Pass<"cleave-cpu-zero-size-boundaries", "mlir::ModuleOp"> {
  let summary = "give zero-size arguments and results of functions rank 1";
  let description = [{
    Upstream's bare-pointer calling convention only lowers memrefs whose strides it can
    compute, and a zero-size memref with its zero after the leading dimension
    (`memref<3x0x5xi64>`) has none, so the stage function would stay unlowered. A zero-size
    tensor holds no data, so nothing is lost by passing it as `tensor<0xT>`: each such
    argument is replaced inside the function by a `tensor.empty` of its shape, and each such
    result by a `tensor.empty() : tensor<0xT>`, which leaves whatever computed it dead. The
    runtime passes one pointer per buffer whatever its type, so the ABI is unchanged.

    ```mlir
    func.func @main(%x: tensor<3x0x5xi64>) -> tensor<3x0x5xi64> {
      %y = linalg.generic ... ins(%x : tensor<3x0x5xi64>) ...
      return %y : tensor<3x0x5xi64>
    }
    // becomes
    func.func @main(%x: tensor<0xi64>) -> tensor<0xi64> {
      %e = tensor.empty() : tensor<3x0x5xi64>
      %y = linalg.generic ... ins(%e : tensor<3x0x5xi64>) ...
      %r = tensor.empty() : tensor<0xi64>
      return %r : tensor<0xi64>
    }
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def CpuConvToMatmulPass : Pass<"cleave-cpu-conv-to-matmul", "mlir::ModuleOp"> {
  let summary = "rewrite 1-D and 2-D convolutions as im2col + matmul";
  let description = [{
    A `linalg.conv_2d_nchw_fchw` with batch 1 becomes a copy into a column matrix
    `col[C*KH*KW, OH*OW]` (a `linalg.generic` whose input map is the convolution's window,
    so it needs no index arithmetic), a `linalg.matmul` of the weights `[F, C*KH*KW]` with it,
    and a reshape to `[1, F, OH, OW]`. So that the matmul schedule's register tiles divide the
    column count, the first multiple of 16 columns multiply in place and the rest (fewer than
    16) are padded to 16 in a small copy and multiplied by a second matmul. The matmul then gets the tiled, vectorised matmul schedule.
    A 1x1 convolution at stride 1 uses its input as the column matrix (no copy).

    With a batch N > 1 the convolution becomes an `scf.for` over the samples whose body
    extracts one sample and its accumulator, convolves them at batch 1 (so the same
    im2col + matmul), and inserts the result. A `linalg.conv_1d_ncw_fcw` is first reshaped
    into a 2-D convolution of height 1; a grouped `linalg.conv_2d_ngchw_gfchw` into an
    `scf.for` over the groups whose body is the plain convolution of one group.

    ```mlir
    %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>)
           outs(%init : tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    // becomes
    %col = linalg.generic ... -> tensor<64x3x3x56x56xf32>
    %mm = linalg.matmul ins(%w2, %col2 : tensor<64x576xf32>, tensor<576x3136xf32>) ...
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
                           "mlir::scf::SCFDialect", "mlir::arith::ArithDialect"];
}

def CpuCopiesToLinalgPass : Pass<"cleave-cpu-copies-to-linalg", "mlir::ModuleOp"> {
  let summary = "rewrite memref.copy as linalg.copy";
  let description = [{
    The LLVM lowering turns a `memref.copy` between non-contiguous views into a call to
    MLIR's `memrefCopy` runtime helper, which Cleave's shared objects do not link. As a
    `linalg.copy` the copy becomes loops like every other structured op.

    ```mlir
    memref.copy %a, %b : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
    // becomes
    linalg.copy ins(%a : memref<4x4xf32, strided<[8, 1]>>) outs(%b : memref<4x4xf32>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CpuProfileOpsPass : Pass<"cleave-cpu-profile-ops", "mlir::ModuleOp"> {
  let summary = "bracket each op group of @main with calls that time it (--profile-ops)";
  let description = [{
    Runs after bufferization, on `@main`'s top-level ops. An op group is a maximal run of
    consecutive ops that do work (write memory, call, or hold a region) and come from the
    same ONNX nodes (the `NameLoc`s in the locations of the op and its nested ops: a fused
    elementwise op carries every node fused into it). Ops of no node (copies into results)
    join the group before them; allocations, deallocations, views and pure ops belong to no
    group. Each group gets `call @cleave_rt_prof_begin(%ctx, id)` before its first op and
    `call @cleave_rt_prof_end(%ctx, id)` after its last, ids 0, 1, ... in program order, and
    the module records the groups as `cleave.op_groups` (an array of `#cleave.op_group`),
    which the compiler writes to the manifest. `@main` gains the context argument as for
    `cleave-lower-collectives`; `cleave-cpu-entry-points` defines both functions as calls
    through their slots of the runtime table. Code compiled without `--profile-ops` does
    not run this pass and is unchanged.

    ```mlir
    linalg.matmul {..} loc("fc1")
    linalg.generic {..} loc(fused["bias1", "relu1"])
    // becomes
    call @cleave_rt_prof_begin(%ctx, %c0_i32) : (!llvm.ptr, i32) -> ()
    linalg.matmul {..}
    call @cleave_rt_prof_end(%ctx, %c0_i32) : (!llvm.ptr, i32) -> ()
    call @cleave_rt_prof_begin(%ctx, %c1_i32) : (!llvm.ptr, i32) -> ()
    linalg.generic {..}
    call @cleave_rt_prof_end(%ctx, %c1_i32) : (!llvm.ptr, i32) -> ()
    // module attributes {cleave.op_groups = [#cleave.op_group<id = 0, nodes = ["fc1"]>,
    //   #cleave.op_group<id = 1, nodes = ["bias1", "relu1"]>]}
    ```
  }];
  let dependentDialects = ["cleave::plan::CleaveDialect", "mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

def CpuApproximateMathPass : Pass<"cleave-cpu-approximate-math"> {
  let summary = "inline polynomial approximations of exp, tanh, erf, log and friends (f32)";
  let description = [{
    Upstream's polynomial approximations replace `math` ops on f32 that would otherwise
    become calls of libm (`expf`, `tanhf`, `erff`, `logf`, ...), so that the loops holding
    them (softmax, GELU, sigmoid) stay free of calls and LLVM vectorises them.
  }];
  let dependentDialects = ["mlir::math::MathDialect", "mlir::arith::ArithDialect",
                           "mlir::vector::VectorDialect"];
}

def CpuTileAndVectorizePass : Pass<"cleave-cpu-tile-and-vectorize", "mlir::ModuleOp"> {
  let summary = "apply Cleave's CPU transform-dialect schedules";
  let description = [{
    Runs the schedules in `compiler/codegen/cpu/CpuSchedules.cpp` with the transform
    interpreter. Phase `tensor` (before bufferization) tiles matmuls for the caches, the
    parallel dims (batch, M, N) with `scf.forall` (which the CPU pipeline turns into OpenMP
    worksharing loops) and K with `scf.for`, then into 8x32 register tiles over k = 1, and
    vectorises each tile (masked where a tile is partial); phase `buffer` (after
    bufferization) hoists the accumulator's loads and stores out of the k loop (Cleave's own
    hoisting: a tile whose buffer has no other access in the loop is carried as a loop value,
    even if the buffer is viewed elsewhere, where upstream's gives up) and lowers vector
    contractions to outer products (FMAs). Phase `tensor` also splits all-parallel
    generics of at least 64K elements into at most 16 `scf.forall` chunks.

    ```mlir
    %r = linalg.matmul ins(%a, %b : ...) outs(%c : ...)
    // becomes, in phase tensor, loops over 8x32 tiles of
    %v = vector.contract ... : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    ```
  }];
  let options = [
    Option<"phase", "phase", "std::string", "\"tensor\"",
           "which schedule to apply: tensor or buffer">,
  ];
  let dependentDialects = ["cleave::plan::CleaveDialect", "mlir::transform::TransformDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect"];
}

def PrintCostPass : Pass<"cleave-print-cost", "mlir::ModuleOp"> {
  let summary = "print the cost model's estimate for every onnx op";
  let description = [{
    For every op with a cost (constants and parameters have none) prints, on stdout, its
    node name, FLOPs, bytes touched, bytes of the parameters it uses and its roofline time on
    `device` (docs/partitioning.md), then a total per function. The IR is unchanged.

    ```
    $ cleave-opt model.mlir --cleave-print-cost=device=cpu:0 -o /dev/null
    cost on cpu:0: 100 GFLOP/s, 40 GB/s
    @main 'mm' onnx.matmul flops=8388608 bytes=393216 param_bytes=262144 time_us=83.886
    @main total flops=8388608 bytes=393216 param_bytes=262144 time_us=83.886
    ```
  }];
  let options = [
    Option<"device", "device", "std::string", "\"cpu:0\"",
           "the device to estimate for (KIND:INDEX)">,
    Option<"deviceFile", "device-file", "std::string", "\"\"",
           "a device file overriding the device's capabilities">,
  ];
}

def PartitionPipelinePass : Pass<"cleave-partition-pipeline", "mlir::ModuleOp"> {
  let summary = "split @main into pipeline stages balanced by the cost model";
  let description = [{
    Assigns contiguous ranges of @main's ops (in their topological order) to `stages`
    stages, stage k on device k of `devices`, by dynamic programming that minimises the
    slowest stage (its compute time plus the time to send its outgoing cut) within each
    device's memory (parameters plus activations). Then replaces @main by one function per
    stage: `pipe.recv` at the start, `pipe.send` at the end, tensors needed by a later stage
    forwarded through the ones between, constants and parameters cloned into every stage
    that uses them. See docs/partitioning.md.

    ```mlir
    func.func @stage_0(%x: tensor<2x16xf32> {onnx.name = "x"})
        attributes {cleave.device = "cpu:0", cleave.estimate = {...}, cleave.stage = 0 : i64} {
      ...
      pipe.send %h, %x to 1 as ["mm", "x"] : tensor<2x32xf32>, tensor<2x16xf32>
      return
    }
    func.func @stage_1() -> (tensor<2x16xf32> {onnx.name = "y"}) attributes {...} {
      %h, %x = pipe.recv from 0 as ["mm", "x"] : tensor<2x32xf32>, tensor<2x16xf32>
      ...
    }
    ```
  }];
  let options = [
    Option<"stages", "stages", "int64_t", "0",
           "number of stages (default: the number of devices)">,
    Option<"devices", "devices", "std::string", "\"\"",
           "the devices, as in --devices (default: cpu:0 to cpu:<stages-1>)">,
    Option<"deviceFile", "device-file", "std::string", "\"\"",
           "a device file giving the devices' capabilities and the link">,
  ];
  let dependentDialects = ["cleave::plan::CleaveDialect", "cleave::pipe::PipeDialect",
                           "mlir::func::FuncDialect"];
}

def SplitStagesPass : Pass<"cleave-split-stages", "mlir::ModuleOp"> {
  let summary = "split a partitioned module into one nested module per stage";
  let description = [{
    Shows what code generation receives for each stage (`splitStages` in
    compiler/partition/SplitStages.h): each `@stage_<k>` becomes `module @stage_<k>` holding
    `func.func @main` whose leading arguments are the received tensors
    (`cleave.recv = {from, name}`) and whose results include the sent ones
    (`cleave.send = {name, to}`).

    ```mlir
    module @stage_1 {
      func.func @main(%h: tensor<2x32xf32> {cleave.recv = {from = 0 : i64, name = "mm"}})
          -> (tensor<2x32xf32> {cleave.send = {name = "relu", to = 2 : i64}}) ...
    }
    ```
  }];
  let dependentDialects = ["cleave::plan::CleaveDialect"];
}


def GpuMergeKernelModulesPass
    : Pass<"cleave-gpu-merge-kernel-modules", "mlir::ModuleOp"> {
  let summary = "move every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts each kernel in a `gpu.module` of its own, and
    `gpu-module-to-binary` then makes one binary per module. A stage's code section holds one
    binary (one cubin or hsaco with every kernel of the stage), so the kernels are gathered
    into `gpu.module @cleave_kernels`, each renamed after the module it came from (its name is
    unique in the host module), and the launches are updated.

    ```mlir
    gpu.module @main_kernel_0 { gpu.func @main_kernel(...) kernel {...} }
    gpu.launch_func @main_kernel_0::@main_kernel ...
    // becomes
    gpu.module @cleave_kernels { gpu.func @main_kernel_0(...) kernel {...} }
    gpu.launch_func @cleave_kernels::@main_kernel_0 ...
    ```
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def GpuSchedulesPass : Pass<"cleave-gpu-schedules"> {
  let summary = "turn structured ops on buffers into GPU kernels";
  let description = [{
    Three schedules for statically shaped linalg ops on buffers, each op becoming one
    gpu.launch; ops with dynamic or zero-size dims are left to upstream's mapping.

    Contractions (a body `out + a * b`; matmuls, batched matmuls and 2-D convolutions):
    loop dims are grouped into batch (used by both inputs), m (first input only), n (second
    input only) and k (reduced). A block of 16x16 threads computes a 64x64 (32x32 where
    that gives fewer than 128 blocks) tile of (m, n) for one batch index; the k dims advance
    16 at a time through shared-memory copies of both operand tiles, each thread
    accumulating a 4x4 (2x2) micro-tile strided by 16 in a private buffer (registers).
    The kernel computes the op right before it that writes its output buffer (a fill, a
    broadcast bias) and applies the elementwise op right after it that reads the result
    (bias, activation, residual) in its epilogue, when no block could see the other's
    writes. A convolution's input window is read
    through its indexing map, so no im2col buffer is materialised.

    Reductions (a body `combine(x, out)` with add, mul, max or min, over at least 32
    elements): a block per output element; each thread folds a strided share of the
    reduced elements, then a tree in shared memory combines the partial results.

    Everything else: one thread per output element, the parallel dims linearised over
    blocks of 256 threads, the reduction dims (if any) a loop in the thread.

    ```mlir
    linalg.matmul ins(%a, %b : memref<64x256xf32>, memref<256x64xf32>)
                  outs(%c : memref<64x64xf32>)
    // becomes
    gpu.launch blocks(...) in (%gx = %c2, %gy = %c2, %gz = %c1)
               threads(...) in (%tx = %c256, ...)
               workgroup(%ta : memref<32x16xf32, #gpu.address_space<workgroup>>, ...) {
      scf.for %k0 = %c0 to %c256 step %c16 {
        scf.for %e = %tx to %c512 step %c256 { ... copy A and B tiles ... }
        gpu.barrier
        scf.for %t = %tx to %c256 step %c256 { ... 2x2 micro-tile ... }
        gpu.barrier
      }
      ...
    }
    ```

    With `serial`, the same schedules become loops over the blocks and, in order, over
    each step's work items, with the shared buffers on the stack (private ones with a
    leading dim over the threads): the CPU can then run the
    GPU kernels' tiling, indexing, guards and reduction trees and check them against a
    reference (`cleave-compile --emulate-gpu-kernels`).
  }];
  let options = [
    Option<"serial", "serial", "bool", "false",
           "emit loops for the host instead of gpu.launch">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect", "mlir::arith::ArithDialect",
                           "mlir::affine::AffineDialect"];
}

def TensorParallelPass : Pass<"cleave-tensor-parallel", "mlir::ModuleOp"> {
  let summary = "split @main over the ranks of a tensor-parallel group, for one rank";
  let description = [{
    Rewrites the onnx-level @main into rank `rank`'s part of a `tp`-way tensor-parallel
    split (`applyTensorParallel` in compiler/partition/TensorParallel.h). Splits start at
    ops with a parameter weight (MatMul/Gemm by output columns, Conv by output channels,
    an embedding Gather by vocabulary rows) and propagate through the ops that work on a
    split tensor (elementwise ops, reshapes, transposes, block slices, softmax and
    normalisation over other dims, batched matmuls, pooling) to a weighted op that
    consumes the split along its input features (a row split: its partial sum is
    all-reduced) or to a graph output (all-gathered). Collectives are the cleave dialect's
    `cleave.all_reduce` and `cleave.all_gather` on tensors, into a `tensor.empty`.
    Candidate splits are taken smallest collective first, each op in one at most; other
    ops are replicated. Every parameter is renamed `<name>.rank<r>`; the module records
    the splits in `cleave.tensor_parallel` (#cleave.split) and the collectives in
    `cleave.collectives` (#cleave.collective).

    ```mlir
    %h = onnx.gemm %x, %w1, %b1 {transB = true} : (...) -> tensor<8x512xf32>  // of 1024
    %r = onnx.relu %h : tensor<8x512xf32>
    %p = onnx.matmul %r, %w2 : (tensor<8x512xf32>, tensor<512x256xf32>) -> tensor<8x256xf32>
    %e = tensor.empty() : tensor<8x256xf32>
    %s = cleave.all_reduce %p into %e : tensor<8x256xf32>, tensor<8x256xf32> -> tensor<8x256xf32>
    %y = onnx.add %s, %b2 : ...
    ```
  }];
  let options = [
    Option<"tp", "tp", "int64_t", "2", "number of tensor-parallel ranks">,
    Option<"rank", "rank", "int64_t", "0", "the rank whose part is produced">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::tensor::TensorDialect",
                           "cleave::plan::CleaveDialect"];
}

def LowerCollectivesPass : Pass<"cleave-lower-collectives", "mlir::ModuleOp"> {
  let summary = "turn collectives on buffers into calls of the runtime through the entry's ctx";
  let description = [{
    Runs after bufferization. Each `cleave.all_reduce %in into %out` on buffers becomes a
    call of `cleave_rt_all_reduce(ctx, in, out, count, dtype, op, group)` and each
    `cleave.all_gather %in into %out` (`%out` of type `memref<GxD0x...xT>`, the group's
    contributions in group order) a call of `cleave_rt_all_gather(ctx, in, out, count,
    dtype, group)`, with `count` the elements of `%in`, `dtype` the contract's code of the
    element type and `op`/`group` the contract's sum and stage group (cleave/abi.h). A
    strided operand goes through a contiguous copy. `@main` gains a leading `!llvm.ptr`
    argument, the runtime context, and the attribute `cleave.ctx_arg`, which tells
    `cleave-cpu-entry-points` to pass the entry point's ctx. `cleave-cpu-entry-points` then
    defines `cleave_rt_all_reduce` and `cleave_rt_all_gather` in the module as calls through
    their slots of the runtime's function table at ctx (docs/artifact-format.md).

    ```mlir
    cleave.all_reduce %p into %s : memref<8x256xf32>, memref<8x256xf32>
    // becomes
    call @cleave_rt_all_reduce(%ctx, %pp, %sp, %c2048, %c0, %c0, %c0) : (...) -> ()
    ```
  }];
  let dependentDialects = ["cleave::plan::CleaveDialect", "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect", "mlir::LLVM::LLVMDialect"];
}

#endif // CLEAVE_COMPILER_PASSES_TD
