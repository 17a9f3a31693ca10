#!/usr/bin/python3
# Compares every reference output (REF_DIR/*.npy) with the same-named file in OUT_DIR.
"""Usage: compare.py REF_DIR OUT_DIR [--rtol 1e-3] [--atol 1e-4]

Floating outputs pass when numpy.allclose holds elementwise, |out - ref| <= atol + rtol*|ref|,
with NaN equal to NaN; integer and bool outputs must be equal. Shapes and dtypes must match.
Prints one line per output (max abs/rel error) and exits 1 if any output is missing or differs.
"""

import argparse
import os
import sys

import numpy as np


def compare_arrays(ref, out, rtol, atol):
    """Returns (ok, detail): detail is a one-line description of the errors."""
    if out.dtype != ref.dtype:
        return False, f"dtype {out.dtype}, expected {ref.dtype}"
    if out.shape != ref.shape:
        return False, f"shape {list(out.shape)}, expected {list(ref.shape)}"
    if ref.size == 0:
        return True, "empty"
    if not (np.issubdtype(ref.dtype, np.floating) or np.issubdtype(ref.dtype, np.complexfloating)):
        bad = out != ref
        nbad = int(np.count_nonzero(bad))
        if nbad == 0:
            return True, "exact"
        first = np.unravel_index(int(np.argmax(bad)), ref.shape)
        return False, (f"{nbad} of {ref.size} elements differ, first at {list(map(int, first))}: "
                       f"{out[first]!r} vs expected {ref[first]!r}")
    r64 = ref.astype(np.float64)
    o64 = out.astype(np.float64)
    ok_mask = np.isclose(o64, r64, rtol=rtol, atol=atol, equal_nan=True)
    finite = np.isfinite(r64) & np.isfinite(o64)
    diff = np.where(finite, np.abs(o64 - r64), 0.0)
    rel = np.where(finite & (r64 != 0), diff / np.where(r64 != 0, np.abs(r64), 1.0), 0.0)
    detail = f"max_abs={diff.max():.3e} max_rel={rel.max():.3e}"
    nbad = int(np.count_nonzero(~ok_mask))
    if nbad == 0:
        return True, detail
    # The worst element relative to its own tolerance, where non-finite mismatches count most.
    excess = np.where(finite, diff - (atol + rtol * np.abs(r64)), np.inf)
    excess = np.where(ok_mask, -np.inf, excess)
    worst = np.unravel_index(int(np.argmax(excess)), ref.shape)
    return False, (f"{detail}; {nbad} of {ref.size} elements outside rtol={rtol:g} atol={atol:g}, "
                   f"worst at {list(map(int, worst))}: {o64[worst]:.6g} vs expected "
                   f"{r64[worst]:.6g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ref_dir")
    parser.add_argument("out_dir")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-4)
    args = parser.parse_args()

    if not os.path.isdir(args.ref_dir):
        print(f"compare: error: reference directory {args.ref_dir} does not exist", file=sys.stderr)
        return 1
    names = sorted(f for f in os.listdir(args.ref_dir) if f.endswith(".npy"))
    if not names:
        print(f"compare: error: no .npy outputs in {args.ref_dir}", file=sys.stderr)
        return 1
    failed = []
    for name in names:
        out_path = os.path.join(args.out_dir, name)
        label = name[:-len(".npy")]
        if not os.path.exists(out_path):
            print(f"FAIL {label}: missing output {out_path}")
            failed.append(label)
            continue
        ref = np.load(os.path.join(args.ref_dir, name))
        try:
            out = np.load(out_path)
        except Exception as e:  # a damaged file is a failed comparison, not a crash
            print(f"FAIL {label}: cannot read {out_path}: {e}")
            failed.append(label)
            continue
        ok, detail = compare_arrays(ref, out, args.rtol, args.atol)
        print(f"{'ok  ' if ok else 'FAIL'} {label}: {list(ref.shape)} {ref.dtype} {detail}")
        if not ok:
            failed.append(label)
    extra = sorted(set(f for f in os.listdir(args.out_dir) if f.endswith(".npy")) - set(names)) \
        if os.path.isdir(args.out_dir) else []
    for name in extra:
        print(f"note: {name} in {args.out_dir} has no reference")
    if failed:
        print(f"compare: {len(failed)} of {len(names)} outputs differ: {', '.join(failed)}")
        return 1
    print(f"compare: all {len(names)} outputs match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
