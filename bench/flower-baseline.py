"""The anchor an FL user would run instead of murmur's kernels: Flower's aggregation functions.

Run by bench/kernels.ts in the same run, on the same inputs:
    python3 bench/flower-baseline.py <rows.f32> <k> <d> <krum.f32> <krum_d> <trim_per_side> <reps>
The files hold k rows of float32 (little-endian, row after row). Prints one JSON line: seconds
per kernel (median, min, max of `reps` runs, every run measured), and which implementation ran.

With `flwr` installed, `flwr.server.strategy.aggregate` itself is timed. Without it (these
machines reach no PyPI), the same numpy calls that module makes are timed: a weighted average
by reduce(np.add) over the rows scaled by their example counts, np.median over axis 0, a trimmed
mean by np.partition then np.mean, and Krum's pairwise squared distances by np.linalg.norm in a
double loop. Only the aggregation call is timed, not loading the inputs.
"""

import json
import sys
import time
from functools import reduce

import numpy as np

try:
    from flwr.server.strategy import aggregate as flower  # type: ignore

    IMPL = "flwr " + __import__("flwr").__version__
except ImportError:  # the same numpy calls as flwr.server.strategy.aggregate
    flower = None
    IMPL = "numpy " + np.__version__ + " (flwr absent: the calls flwr.server.strategy.aggregate makes)"


def weighted_average(rows, counts):
    if flower is not None:
        return flower.aggregate([([r], n) for r, n in zip(rows, counts)])[0]
    total = sum(counts)
    scaled = [r * n for r, n in zip(rows, counts)]
    return reduce(np.add, scaled) / total


def median(rows):
    if flower is not None:
        return flower.aggregate_median([([r], 1) for r in rows])[0]
    return np.median(np.asarray(rows), axis=0)


def trimmed_mean(rows, cut):
    if flower is not None:
        return flower.aggregate_trimmed_avg([([r], 1) for r in rows], cut)[0]
    a = np.asarray(rows)
    lo = int(cut * a.shape[0])
    hi = a.shape[0] - lo
    part = np.partition(a, (lo, hi - 1), axis=0)
    return np.mean(part[lo:hi], axis=0)


def krum_distances(rows):
    if flower is not None:
        return flower._compute_distances([[r] for r in rows])  # pylint: disable=protected-access
    flat = np.array([r.ravel() for r in rows])
    out = np.zeros((len(rows), len(rows)))
    for i, wi in enumerate(flat):
        for j, wj in enumerate(flat):
            out[i, j] = np.linalg.norm(wi - wj) ** 2
    return out


def timed(reps, fn):
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    s = sorted(runs)
    return {"median": s[len(s) // 2], "min": s[0], "max": s[-1]}


def main():
    rows_path, k, d, krum_path, krum_d, trim, reps = sys.argv[1:8]
    k, d, krum_d, trim, reps = int(k), int(d), int(krum_d), int(trim), int(reps)
    rows = list(np.fromfile(rows_path, dtype="<f4").reshape(k, d))
    krum = list(np.fromfile(krum_path, dtype="<f4").reshape(k, krum_d))
    counts = [1 + i for i in range(k)]
    out = {
        "impl": IMPL,
        "weighted-mean": timed(reps, lambda: weighted_average(rows, counts)),
        "median": timed(reps, lambda: median(rows)),
        "trimmed-mean": timed(reps, lambda: trimmed_mean(rows, trim / k)),
        "multi-krum-distances": timed(reps, lambda: krum_distances(krum)),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
