"""The watch measures agree with PySAL on the real data sets that ship inside libpysal.

Each data set is read through the system's own import path (`watch.analysis.read_units`,
pyogrio), weights come from the system's own contiguity builder, and the numbers are compared
to PySAL run on PySAL's own files (the .gal weights, libpysal.io), and to published values.
"""

from __future__ import annotations

import libpysal
import numpy as np
import pytest
from esda.moran import Moran, Moran_Local
from inequality.atkinson import atkinson as pysal_atkinson
from inequality.gini import Gini, Gini_Spatial
from inequality.theil import Theil, TheilD
from libpysal.examples import get_path
from libpysal.weights import block_weights

from watch import measures as m
from watch.analysis import Options, analyse, contiguity, read_units

TOL = 1e-6
SEED = 12345
PERMUTATIONS = 99
MEXICO_YEARS = ["PCGDP1940", "PCGDP1960", "PCGDP1980", "PCGDP2000"]
# (shapefile, .gal file, id field, variable, contiguity the .gal file was built with)
SPATIAL = [
    ("columbus.shp", "columbus.gal", "POLYID", "CRIME", "queen"),
    ("stl_hom.shp", "stl.gal", "POLY_ID_OG", "HR8893", "rook"),
    ("sids2.shp", "sids2.gal", "FIPSNO", "SIDR74", "rook"),
]


def gal_weights(gal: str, ids: list[str]):
    """PySAL's own weights file, in the row order of the shapefile."""
    w = libpysal.io.open(get_path(gal)).read()
    if set(w.id_order) != set(ids):
        w = libpysal.weights.W({str(k): v for k, v in w.neighbors.items()})
    w.id_order = ids
    w.transform = "r"
    return w


def shp_ids(frame, gal: str) -> list[str]:
    """The .gal ids in shapefile order: positional (1..n) or the FIPS codes."""
    w = libpysal.io.open(get_path(gal)).read()
    if w.id_order[0] == "1" or w.id_order[0] == 1:
        return [type(w.id_order[0])(i + 1) for i in range(len(frame))]
    return [type(w.id_order[0])(int(v)) for v in frame["FIPSNO"]]


@pytest.fixture(scope="module")
def mexico():
    frame = read_units(get_path("mexicojoin.shp"))
    return frame


def test_mexico_gini_theil_cv_atkinson_agree_with_pysal_for_every_year(mexico):
    for year in MEXICO_YEARS:
        y = mexico[year].to_numpy(dtype=float)
        assert m.gini(y) == pytest.approx(Gini(y).g, abs=TOL)
        assert m.theil(y) == pytest.approx(Theil(y).T, abs=TOL)
        assert m.coefficient_of_variation(y) == pytest.approx(y.std() / y.mean(), abs=TOL)
        for eps in (0.5, 1.0, 2.0):
            assert m.atkinson(y, eps) == pytest.approx(pysal_atkinson(y, eps), abs=TOL)


def test_mexico_published_values_from_the_pysal_documentation(mexico):
    y = mexico["PCGDP1940"].to_numpy(dtype=float)
    # inequality's docs: Theil(y).tT[0] = 0.20894344, TheilD(...).bg[0] = 0.0345889.
    assert m.theil(y) == pytest.approx(0.20894344, abs=TOL)
    regions = mexico["HANSON98"].astype(int).to_numpy()
    decomposition = m.theil_decomposition(y, [regions])
    assert decomposition["components"][0]["value"] == pytest.approx(0.0345889, abs=TOL)
    # Gini docs: Gini(y[:,0]).g = 0.35372.
    assert m.gini(y) == pytest.approx(0.3537237, abs=1e-6)


def test_mexico_theil_decomposition_agrees_with_theild_for_each_regionalisation(mexico):
    y_all = mexico[MEXICO_YEARS].to_numpy(dtype=float)
    for regime in ("HANSON03", "HANSON98", "ESQUIVEL99", "INEGI", "INEGI2"):
        partition = mexico[regime].astype(int).to_numpy()
        reference = TheilD(y_all, partition)
        for j, year in enumerate(MEXICO_YEARS):
            ours = m.theil_decomposition(mexico[year].to_numpy(dtype=float), [partition])
            between, within = (c["value"] for c in ours["components"])
            assert between == pytest.approx(reference.bg[j], abs=TOL)
            assert within == pytest.approx(reference.wg[j], abs=TOL)
            assert between + within == pytest.approx(ours["T"], abs=1e-12)


def test_mexico_spatial_gini_agrees_with_pysal_under_the_same_seed(mexico):
    regions = mexico["HANSON98"].astype(int).to_numpy()
    w = block_weights(regions, silence_warnings=True)
    y = mexico["PCGDP1940"].to_numpy(dtype=float)
    ours = m.spatial_gini(y, w, permutations=PERMUTATIONS, seed=SEED)
    with m.seeded(SEED):  # numpy's global generator, to ourselves (see measures.RNG_LOCK)
        ref = Gini_Spatial(y, w, permutations=PERMUTATIONS)
    assert ours["gini"] == pytest.approx(ref.g, abs=TOL)
    assert ours["wcg"] == pytest.approx(ref.wcg, abs=TOL)
    assert ours["p_sim"] == pytest.approx(ref.p_sim, abs=TOL)
    # Published in inequality's docs: wcg = 4353856.0 (its p_sim, 0.04, is for the rows in
    # mexico.csv's order; the shapefile's order draws other permutations from the same seed).
    assert ours["wcg"] == pytest.approx(4353856.0, abs=TOL)


@pytest.mark.parametrize(("shp", "gal", "id_field", "variable", "kind"), SPATIAL)
def test_spatial_autocorrelation_agrees_with_esda_on_the_bundled_weights(
    shp, gal, id_field, variable, kind
):
    frame = read_units(get_path(shp))
    ids = shp_ids(frame, gal)
    ref_w = gal_weights(gal, ids)
    ours_w = contiguity(frame, kind)
    # Our contiguity from the geometries is PySAL's .gal file, neighbour for neighbour.
    for i, key in enumerate(ids):
        assert sorted(ids[j] for j in ours_w.neighbors[i]) == sorted(ref_w.neighbors[key])
    y = frame[variable].to_numpy(dtype=float)
    options = Options(seed=SEED, permutations=PERMUTATIONS, contiguity=kind)
    result = analyse(frame, variable, options=options)

    with m.seeded(SEED):
        ref = Moran(y, ref_w, permutations=PERMUTATIONS)
    assert result["moran"]["I"] == pytest.approx(ref.I, abs=TOL)
    assert result["moran"]["EI"] == pytest.approx(ref.EI, abs=TOL)
    assert result["moran"]["p_norm"] == pytest.approx(ref.p_norm, abs=TOL)
    assert result["moran"]["p_sim"] == pytest.approx(ref.p_sim, abs=TOL)

    with m.seeded(SEED):
        local = Moran_Local(y, ref_w, permutations=PERMUTATIONS, seed=SEED, n_jobs=1)
    np.testing.assert_allclose(result["lisa"]["Is"], local.Is, atol=TOL)
    np.testing.assert_allclose(result["lisa"]["p_sim"], local.p_sim, atol=TOL)
    assert result["lisa"]["q"] == [int(q) for q in local.q]
    assert result["lisa"]["seed"] == SEED and result["options"]["seed"] == SEED

    # PySAL's Gini_Spatial indexes values by weight ids, so it needs ids 0..n-1: ours, which
    # were checked above to be the .gal file's neighbours.
    with m.seeded(SEED):
        gs = Gini_Spatial(y, ours_w, permutations=PERMUTATIONS)
    assert result["spatial_gini"]["wcg"] == pytest.approx(gs.wcg, rel=1e-9)
    assert result["spatial_gini"]["wcg_share"] == pytest.approx(gs.wcg_share, abs=TOL)
    assert result["spatial_gini"]["p_sim"] == pytest.approx(gs.p_sim, abs=TOL)


def test_published_moran_values_for_columbus_and_stl():
    # Anselin (1988) / GeoDa: Columbus CRIME, queen, row-standardised: I = 0.500188.
    columbus = read_units(get_path("columbus.shp"))
    result = m.moran(columbus["CRIME"], contiguity(columbus, "queen"), permutations=0)
    assert result["I"] == pytest.approx(0.500188, abs=1e-6)
    # esda's docs: St Louis HR8893, rook: I = 0.2440, EI = -0.012987.
    stl = read_units(get_path("stl_hom.shp"))
    result = m.moran(stl["HR8893"], contiguity(stl, "rook"), permutations=0)
    assert result["I"] == pytest.approx(0.24365582621771695, abs=1e-6)
    assert result["EI"] == pytest.approx(-1 / 77, abs=1e-9)


def test_class_breaks_are_mapclassify_breaks_on_columbus():
    import mapclassify

    y = read_units(get_path("columbus.shp"))["CRIME"].to_numpy()
    for scheme, cls in m.SCHEMES.items():
        ours = m.class_breaks(y, scheme, 5)
        np.testing.assert_allclose(ours["bins"], cls(y, k=5).bins, atol=TOL)
    # mapclassify's docs: Quantiles(columbus CRIME, k=5) upper bounds.
    q = m.class_breaks(y, "quantiles", 5)
    np.testing.assert_allclose(q["bins"], mapclassify.Quantiles(y, k=5).bins, atol=TOL)
