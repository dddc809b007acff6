"""Disparity measures: inequality indices, spatial autocorrelation, class breaks, priority levels.

Pure functions on numpy arrays (no Django). The inequality indices are written here because
PySAL's take no population weights; with unit weights they agree with PySAL's `inequality`
(checked in tests/watch on libpysal's bundled datasets). Spatial measures use PySAL itself
(esda, inequality.Gini_Spatial, mapclassify) under a seed that the caller records.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import mapclassify
import numpy as np
from esda.moran import Moran, Moran_Local
from libpysal.weights import W

# Bump when any formula or default below changes; stored beside every result.
MEASURES_VERSION = "watch-measures/1.0"
DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 20261124
DEFAULT_ALPHA = 0.05
SCHEMES = {
    "quantiles": mapclassify.Quantiles,
    "fisher_jenks": mapclassify.FisherJenks,
    "equal_interval": mapclassify.EqualInterval,
}
MIN_CLASSES, MAX_CLASSES = 2, 9
# Exact Fisher-Jenks up to this many values (pure Python, O(k n^2): ~4 s at 500 on the 2-core
# machine); beyond, on a seeded random sample of that many values.
FISHER_JENKS_EXACT_MAX = 500
# LISA quadrants as esda numbers them.
LISA_LABELS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "ns"

ERR_TOO_FEW = "{measure} needs at least {n} units with a value; this selection has {got}."
ERR_NEGATIVE = "{measure} needs values that are all positive; {bad} units have a value <= 0."
ERR_ZERO_MEAN = "{measure} is undefined when the mean is 0 (every unit has 0)."
ERR_WEIGHTS = "Weights must be numbers >= 0, one per value, not all 0."
ERR_SCHEME = "Unknown classification scheme {scheme!r}; use one of: {known}."
ERR_CLASSES = "The number of classes must be between {lo} and {hi}; got {k}."
ERR_EPSILON = "Atkinson's inequality aversion epsilon must be >= 0; got {epsilon}."
ERR_NESTING = "Group level {level} is not nested in the level above it: {detail}."


class MeasureError(ValueError):
    """A measure that cannot be computed on this input, with a message a person can act on."""


def _prepare(
    y: Sequence[float], weights: Sequence[float] | None, measure: str, minimum: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).ravel()
    if len(y) < minimum:
        raise MeasureError(ERR_TOO_FEW.format(measure=measure, n=minimum, got=len(y)))
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != y.shape or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise MeasureError(ERR_WEIGHTS)
    return y, w


def _mean(y: np.ndarray, w: np.ndarray, measure: str) -> float:
    mu = float(np.sum(w * y) / np.sum(w))
    if mu == 0:
        raise MeasureError(ERR_ZERO_MEAN.format(measure=measure))
    return mu


def gini(y: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Gini coefficient (mean absolute difference / twice the mean), optionally weighted."""
    y, w = _prepare(y, weights, "Gini")
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    cum = np.cumsum(w)
    total_w = cum[-1]
    prev = cum - w
    # Sum over ordered pairs of w_i w_j |y_i - y_j|, halved, in one pass over the sorted values.
    num = np.sum(w * y * (prev + cum - total_w))
    return float(num / (total_w * np.sum(w * y)))


def lorenz(y: Sequence[float], weights: Sequence[float] | None = None) -> dict[str, list[float]]:
    """Lorenz curve: cumulative share of units (or people) against cumulative share of value."""
    y, w = _prepare(y, weights, "Lorenz curve", minimum=1)
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    pop = np.concatenate([[0.0], np.cumsum(w) / np.sum(w)])
    share = np.concatenate([[0.0], np.cumsum(w * y) / np.sum(w * y)])
    return {"population_share": pop.tolist(), "value_share": share.tolist()}


def _xlogx_ratio(y: np.ndarray, mu: float) -> np.ndarray:
    r = y / mu
    # 0 ln 0 = 0: a unit with nothing adds nothing (the limit of x ln x).
    return np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)


def theil(y: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Theil T index: mean of (y/mu) ln(y/mu), optionally weighted."""
    y, w = _prepare(y, weights, "Theil T")
    if np.any(y < 0):
        raise MeasureError(ERR_NEGATIVE.format(measure="Theil T", bad=int(np.sum(y < 0))))
    mu = _mean(y, w, "Theil T")
    return float(np.sum(w * _xlogx_ratio(y, mu)) / np.sum(w))


def theil_decomposition(
    y: Sequence[float],
    levels: Sequence[Sequence[str]],
    weights: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
) -> dict:
    """Exact nested decomposition of Theil T across a hierarchy (coarsest level first).

    T = sum over levels of the between-group term of that level (groups against their parent)
      + the within-group term of the finest level. Returns each term and its share of T.
    """
    y, w = _prepare(y, weights, "Theil decomposition")
    total_t = theil(y, w)
    mu = _mean(y, w, "Theil decomposition")
    names = list(names or [f"level_{i}" for i in range(len(levels))])
    total_w = np.sum(w)
    parent_mean = np.full_like(y, mu)
    parent_key = np.full(len(y), "", dtype=object)
    components = []
    for depth, (name, groups) in enumerate(zip(names, levels, strict=True)):
        groups = np.asarray(groups, dtype=object)
        keys = np.array([f"{p}\x1f{g}" for p, g in zip(parent_key, groups, strict=True)])
        _check_nesting(groups, parent_key, depth)
        uniq, inv = np.unique(keys, return_inverse=True)
        gw = np.bincount(inv, w)
        # A group of no weight (no people) has no mean and adds nothing.
        gmean = np.divide(np.bincount(inv, w * y), gw, out=np.zeros_like(gw), where=gw > 0)
        gparent = np.zeros(len(uniq))
        gparent[inv] = parent_mean
        ratio = np.divide(gmean, gparent, out=np.ones_like(gmean), where=gparent > 0)
        term = np.sum(gw / total_w * gmean / mu * np.log(np.where(ratio > 0, ratio, 1.0)))
        components.append(
            {"level": name, "kind": "between", "value": float(term), "groups": len(uniq)}
        )
        parent_mean, parent_key = gmean[inv], keys
    within = total_t - sum(c["value"] for c in components)
    # Within-group term of the finest level, computed directly (not only as a residual).
    within_direct = float(np.sum(w * (y / mu) * _log_ratio(y, parent_mean)) / total_w)
    components.append({"level": names[-1], "kind": "within", "value": within_direct})
    for c in components:
        c["share"] = c["value"] / total_t if total_t else 0.0
    return {"T": total_t, "components": components, "residual": float(within - within_direct)}


def _log_ratio(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    ok = (y > 0) & (m > 0)
    return np.where(ok, np.log(np.where(ok, y, 1.0) / np.where(ok, m, 1.0)), 0.0)


def _check_nesting(groups: np.ndarray, parents: np.ndarray, depth: int) -> None:
    seen: dict = {}
    for g, p in zip(groups, parents, strict=True):
        if seen.setdefault(g, p) != p:
            raise MeasureError(
                ERR_NESTING.format(level=depth, detail=f"group {g!r} lies in two parent groups")
            )


def coefficient_of_variation(y: Sequence[float], weights: Sequence[float] | None = None) -> float:
    """Standard deviation (population form, ddof=0) over the mean, optionally weighted."""
    y, w = _prepare(y, weights, "Coefficient of variation")
    mu = _mean(y, w, "Coefficient of variation")
    return float(np.sqrt(np.sum(w * (y - mu) ** 2) / np.sum(w)) / mu)


def atkinson(
    y: Sequence[float], epsilon: float = 0.5, weights: Sequence[float] | None = None
) -> float:
    """Atkinson index with inequality aversion epsilon, optionally weighted."""
    if epsilon < 0:
        raise MeasureError(ERR_EPSILON.format(epsilon=epsilon))
    y, w = _prepare(y, weights, "Atkinson")
    if np.any(y <= 0) and epsilon >= 1:
        raise MeasureError(ERR_NEGATIVE.format(measure="Atkinson", bad=int(np.sum(y <= 0))))
    mu = _mean(y, w, "Atkinson")
    p = w / np.sum(w)
    if epsilon == 1:
        ede = np.exp(np.sum(p * np.log(y)))
    else:
        ede = np.sum(p * y ** (1 - epsilon)) ** (1 / (1 - epsilon))
    return float(1 - ede / mu)


# esda (Moran, LISA) and mapclassify's sampled Fisher-Jenks draw from numpy's global generator:
# a seed is only reproducible if no other thread draws in between, so every seeded section
# holds this lock (the web server runs analyses in threads). Callers of PySAL's own seeded
# functions in the same process (the reference tests) take it too.
RNG_LOCK = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed numpy's global generator and keep it to ourselves while the block draws."""
    with RNG_LOCK:
        np.random.seed(seed % 2**32)
        yield


def _edges(w: W) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour pairs (i, j) as position arrays, each link in both directions."""
    index = {key: pos for pos, key in enumerate(w.id_order)}
    heads, tails = [], []
    for key, neighbours in w.neighbors.items():
        heads.append(np.full(len(neighbours), index[key], dtype=int))
        tails.append(np.fromiter((index[j] for j in neighbours), dtype=int, count=len(neighbours)))
    if not heads:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    return np.concatenate(heads), np.concatenate(tails)


def spatial_gini(
    y: Sequence[float],
    w: W,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> dict:
    """Spatial Gini (Rey & Smith 2013): the share of inequality between non-neighbours.

    The statistic and the permutation draws of `inequality.gini.Gini_Spatial` (numpy's global
    generator, seeded here), vectorised over the neighbour pairs so that it scales to 100,000
    units (PySAL loops over the units in Python for every permutation).
    """
    y, _ = _prepare(y, None, "Spatial Gini")
    g = gini(y)
    denominator = y.mean() * 2 * len(y) ** 2
    total = g * denominator  # sum of |yi - yj| over ordered pairs
    heads, tails = _edges(w)
    wcg = total - float(np.abs(y[heads] - y[tails]).sum())
    result = {
        "gini": g,
        "wcg": wcg,
        "wcg_share": wcg / denominator,
        "p_sim": None,
        "permutations": permutations,
        "seed": seed,
    }
    if permutations:
        # A RandomState of its own draws what numpy's seeded global generator would (the
        # legacy global generator is a RandomState), without any lock.
        rng = np.random.RandomState(seed % 2**32)
        ids = np.arange(len(y))
        draws = np.empty(permutations)
        for k in range(permutations):
            rng.shuffle(ids)
            yp = y[ids]
            draws[k] = total - np.abs(yp[heads] - yp[tails]).sum()
        larger = int(np.sum(draws >= wcg))
        larger = min(larger, permutations - larger)
        result["p_sim"] = (larger + 1.0) / (permutations + 1.0)
    return result


def moran(
    y: Sequence[float],
    w: W,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
) -> dict:
    """Global Moran's I with analytical and permutation inference, and the scatterplot data."""
    y, _ = _prepare(y, None, "Moran's I", minimum=3)
    w.transform = "r"
    with warnings.catch_warnings(), seeded(seed):
        warnings.simplefilter("ignore")
        mi = Moran(y, w, permutations=permutations)
    z = (y - y.mean()) / y.std()
    return {
        "I": float(mi.I),
        "EI": float(mi.EI),
        "z_norm": float(mi.z_norm),
        "p_norm": float(mi.p_norm),
        "p_sim": float(mi.p_sim) if permutations else None,
        "z_sim": float(mi.z_sim) if permutations else None,
        "permutations": permutations,
        "seed": seed,
        "scatter": {"z": z.tolist(), "lag": _lag(w, z).tolist()},
    }


def _lag(w: W, z: np.ndarray) -> np.ndarray:
    return np.asarray(w.sparse @ z).ravel()


def lisa(
    y: Sequence[float],
    w: W,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
) -> dict:
    """Local Moran (LISA): per unit Ii, quadrant, pseudo p-value and cluster label."""
    y, _ = _prepare(y, None, "LISA", minimum=3)
    w.transform = "r"
    with warnings.catch_warnings(), seeded(seed):
        warnings.simplefilter("ignore")
        lm = Moran_Local(y, w, permutations=permutations, seed=seed, n_jobs=1)
    # Without permutations there is no inference: the quadrant alone, flagged by p_sim None.
    p_sim = lm.p_sim if permutations else np.zeros(len(y))
    labels = [
        LISA_LABELS[int(q)] if p <= alpha else NOT_SIGNIFICANT
        for q, p in zip(lm.q, p_sim, strict=True)
    ]
    return {
        "Is": lm.Is.tolist(),
        "q": [int(q) for q in lm.q],
        "p_sim": lm.p_sim.tolist() if permutations else None,
        "cluster": labels,
        "alpha": alpha,
        "permutations": permutations,
        "seed": seed,
    }


def class_breaks(
    y: Sequence[float], scheme: str = "quantiles", k: int = 5, seed: int = DEFAULT_SEED
) -> dict:
    """Class breaks with mapclassify: the one classification the map and the notebooks share."""
    if scheme not in SCHEMES:
        raise MeasureError(ERR_SCHEME.format(scheme=scheme, known=", ".join(SCHEMES)))
    if not MIN_CLASSES <= k <= MAX_CLASSES:
        raise MeasureError(ERR_CLASSES.format(lo=MIN_CLASSES, hi=MAX_CLASSES, k=k))
    y, _ = _prepare(y, None, "Classification")
    sampled = scheme == "fisher_jenks" and len(y) > FISHER_JENKS_EXACT_MAX
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if sampled:
            # Fisher-Jenks is O(k n^2) in pure Python: beyond this size, mapclassify's
            # sampled variant, on FISHER_JENKS_EXACT_MAX values drawn under the seed.
            with seeded(seed):
                c = mapclassify.FisherJenksSampled(
                    y, k=k, pct=FISHER_JENKS_EXACT_MAX / len(y), truncate=False
                )
        else:
            c = SCHEMES[scheme](y, k=k)
    return {
        "scheme": scheme,
        "k": int(c.k),
        "bins": [float(b) for b in c.bins],
        "counts": [int(n) for n in c.counts],
        "yb": [int(b) for b in c.yb],
        "min": float(np.min(y)),
        "sampled": sampled,
        "seed": seed if sampled else None,
    }


def priority_levels(y: Sequence[float], *, higher_is_better: bool, levels: int = 4) -> list[int]:
    """PRDTS-style priority: quantile classes of the deficit, 1 the most deprived units."""
    y, _ = _prepare(y, None, "Priority ranking")
    deficit = -y if higher_is_better else y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yb = mapclassify.Quantiles(deficit, k=min(levels, len(np.unique(deficit)))).yb
    top = int(np.max(yb))
    return [int(top - b + 1) for b in yb]
