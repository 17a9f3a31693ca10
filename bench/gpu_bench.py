#!/usr/bin/python3
# GPU benchmark: latency of Cleave on cuda:0 vs PyTorch eager on the same GPU, interleaved.
"""Usage: gpu_bench.py prepare --bindir BINDIR --out DIR [--models mlp,resnet18]
                            [--cuda-arch sm_90]
       gpu_bench.py run --dir DIR [--cleave-run PATH] [--repeat 20] [--rounds 3]

Two steps, because the GPU machine has no LLVM/MLIR (so it cannot compile) and this one has no
GPU:

prepare (on the build machine, with cleave-compile and PyTorch): for each model, generates it
  (test/models/generate.py), compiles it with `cleave-compile --devices=cuda:0`, and saves the
  same seeded torch module (from the generator's build()) as TorchScript (torch.jit.trace),
  so that the GPU machine needs neither the generators nor torchvision. Writes
  DIR/<model>/{model.cleave, model.pt, model/inputs.txt, model/inputs/*.npy}.
run (on the GPU machine, with PyTorch, CUDA and the carried cleave-run): for each round, runs
  `cleave-run model.cleave --repeat N` (one warm-up, then N timed runs; its median) and
  PyTorch eager (model.pt on cuda:0, one warm-up, then N timed runs; their median) back to
  back, alternating which goes first. A tool's figure is the median of its per-round medians.
  Both time the whole inference from host input to host output: Cleave's session copies the
  inputs to the GPU and the outputs back on every run, so PyTorch's timed region does the
  same (`x.to("cuda")`, forward, `.cpu()`, which waits for the GPU). TF32 is off in PyTorch
  (Cleave computes in fp32). Outputs of the two are compared (rtol 1e-3, atol 1e-4).
  Prints a table and exits 1 if any model failed to run.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
# compare.py lies in test/e2e in the repository; it and bench.py lie beside this file in a
# gpu-check bundle.
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
sys.path.insert(0, HERE)
from compare import compare_arrays  # noqa: E402

from bench import LATENCY, StepError, generate_model, input_paths, run  # noqa: E402

DEFAULT_MODELS = "mlp,resnet18"


def prepare(args):
    import torch  # noqa: F401  (the generators need it too)

    sys.path.insert(0, os.path.join(ROOT, "test", "models"))
    import generate

    failed = False
    for model in args.models.split(","):
        work = os.path.join(args.out, model)
        model_dir = os.path.join(work, "model")
        try:
            if model not in generate.MODELS:
                raise StepError(f"unknown model '{model}'")
            module_name, kwargs = generate.MODELS[model]
            gen = __import__(module_name)
            if not hasattr(gen, "build"):
                raise StepError(f"{module_name} has no build() giving the torch module")
            generate_model(model, model_dir, python=sys.executable)
            run([os.path.join(args.bindir, "cleave-compile"),
                 os.path.join(model_dir, "model.onnx"), "--devices=cuda:0",
                 f"--cuda-arch={args.cuda_arch}", "-o", os.path.join(work, "model.cleave")],
                "cleave-compile")
            module, inputs = gen.build(**kwargs)
            module.eval()
            example = tuple(torch.from_numpy(inputs[name]) for name, _ in input_paths(model_dir))
            with torch.no_grad():
                traced = torch.jit.trace(module, example)
            traced.save(os.path.join(work, "model.pt"))
            print(f"{model}: prepared in {work}")
        except StepError as e:
            print(f"{model}: error: {e}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


def torch_latency_ms(model, host_inputs, repeat):
    """Median of `repeat` runs of host inputs -> GPU -> forward -> host outputs."""
    import torch

    def once():
        with torch.no_grad():
            out = model(*[x.to("cuda", non_blocking=False) for x in host_inputs])
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return [o.cpu() for o in outs]  # .cpu() waits for the GPU

    once()  # warm-up
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), once()


def bench_model(work, args):
    import torch

    model_dir = os.path.join(work, "model")
    inputs = input_paths(model_dir)
    out_dir = os.path.join(work, "cleave-out")
    cleave_cmd = [args.cleave_run, os.path.join(work, "model.cleave"),
                  *[a for name, path in inputs for a in ("--input", f"{name}={path}")],
                  "--output-dir", out_dir, "--repeat", str(args.repeat)]
    model = torch.jit.load(os.path.join(work, "model.pt"), map_location="cuda").eval()
    host_inputs = [torch.from_numpy(np.load(path)) for _, path in inputs]
    cleave, eager, outputs = [], [], None
    for r in range(args.rounds):
        order = ["cleave", "torch"] if r % 2 == 0 else ["torch", "cleave"]
        for tool in order:
            if tool == "cleave":
                m = LATENCY.search(run(cleave_cmd, "cleave-run"))
                if not m:
                    raise StepError("cleave-run: no `latency_ms median=` line in its output")
                cleave.append(float(m.group(1)))
            else:
                ms, outputs = torch_latency_ms(model, host_inputs, args.repeat)
                eager.append(ms)
    names = sorted(f for f in os.listdir(out_dir) if f.endswith(".npy"))
    match = "ok"
    if len(names) != len(outputs):
        match = f"{len(names)} cleave outputs, {len(outputs)} torch outputs"
    else:
        # The generators export one output per model (its name sorts first too).
        for name, ref in zip(names, outputs):
            ok, detail = compare_arrays(ref.numpy(), np.load(os.path.join(out_dir, name)),
                                        1e-3, 1e-4)
            if not ok:
                match = f"{name[:-4]}: {detail.split(';')[0]}"
                break
    return statistics.median(cleave), statistics.median(eager), match


def run_bench(args):
    import torch

    if not torch.cuda.is_available():
        print("gpu_bench: error: PyTorch sees no CUDA GPU", file=sys.stderr)
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    models = sorted(d for d in os.listdir(args.dir)
                    if os.path.exists(os.path.join(args.dir, d, "model.pt")))
    if not models:
        print(f"gpu_bench: error: no prepared model in {args.dir}", file=sys.stderr)
        return 1
    print(f"gpu: {torch.cuda.get_device_name(0)}, torch {torch.__version__}; "
          f"repeat={args.repeat} rounds={args.rounds}")
    print(f"{'model':<12}{'cleave ms':>12}{'torch ms':>12}{'cleave/torch':>14}  outputs")
    print("-" * 58)
    failed = False
    for model in models:
        try:
            c, t, match = bench_model(os.path.join(args.dir, model), args)
            print(f"{model:<12}{c:>12.3f}{t:>12.3f}{c / t:>14.2f}  {match}")
        except (StepError, RuntimeError, OSError) as e:
            print(f"{model:<12}error: {e}")
            failed = True
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="compile and trace the models (build machine)")
    p.add_argument("--bindir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default=DEFAULT_MODELS)
    p.add_argument("--cuda-arch", default="sm_90")
    r = sub.add_parser("run", help="time Cleave and PyTorch (GPU machine)")
    r.add_argument("--dir", required=True)
    r.add_argument("--cleave-run", default=os.path.join(ROOT, "build", "bin", "cleave-run"))
    r.add_argument("--repeat", type=int, default=20, help="timed runs per invocation")
    r.add_argument("--rounds", type=int, default=3, help="invocations per tool")
    args = parser.parse_args()
    return prepare(args) if args.step == "prepare" else run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
