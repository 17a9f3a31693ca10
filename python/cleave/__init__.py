# cleave: compile ONNX models into distributed inference programs and run them (docs/python.md).
"""Cleave from Python, shaped like onnxruntime's API.

    import cleave, numpy as np
    cleave.compile("model.onnx", "model.cleave", devices="cpu:0-3", pp=2, tp=2,
                   microbatches=4, input_shapes={"x": [8, 3, 224, 224]})
    print(cleave.explain("model.onnx", devices="cpu:0-3", pp=2, tp=2))
    sess = cleave.InferenceSession("model.cleave", threads=2)
    cleave.generate("lm.cleave", prompts=["Hello"], max_new_tokens=16)[0].text
    sess.get_inputs()[0].name, sess.get_inputs()[0].shape, sess.get_inputs()[0].type
    outputs = sess.run(None, {"x": np.ones((8, 3, 224, 224), np.float32)})

Every failure raises cleave.Error (a RuntimeError) with the one-line message the
command-line tools print. Under `mpirun -np N python3 script.py` a plan on N ranks runs with
one rank per process: every rank creates the session and calls run() with the same feed, and
run() returns the outputs on rank 0 and [] on the other ranks.
"""

import atexit as _atexit
import collections as _collections
import operator as _operator
import os as _os
import sys as _sys

# Launched by mpirun (OpenMPI, or a PMIx/PMI launcher): the variables the runtime's
# detectMpiLaunch() reads.
_UNDER_MPIRUN = any(name in _os.environ
                    for name in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"))


def _preload_mpi():
    """Under mpirun, makes libmpi's symbols global before the extension loads it.

    Python opens extension modules with RTLD_LOCAL, so the libmpi that _cleave pulls in
    would be invisible to the components OpenMPI itself opens with dlopen (mca_*.so), which
    then fail with "undefined symbol" errors where they do not link the libraries they use
    (Debian's OpenMPI 4.1 components do; other builds' may not). Loading libmpi first with
    RTLD_GLOBAL, as mpi4py does, avoids that. Outside mpirun nothing is loaded here.
    """
    if not _UNDER_MPIRUN:
        return
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("mpi")
    if name:
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            pass  # the extension's own load then reports what is missing


_preload_mpi()

from ._cleave import Error, InferenceSession, NodeArg, aligned_empty  # noqa: E402
from . import _cleave  # noqa: E402

__all__ = ["Error", "Generated", "InferenceSession", "NodeArg", "aligned_empty", "compile",
           "explain", "generate"]
__version__ = "0.1.0"

# Sessions are closed and MPI finalised before the interpreter exits (mpirun reports a
# process that initialised MPI and exited without finalising it as failed).
_atexit.register(_cleave._shutdown)


def _install_excepthook():
    """Under mpirun, an uncaught exception ends the whole job once a distributed session is
    open, as cleave-run's failures do: the other ranks may be waiting for this one, and
    finalising MPI at exit would wait for them in turn."""
    previous = _sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        _cleave._abort_job()

    _sys.excepthook = hook


if _UNDER_MPIRUN:
    _install_excepthook()


def _model_arguments(model):
    """(path, bytes or None) for a model given as a path or as its serialised bytes."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return "<bytes>", bytes(model)
    try:
        return _os.fsdecode(model), None
    except TypeError:
        raise TypeError("model must be a path (str or os.PathLike) or the model's bytes, "
                        f"got {type(model).__name__}") from None


def _input_shape_list(input_shapes):
    """[(name, [dims])] in the dict's order."""
    if input_shapes is None:
        return []
    if not hasattr(input_shapes, "items"):
        raise TypeError("input_shapes must be a dict of input name -> list of dims, "
                        f"got {type(input_shapes).__name__}")
    return [(str(name), [int(d) for d in dims]) for name, dims in input_shapes.items()]


def _batch_size_list(batch_sizes):
    if batch_sizes is None:
        return []
    if isinstance(batch_sizes, (str, bytes)):
        raise TypeError("batch_sizes must be a list of int batch sizes")
    try:
        sizes = [_operator.index(b) for b in batch_sizes]
    except TypeError:
        raise TypeError("batch_sizes must be a list of int batch sizes") from None
    for size in sizes:
        if size < 1:
            raise Error(f"--batch-sizes expects positive integers, got {size}")
    return sizes


def _max_seq_len(max_seq_len):
    if isinstance(max_seq_len, bool):
        raise TypeError("max_seq_len must be an int")
    try:
        value = _operator.index(max_seq_len)
    except TypeError:
        raise TypeError("max_seq_len must be an int") from None
    if value < 0:
        raise Error(f"--max-seq-len expects a positive integer, got {value}")
    return value


def _driver(model, output, devices, pp, tp, microbatches, input_shapes, device_file, cpu,
            cuda_arch, rocm_arch, explain, plan, batch_sizes, generate, max_seq_len,
            profile_ops=False):
    path, data = _model_arguments(model)
    return _cleave._compile(
        path, data, None if output is None else _os.fsdecode(output), devices, pp, tp,
        microbatches, _input_shape_list(input_shapes),
        "" if device_file is None else _os.fsdecode(device_file), cpu, cuda_arch, rocm_arch,
        explain, plan, _batch_size_list(batch_sizes), bool(generate), _max_seq_len(max_seq_len),
        bool(profile_ops))


def compile(model, output=None, *, devices="cpu:0", pp=0, tp=1, microbatches=1,
            input_shapes=None, device_file=None, cpu="host", cuda_arch="sm_90",
            rocm_arch="gfx942", plan="manual", batch_sizes=None, generate=False, max_seq_len=0,
            profile_ops=False):
    """Compiles an ONNX model into a Cleave artifact, as cleave-compile does.

    model: the .onnx path (external data is read beside it) or the model's bytes (named
        '<bytes>' in messages; external data is then looked for in the current directory).
    output: where to write the artifact; None returns the artifact's bytes instead.
    devices: comma-separated KIND:INDEX or KIND:A-B (cpu, cuda, rocm), one MPI rank each.
    pp, tp, microbatches: pipeline stages (0: devices / tp), tensor-parallel ways,
        microbatches per batch (must divide dim 0 of every input).
    input_shapes: dict of input name -> list of dims, binding dynamic dims.
    device_file: JSON of device capabilities and the link (docs/partitioning.md).
    cpu, cuda_arch, rocm_arch: code generation targets.
    plan: "auto" chooses pp, tp and microbatches by the cost model (leave those three at
        their defaults), as cleave-compile --plan=auto does; "manual" takes them as given.
    batch_sizes: a list of batch sizes, one plan each (--batch-sizes).
    generate, max_seq_len: compile a decoder with a past-key-values cache for token
        generation with a cache of max_seq_len tokens per sequence (--generate
        --max-seq-len; docs/generation.md), for cleave.generate, cleave-generate,
        cleave-serve and cleave-chat; batch_sizes then says how many sequences run at once.
    profile_ops: time each op group, as cleave-compile --profile-ops does
        (InferenceSession.op_profile(); docs/observability.md).

    Raises cleave.Error with cleave-compile's one-line message on failure. The GIL is
    released while compiling.
    """
    return _driver(model, output, devices, pp, tp, microbatches, input_shapes, device_file,
                   cpu, cuda_arch, rocm_arch, False, plan, batch_sizes, generate, max_seq_len,
                   profile_ops)


def explain(model, *, devices="cpu:0", pp=0, tp=1, microbatches=1, input_shapes=None,
            device_file=None, cpu="host", cuda_arch="sm_90", rocm_arch="gfx942",
            plan="manual", batch_sizes=None, generate=False, max_seq_len=0):
    """The plan `cleave-compile --explain` prints for these options, as a string.

    Takes the options of compile(); nothing is written. Raises cleave.Error on failure.
    """
    return _driver(model, None, devices, pp, tp, microbatches, input_shapes, device_file,
                   cpu, cuda_arch, rocm_arch, True, plan, batch_sizes, generate, max_seq_len)


class Generated(_collections.namedtuple("Generated", ["ids", "text"])):
    """One sequence's result of generate(): ids, the list of its new token ids, and text,
    their bytes decoded as UTF-8 (invalid bytes replaced) for text prompts, else None."""

    __slots__ = ()


def _token_ids(ids, what):
    try:
        return [_operator.index(i) for i in ids]
    except TypeError:
        raise TypeError(f"{what} must be a list of int token ids") from None


def generate(artifact, prompts=None, *, prompt_ids=None, max_new_tokens=64, temperature=0.0,
             top_k=0, top_p=1.0, seed=0, stop_ids=(), stop=(), repetition_penalty=1.0,
             threads=0):
    """Generates tokens with an artifact compiled with `cleave-compile --generate`, as
    cleave-generate does (docs/generation.md); returns one Generated(ids, text) per prompt.

    prompts: a list of str, each one sequence, its UTF-8 bytes its token ids (a byte-level
        vocabulary of 256); or prompt_ids: a list of lists of token ids. Exactly one of the
        two; all sequences are in flight together.
    max_new_tokens: new tokens per sequence, at most (prompt + max_new_tokens must fit the
        artifact's --max-seq-len).
    temperature: 0 for greedy decoding; > 0 samples from softmax(logits / temperature),
        after top_k (0: all) and top_p (1: all), from seed (+ the sequence's index).
    stop_ids: stop tokens; a sequence that picks one ends there (it is its last new id).
    stop: stop texts (a list of non-empty str, byte-level vocabulary): a sequence whose text
        ends with one after a new token ends there (its UTF-8 bytes its last new ids).
    repetition_penalty: Hugging Face's (the logits of tokens already in the sequence divided
        by it where positive, multiplied where negative); 1 for none.
    threads: CPU threads, 0 for every core available.

    Raises cleave.Error with cleave-generate's one-line message on failure, TypeError for
    arguments of the wrong type. The GIL is released while generating.
    """
    if (prompts is None) == (prompt_ids is None):
        raise TypeError("give exactly one of prompts (a list of str) and prompt_ids "
                        "(a list of lists of token ids)")
    text = prompts is not None
    if text:
        if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
            raise TypeError("prompts must be a list of str")
        ids = [list(p.encode("utf-8")) for p in prompts]
    else:
        if isinstance(prompt_ids, (str, bytes)):
            raise TypeError("prompt_ids must be a list of lists of int token ids")
        ids = [_token_ids(p, "each of prompt_ids") for p in prompt_ids]
    stops = _token_ids(stop_ids, "stop_ids")
    if isinstance(stop, str) or not all(isinstance(t, str) for t in stop):
        raise TypeError("stop must be a list of str")
    texts = [list(t.encode("utf-8")) for t in stop]
    path = _os.fsdecode(artifact)
    new = _cleave._generate(path, ids, text, _operator.index(max_new_tokens),
                            float(temperature), _operator.index(top_k), float(top_p),
                            _operator.index(seed), stops, texts, float(repetition_penalty),
                            _operator.index(threads))
    return [Generated(t, bytes(t).decode("utf-8", "replace") if text else None) for t in new]
