"""The full disparity suite on 100,000 grid cells (issue 7): Gini, Theil (nested decomposition),
CV, Atkinson (plain and population-weighted), class breaks, priority levels, spatial Gini,
Moran's I and LISA with permutation inference, timed step by step.

    .venv/bin/python bench/watch/disparity.py [--cells 100000] [--permutations 99]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script from the checkout: the watch app lives in backend/.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "backend"))

import argparse
import math
import time

import geopandas as gpd
import numpy as np
import shapely
from libpysal.weights import lat2W

from watch import measures as m
from watch.analysis import Options, analyse, contiguity

SEED = 20261124
CELL_M = 100.0


def grid(cells: int) -> tuple[gpd.GeoDataFrame, int, int]:
    """A square-ish lattice of cells with a smooth lognormal value, population and hierarchy."""
    rows = int(math.sqrt(cells))
    cols = math.ceil(cells / rows)
    rng = np.random.default_rng(SEED)
    r, c = np.divmod(np.arange(rows * cols), cols)
    coarse = rng.normal(size=(rows // 20 + 1, cols // 20 + 1))
    value = np.exp(coarse[r // 20, c // 20] + 0.3 * rng.normal(size=rows * cols))
    geoms = shapely.box(c * CELL_M, -(r + 1) * CELL_M, (c + 1) * CELL_M, -r * CELL_M)
    frame = gpd.GeoDataFrame(
        {
            "value": value,
            "population": rng.integers(1, 500, size=rows * cols).astype(float),
            "province": (r // 100).astype(str),
            "commune": (r // 50 * 100 + c // 50).astype(str),
        },
        geometry=geoms,
    )
    return frame, rows, cols


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    print(f"| {label} | {time.perf_counter() - start:.2f} |", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--permutations", type=int, default=99)
    args = parser.parse_args()
    frame, rows, cols = grid(args.cells)
    y, pop = frame["value"].to_numpy(), frame["population"].to_numpy()
    print(f"{len(frame):,} cells ({rows} x {cols}), {args.permutations} permutations\n")
    print("| step | seconds |\n|---|---|")
    total = time.perf_counter()
    timed(
        "Gini, Theil, CV, Atkinson ×3 (plain + weighted)",
        lambda: [
            (
                m.gini(y, w),
                m.theil(y, w),
                m.coefficient_of_variation(y, w),
                [m.atkinson(y, e, w) for e in (0.5, 1, 2)],
            )
            for w in (None, pop)
        ],
    )
    timed(
        "Theil nested decomposition (province > commune), weighted",
        lambda: m.theil_decomposition(y, [frame["province"], frame["commune"]], pop),
    )
    timed(
        "class breaks (quantiles, k=5) + priority levels",
        lambda: (m.class_breaks(y, "quantiles", 5), m.priority_levels(y, higher_is_better=True)),
    )
    timed("class breaks (Fisher-Jenks, k=5)", lambda: m.class_breaks(y, "fisher_jenks", 5))
    w_geom = timed("queen contiguity from the 100k geometries", lambda: contiguity(frame))
    w = lat2W(rows, cols, rook=False)
    w.transform = "r"
    assert w_geom.n == w.n
    kw = {"permutations": args.permutations, "seed": SEED}
    timed("Moran's I (analytical + permutations)", lambda: m.moran(y, w, **kw))
    timed("LISA (conditional permutations)", lambda: m.lisa(y, w, **kw))
    timed("spatial Gini (permutations)", lambda: m.spatial_gini(y, w, **kw))
    print(f"| **whole suite above** | **{time.perf_counter() - total:.2f}** |")
    options = Options(seed=SEED, permutations=args.permutations, scheme="quantiles")
    timed(
        "analyse() end to end (as the API runs it, weights given)",
        lambda: analyse(
            frame,
            "value",
            population="population",
            hierarchy=["province", "commune"],
            options=options,
            w=w,
        ),
    )


if __name__ == "__main__":
    main()
