"""One disparity analysis of a set of units: every measure, its parameters, seed and version.

`read_units` is the import path of outside data sets (any file pyogrio reads: Shapefile,
GeoPackage, GeoJSON); `analyse` runs the whole suite on a GeoDataFrame, whether it came from a
file or from the `publish.indicator_values` view.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
from libpysal.weights import Queen, Rook, W

from . import measures as m

CONTIGUITY = {"queen": Queen, "rook": Rook}
DEFAULT_EPSILONS = (0.5, 1.0, 2.0)

ERR_FILE = "Cannot read {path}: {detail}."
ERR_COLUMN = "The data set has no column {column!r}; its columns are: {known}."
ERR_CONTIGUITY = "Unknown contiguity {kind!r}; use one of: {known}."
ERR_ISLANDS = "Every unit has no neighbour: spatial measures need touching units."


@dataclass
class Options:
    """What an analysis is asked for; recorded beside the result."""

    seed: int = m.DEFAULT_SEED
    permutations: int = m.DEFAULT_PERMUTATIONS
    scheme: str = "quantiles"
    k: int = 5
    contiguity: str = "queen"
    alpha: float = m.DEFAULT_ALPHA
    priority_levels: int = 4
    higher_is_better: bool = True
    epsilons: tuple[float, ...] = field(default=DEFAULT_EPSILONS)

    def as_dict(self) -> dict:
        """The options as plain JSON."""
        return {
            "seed": self.seed,
            "permutations": self.permutations,
            "scheme": self.scheme,
            "k": self.k,
            "contiguity": self.contiguity,
            "alpha": self.alpha,
            "priority_levels": self.priority_levels,
            "higher_is_better": self.higher_is_better,
            "epsilons": list(self.epsilons),
        }


def read_units(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file of units (the same pyogrio path as the planning imports)."""
    try:
        return pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise m.MeasureError(ERR_FILE.format(path=path, detail=err)) from None


def column(frame: gpd.GeoDataFrame, name: str) -> np.ndarray:
    """A numeric column, or a clear error naming the columns there are."""
    if name not in frame.columns:
        raise m.MeasureError(
            ERR_COLUMN.format(column=name, known=", ".join(map(str, frame.columns)))
        )
    return frame[name].to_numpy(dtype=float)


def contiguity(frame: gpd.GeoDataFrame, kind: str = "queen") -> W:
    """Contiguity weights from the geometries, in the frame's row order, row-standardised."""
    if kind not in CONTIGUITY:
        raise m.MeasureError(ERR_CONTIGUITY.format(kind=kind, known=", ".join(CONTIGUITY)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = CONTIGUITY[kind].from_dataframe(frame, use_index=False, silence_warnings=True)
    if len(w.islands) == w.n:
        raise m.MeasureError(ERR_ISLANDS)
    w.transform = "r"
    return w


def inequality(y: np.ndarray, weights: np.ndarray | None, epsilons) -> dict:
    """Gini, Theil T, CV and Atkinson, plain or weighted by `weights`."""
    out = {
        "gini": m.gini(y, weights),
        "theil": m.theil(y, weights) if np.all(y >= 0) else None,
        "cv": m.coefficient_of_variation(y, weights),
        "atkinson": {},
    }
    for eps in epsilons:
        try:
            out["atkinson"][str(eps)] = m.atkinson(y, eps, weights)
        except m.MeasureError:
            out["atkinson"][str(eps)] = None
    return out


def analyse(
    frame: gpd.GeoDataFrame,
    value: str,
    *,
    population: str | None = None,
    hierarchy: list[str] | None = None,
    options: Options | None = None,
    w: W | None = None,
) -> dict:
    """The whole disparity suite on the units of `frame` (rows with no value are left out)."""
    o = options or Options()
    frame = frame[frame[value].notna()].reset_index(drop=True)
    y = column(frame, value)
    pop = column(frame, population) if population else None
    result: dict = {
        "method_version": m.MEASURES_VERSION,
        "options": o.as_dict(),
        "n": len(y),
        "mean": float(np.mean(y)) if len(y) else None,
        "unweighted": inequality(y, None, o.epsilons),
        "weighted": inequality(y, pop, o.epsilons) if pop is not None else None,
        "lorenz": m.lorenz(y),
        "lorenz_weighted": m.lorenz(y, pop) if pop is not None else None,
        "breaks": m.class_breaks(y, o.scheme, min(o.k, len(np.unique(y))), o.seed),
        "priority": m.priority_levels(
            y, higher_is_better=o.higher_is_better, levels=o.priority_levels
        ),
    }
    if hierarchy and np.all(y >= 0):
        levels = [frame[h].astype(str).to_numpy() for h in hierarchy]
        result["theil_decomposition"] = m.theil_decomposition(y, levels, None, hierarchy)
        if pop is not None:
            result["theil_decomposition_weighted"] = m.theil_decomposition(
                y, levels, pop, hierarchy
            )
    if "geometry" in frame or w is not None:
        w = w if w is not None else contiguity(frame, o.contiguity)
        kw = {"permutations": o.permutations, "seed": o.seed}
        result["moran"] = m.moran(y, w, **kw)
        result["lisa"] = m.lisa(y, w, alpha=o.alpha, **kw)
        result["spatial_gini"] = m.spatial_gini(y, w, **kw)
        result["islands"] = len(w.islands)
    return result
