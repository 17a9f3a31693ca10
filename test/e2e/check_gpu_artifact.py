#!/usr/bin/python3
# Checks the GPU code sections of a Cleave artifact with the toolchain's object tools.
"""Usage: check_gpu_artifact.py ARTIFACT --kind cuda|rocm --arch CHIP [--extract DIR]
                             [--stages KIND,KIND,...]

For every stage with a gpu_program: extracts its code section and checks that
  cuda: the section is a fatbin holding a cubin for CHIP (sm_NN) and the PTX, the cubin
        (per llvm-objdump-22 -t) defines every kernel the manifest names, and ptxas -v on
        the PTX reports no kernel with a stack frame or register spills (the tiled
        kernels' accumulators stay in registers);
  rocm: the section is an hsaco for CHIP (per llvm-readobj-22) defining every kernel (and its
        kernel descriptor NAME.kd) the manifest names.
With --stages (a mixed pipeline plan, e.g. cuda,cpu): stage k runs on a device of the k-th
kind, GPU stages have entry gpu_program and the kind's code section, cpu stages a cpu-elf-so
and entry cleave_stage_<k>, and every send of stage k has a recv of the same name, dtype and
shape in stage k+1 (and the other way round).
With --collectives N: each GPU stage (a tensor-parallel plan's ranks) has N collective
steps in its gpu_program.
With --shared-kernels N: exactly N kernels of the GPU stages use shared (workgroup) memory,
which is how the tiled contractions and cooperative reductions show in the binary (cuda: a
.nv.shared.KERNEL section; rocm: a non-zero .group_segment_fixed_size).
Prints one line per stage with the kernel and launch counts; exits 1 on any mismatch.
"""

import argparse
import json
import os
import struct
import re
import shutil
import subprocess
import sys
import tempfile

OBJDUMP = "/usr/lib/llvm-22/bin/llvm-objdump"
READOBJ = "/usr/lib/llvm-22/bin/llvm-readobj"
PTXAS = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
FATBIN_MAGIC = 0xBA55ED50
FATBIN_PTX, FATBIN_ELF = 1, 2


def fail(message):
    print(f"check_gpu_artifact: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_artifact(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"CLEAVE\0\1":
        fail(f"{path}: not a Cleave artifact")
    offset, size = struct.unpack_from("<QQ", data, 16)
    return data, json.loads(data[offset:offset + size])


def fatbin_entries(blob):
    """(kind, sm, flags, payload) for each entry of a CUDA fatbin."""
    magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", blob, 0)
    if magic != FATBIN_MAGIC:
        fail("the cuda code section is not a fatbin")
    entries, offset = [], header_size
    while offset < header_size + fat_size:
        kind, _v, entry_header, payload = struct.unpack_from("<HHIQ", blob, offset)
        sm = struct.unpack_from("<I", blob, offset + 28)[0]
        flags = struct.unpack_from("<Q", blob, offset + 40)[0]
        # A compressed entry gives its unpadded size here (0 otherwise).
        size = struct.unpack_from("<I", blob, offset + 16)[0] or payload
        start = offset + entry_header
        entries.append((kind, sm, flags, blob[start:start + min(size, payload)]))
        offset = start + payload
    return entries


def defined_functions(path):
    out = subprocess.run([OBJDUMP, "-t", path], check=True, capture_output=True, text=True)
    names = set()
    for line in out.stdout.splitlines():
        fields = line.split()
        # VALUE FLAGS... SECTION SIZE NAME; global symbols carry the 'g' flag.
        if len(fields) >= 5 and " g " in f" {line} " and fields[-3] != "*UND*":
            names.add(fields[-1])
    return names


def check_cuda(blob, arch, work):
    if not arch.startswith("sm_"):
        fail(f"bad cuda arch {arch}")
    want_sm = int(arch[3:])
    entries = fatbin_entries(blob)
    cubins = [e for e in entries if e[0] == FATBIN_ELF and e[1] == want_sm]
    ptx = [e for e in entries if e[0] == FATBIN_PTX]
    if not cubins:
        fail(f"the fatbin holds no cubin for {arch} (entries: "
             f"{[(k, sm) for k, sm, _, _ in entries]})")
    if not ptx:
        fail("the fatbin holds no PTX")
    cubin = cubins[0][3]
    if cubin[:4] != b"\x7fELF" or struct.unpack_from("<H", cubin, 18)[0] != 190:
        fail("the fatbin's ELF entry is not a CUDA cubin")
    e_flags = struct.unpack_from("<I", cubin, 48)[0]
    if (e_flags >> 8) & 0xFF != want_sm:
        fail(f"the cubin is for sm_{(e_flags >> 8) & 0xFF}, not {arch}")
    path = os.path.join(work, "kernels.cubin")
    with open(path, "wb") as f:
        f.write(cubin)
    check_ptx_resources(ptx[0][3], arch, work)
    return path, defined_functions(path)


def check_ptx_resources(payload, arch, work):
    """Assembles the fatbin's PTX (zstd-compressed by the CUDA toolkit's fatbin writer when
    it starts with the zstd magic) with ptxas -v: no kernel may need a stack frame or spill
    registers. Prints the kernel count and the most registers a kernel uses."""
    if payload.startswith(ZSTD_MAGIC):
        payload = subprocess.run(["zstd", "-dq", "-c"], input=payload, check=True,
                                 capture_output=True).stdout
    path = os.path.join(work, "kernels.ptx")
    with open(path, "wb") as f:
        f.write(payload.replace(b"\0", b""))
    out = subprocess.run([PTXAS, "-v", f"-arch={arch}", path, "-o", os.devnull],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"ptxas rejects the PTX: {out.stderr.strip().splitlines()[:3]}")
    kernels = re.findall(r"Function properties for (\S+)\n\s+(\d+) bytes stack frame, "
                         r"(\d+) bytes spill stores, (\d+) bytes spill loads\n"
                         r"ptxas info\s+: Used (\d+) registers", out.stderr)
    if not kernels:
        fail("ptxas -v reported no kernels")
    heavy = [k for k in kernels if any(int(v) for v in k[1:4])]
    if heavy:
        fail(f"{len(heavy)} kernels need a stack frame or spill registers, such as "
             f"{heavy[0][0]} ({heavy[0][1]} bytes stack, {heavy[0][2]} bytes spill stores)")
    print(f"ptxas: {len(kernels)} kernels, no stack frames or spills, at most "
          f"{max(int(k[4]) for k in kernels)} registers")


def shared_memory_kernels(path, kind):
    """The kernels of a cubin or hsaco that use shared (workgroup) memory."""
    if kind == "cuda":
        out = subprocess.run([OBJDUMP, "-h", path], check=True, capture_output=True,
                             text=True).stdout
        prefix = ".nv.shared."
        return {f[1][len(prefix):] for f in (line.split() for line in out.splitlines())
                if len(f) > 2 and f[1].startswith(prefix) and int(f[2], 16) > 0}
    out = subprocess.run([READOBJ, "--notes", path], check=True, capture_output=True,
                         text=True).stdout
    # The amdhsa.kernels metadata lists each kernel's fields; .name ends a kernel's entry
    # after its .group_segment_fixed_size.
    kernels, size = set(), 0
    for line in out.splitlines():
        line = line.strip().lstrip("- ")
        if line.startswith(".group_segment_fixed_size:"):
            size = int(line.split(":")[1])
        elif line.startswith(".name:") and size > 0:
            kernels.add(line.split(":")[1].strip())
            size = 0
        elif line.startswith(".name:"):
            size = 0
    return kernels


def check_rocm(blob, arch, work):
    path = os.path.join(work, "kernels.hsaco")
    with open(path, "wb") as f:
        f.write(blob)
    headers = subprocess.run([READOBJ, "--file-headers", path], check=True,
                             capture_output=True, text=True).stdout
    if "EF_AMDGPU_MACH_AMDGCN_" + arch.upper() + " " not in headers:
        fail(f"the hsaco is not for {arch}:\n{headers}")
    symbols = defined_functions(path)
    return path, symbols


def check_stages(manifest, kinds):
    """The per-stage device kinds, code kinds and send/recv pairs of a mixed plan."""
    stages = sorted(manifest["stages"], key=lambda s: s["id"])
    sections = {s["name"]: s for s in manifest["sections"]}
    if len(stages) != len(kinds):
        fail(f"{len(stages)} stages, expected {len(kinds)} ({','.join(kinds)})")
    code_kind = {"cuda": "cuda-fatbin", "rocm": "rocm-hsaco", "cpu": "cpu-elf-so"}
    for k, (stage, kind) in enumerate(zip(stages, kinds)):
        device = manifest["devices"][stage["device"]]
        if device["kind"] != kind:
            fail(f"stage {k} runs on {device['kind']}:{device['index']}, expected {kind}")
        section = sections[stage["code"]]["kind"]
        if section != code_kind[kind]:
            fail(f"stage {k}: code section kind {section}, expected {code_kind[kind]}")
        want_entry = "gpu_program" if kind != "cpu" else f"cleave_stage_{stage['rank']}"
        if stage["entry"] != want_entry or (kind != "cpu") != ("gpu_program" in stage):
            fail(f"stage {k}: entry {stage['entry']}, expected {want_entry}")
    for k in range(len(stages) - 1):
        sends = {(a["name"], a["dtype"], tuple(a["shape"])) for a in stages[k]["args"]
                 if a["kind"] == "send" and a["to"] == k + 1}
        recvs = {(a["name"], a["dtype"], tuple(a["shape"])) for a in stages[k + 1]["args"]
                 if a["kind"] == "recv" and a["from"] == k}
        if not sends or sends != recvs:
            fail(f"stages {k} -> {k + 1}: sends {sorted(sends)} differ from recvs {sorted(recvs)}")
        print(f"stages {k} -> {k + 1}: {len(sends)} transfer(s) match")
    for k, stage in enumerate(stages):
        print(f"stage {k}: {kinds[k]}, {sections[stage['code']]['kind']}, entry {stage['entry']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("artifact")
    parser.add_argument("--kind", choices=["cuda", "rocm"], required=True)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--extract", help="also keep the extracted binaries in this directory")
    parser.add_argument("--stages", help="the device kind of each stage, comma-separated")
    parser.add_argument("--collectives", type=int,
                        help="the number of collective steps expected in each GPU stage")
    parser.add_argument("--shared-kernels", type=int,
                        help="the number of kernels expected to use shared memory")
    args = parser.parse_args()

    data, manifest = read_artifact(args.artifact)
    if args.stages:
        check_stages(manifest, args.stages.split(","))
    sections = {s["name"]: s for s in manifest["sections"]}
    want_kind = "cuda-fatbin" if args.kind == "cuda" else "rocm-hsaco"
    gpu_stages = [s for s in manifest["stages"] if "gpu_program" in s]
    if not gpu_stages:
        fail("the artifact has no GPU stage")
    shared_total = 0
    for stage in gpu_stages:
        program = stage["gpu_program"]
        section = sections[stage["code"]]
        if section["kind"] != want_kind:
            fail(f"stage {stage['id']}: section kind {section['kind']}, expected {want_kind}")
        blob = data[section["offset"]:section["offset"] + section["size"]]
        with tempfile.TemporaryDirectory() as work:
            check = check_cuda if args.kind == "cuda" else check_rocm
            path, symbols = check(blob, args.arch, work)
            shared = shared_memory_kernels(path, args.kind) & set(program["kernels"])
            shared_total += len(shared)
            if args.extract:
                os.makedirs(args.extract, exist_ok=True)
                with open(path, "rb") as f, open(os.path.join(
                        args.extract, f"stage{stage['id']}" + os.path.splitext(path)[1]),
                        "wb") as out:
                    out.write(f.read())
        kernels = set(program["kernels"])
        launched = {launch["kernel"] for launch in program["launches"] if "kernel" in launch}
        collectives = [launch for launch in program["launches"] if "collective" in launch]
        if args.collectives is not None and len(collectives) != args.collectives:
            fail(f"stage {stage['id']} (rank {stage['rank']}): {len(collectives)} collective "
                 f"steps, expected {args.collectives}")
        if launched != kernels:
            fail(f"stage {stage['id']}: launched kernels differ from the listed ones")
        missing = sorted(k for k in kernels if k not in symbols)
        if args.kind == "rocm":
            missing += sorted(k + ".kd" for k in kernels if k + ".kd" not in symbols)
        if missing:
            fail(f"stage {stage['id']}: kernels missing from the binary: {missing[:5]}")
        print(f"stage {stage['id']}: {want_kind} for {args.arch}: {len(kernels)} kernels, "
              f"{len(program['launches']) - len(collectives)} launches, "
              f"{len(collectives)} collectives, {len(program['buffers'])} buffers, "
              f"{len(shared)} kernels with shared memory")
    if args.shared_kernels is not None and shared_total != args.shared_kernels:
        fail(f"{shared_total} kernels use shared memory, expected {args.shared_kernels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
