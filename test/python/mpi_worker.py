# mpi_worker.py - What each rank runs in test_mpi.py: `mpirun -np N python3 mpi_worker.py ...`.
"""Usage: mpi_worker.py MODE ARTIFACT OUT_DIR [NAME=FILE.npy ...]

Every rank loads the same inputs and writes OUT_DIR/rank<R>.txt, one line per event;
rank 0 also writes the outputs of the first run as OUT_DIR/<output name>.npy.
MODE run: two runs. bad_feed: rank 1 passes a wrong shape first (every rank must raise the
same error), then a good run. raise: rank 1 raises an uncaught exception while the other
ranks run (the job must end, not hang).
"""

import os
import re
import sys

import numpy as np

import cleave


def main():
    mode, artifact, out_dir = sys.argv[1:4]
    feed = {}
    for spec in sys.argv[4:]:
        name, path = spec.rsplit("=", 1)
        feed[name] = np.load(path)
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
    log = open(os.path.join(out_dir, f"rank{rank}.txt"), "w")

    def note(line):
        log.write(line + "\n")
        log.flush()

    try:
        session = cleave.InferenceSession(artifact, threads=1)
    except cleave.Error as error:
        note(f"create error: {error}")
        return 0
    note(f"rank={session.rank} ranks={session.ranks}")
    if mode == "bad_feed":
        bad = dict(feed)
        if rank == 1:
            bad = {name: value[: value.shape[0] // 2] for name, value in feed.items()}
        try:
            session.run(None, bad)
            note("bad feed ran")
        except cleave.Error as error:
            note(f"run error: {error}")
    if mode == "raise" and rank == 1:
        raise ValueError("rank 1 gives up")
    for run in range(2 if mode == "run" else 1):
        outputs = session.run(None, feed)
        note(f"run {run}: {len(outputs)} outputs")
        if run == 0 and rank == 0:
            for arg, value in zip(session.get_outputs(), outputs):
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", arg.name)
                np.save(os.path.join(out_dir, name + ".npy"), value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
