"""REST API of the urban watch: catalogue, values (GeoJSON + shared class breaks), analyses,
unit profiles and comparisons, exports. Thin: parse, call a selector or service, serialize."""

from __future__ import annotations

import json

from django.http import HttpResponse
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from common.errors import Refused

from . import exports, selectors, services
from . import measures as m
from .analysis import Options
from .models import AnalysisRun, Indicator

ERR_INT = "Parameter {name!r} must be a whole number between {lo} and {hi}; got {value!r}."
ERR_FLOAT = "Parameter {name!r} must be a number between {lo} and {hi}; got {value!r}."
ERR_REQUIRED = "Parameter {name!r} is required, e.g. ?indicator=density&level=district."
ERR_FORMAT = "Unknown export format {fmt!r}; use one of: {known}."
MAX_PERMUTATIONS = 9999
MAX_SEED = 2**32 - 1


def _int(params, name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise Refused(ERR_INT.format(name=name, lo=lo, hi=hi, value=raw), code="bad_parameter")
    return value


def _float(params, name: str, default: float, lo: float, hi: float) -> float:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise Refused(ERR_FLOAT.format(name=name, lo=lo, hi=hi, value=raw), code="bad_parameter")
    return value


def _required(params, name: str) -> str:
    value = params.get(name)
    if not value:
        raise Refused(ERR_REQUIRED.format(name=name), code="missing_parameter")
    return value


def options_from(params, indicator: selectors.IndicatorInfo | None = None) -> Options:
    """Analysis options from query parameters (or a process's inputs), checked."""
    scheme = params.get("scheme") or "quantiles"
    if scheme not in m.SCHEMES:
        raise Refused(
            m.ERR_SCHEME.format(scheme=scheme, known=", ".join(m.SCHEMES)), code="bad_parameter"
        )
    contiguity = params.get("contiguity") or "queen"
    return Options(
        seed=_int(params, "seed", m.DEFAULT_SEED, 0, MAX_SEED),
        permutations=_int(params, "permutations", m.DEFAULT_PERMUTATIONS, 0, MAX_PERMUTATIONS),
        scheme=scheme,
        k=_int(params, "k", 5, m.MIN_CLASSES, m.MAX_CLASSES),
        contiguity=contiguity,
        alpha=_float(params, "alpha", m.DEFAULT_ALPHA, 0.0001, 0.5),
        priority_levels=_int(params, "priority_levels", 4, 2, 9),
        higher_is_better=indicator.higher_is_better if indicator else True,
    )


def run_analysis(
    params, fetch: selectors.Fetch = selectors.django_fetch
) -> tuple[selectors.IndicatorInfo, dict]:
    """Parse an analysis request and run it (shared by the API and the OGC process)."""
    code, level = _required(params, "indicator"), _required(params, "level")
    indicator = selectors.indicator_get(code, fetch)
    return selectors.analysis(
        code=code,
        level=level,
        period=params.get("period") or None,
        dimension=params.get("dimension") if params.get("dimension") is not None else None,
        options=options_from(params, indicator),
        fetch=fetch,
    )


class Public(APIView):
    """The urban watch publishes aggregates only: readable by anyone."""

    permission_classes = [AllowAny]


class RunThrottle(UserRateThrottle):
    """Recorded runs and background jobs: a budget an hour per account or address.

    Reading (the dashboard's GETs) is not counted. The budget is EU_WATCH_RUNS_PER_HOUR, kept in
    each process's cache.
    """

    scope = "watch_runs"

    def allow_request(self, request, view) -> bool:
        return request.method in SAFE_METHODS or super().allow_request(request, view)


class IndicatorList(Public):
    """The catalogue, with where each indicator has values."""

    def get(self, request):
        """List the indicators."""
        return Response(
            [
                {
                    "code": i.code,
                    "name_fr": i.name_fr,
                    "name_ar": i.name_ar,
                    "name_en": i.name_en,
                    "formula": i.formula,
                    "unit": i.unit,
                    "source": i.source,
                    "method_version": i.method_version,
                    "higher_is_better": i.higher_is_better,
                    "coverage": selectors.coverage(i.code),
                }
                for i in Indicator.objects.all()
            ]
        )


class IndicatorValues(Public):
    """One indicator at one level: GeoJSON features with their class, and the class breaks."""

    def get(self, request, code: str):
        """Values as GeoJSON plus the mapclassify breaks the map draws with."""
        params = request.query_params
        indicator = selectors.indicator_get(code)
        level = _required(params, "level")
        period, dimension = selectors.resolve(
            indicator, level, params.get("period") or None, params.get("dimension")
        )
        frame = selectors.values_frame(indicator, level, period, dimension)
        valid = frame["value"].notna()
        if valid.sum() < selectors.MIN_UNITS:
            raise Refused(
                selectors.ERR_SINGLE.format(
                    code=code, level=level, n=int(valid.sum()), period=period
                ),
                code="too_few_units",
            )
        opts = options_from(params, indicator)
        breaks = m.class_breaks(frame.loc[valid, "value"], opts.scheme, opts.k, opts.seed)
        frame["class"] = None
        frame.loc[valid, "class"] = breaks["yb"]
        geojson = json.loads(frame.to_json(drop_id=True))
        return Response(
            {
                "indicator": code,
                "level": level,
                "period": period,
                "dimension": dimension,
                "unit": indicator.unit,
                "breaks": breaks,
                "features": geojson["features"],
                "type": "FeatureCollection",
            }
        )


class Analysis(Public):
    """The disparity suite; GET computes, POST also records the run (seed, version, result)."""

    throttle_classes = [RunThrottle]

    def get(self, request):
        """Compute and return the analysis."""
        _, result = run_analysis(request.query_params)
        return Response(result)

    def post(self, request):
        """Compute, record and return the analysis with its run id."""
        params = {**request.query_params.dict(), **(request.data or {})}
        indicator, result = run_analysis(params)
        run = services.analysis_run_record(
            indicator=Indicator.objects.get(code=indicator.code),
            level=result["level"],
            period=result["period"],
            dimension=result["dimension"],
            options=options_from(params, indicator),
            result=result,
        )
        return Response({"run": run.pk, "status": run.status, **result}, status=201)


class RunList(Public):
    """Start an analysis in the background (202 + Location); poll the run for its status."""

    throttle_classes = [RunThrottle]

    def post(self, request):
        """Check the request now (400s at once), run it later."""
        params = {**request.query_params.dict(), **(request.data or {})}
        code, level = _required(params, "indicator"), _required(params, "level")
        info = selectors.indicator_get(code)
        period, dimension = selectors.resolve(
            info, level, params.get("period") or None, params.get("dimension")
        )
        run = services.analysis_run_start(
            indicator=Indicator.objects.get(code=code),
            level=level,
            period=period,
            dimension=dimension,
            options=options_from(params, info),
        )
        response = Response({"run": run.pk, "status": run.status}, status=202)
        response["Location"] = f"/api/v1/watch/runs/{run.pk}/"
        return response


class RunDetail(Public):
    """A recorded analysis run: its status, inputs, seed and result."""

    def get(self, request, pk: int):
        """The run."""
        run = AnalysisRun.objects.filter(pk=pk).select_related("indicator").first()
        if run is None:
            raise Refused(f"No analysis run {pk}.", code="not_found", status=404)
        return Response(
            {
                "run": run.pk,
                "status": run.status,
                "indicator": run.indicator.code,
                "level": run.level,
                "period": run.period,
                "seed": run.seed,
                "method_version": run.method_version,
                "parameters": run.parameters,
                "created_at": run.created_at,
                "finished_at": run.finished_at,
                "message": run.message,
                "result": run.result,
            }
        )


class UnitProfile(Public):
    """Every indicator of one unit."""

    def get(self, request, level: str, code: str):
        """The unit's profile."""
        return Response(selectors.unit_profile(level=level, code=code))


class Compare(Public):
    """Two units side by side."""

    def get(self, request):
        """Profiles of ?a= and ?b= at ?level=."""
        params = request.query_params
        level = _required(params, "level")
        return Response(
            {
                "a": selectors.unit_profile(level=level, code=_required(params, "a")),
                "b": selectors.unit_profile(level=level, code=_required(params, "b")),
            }
        )


class Export(Public):
    """The analysed layer as GeoPackage, GeoParquet or CSV, with its metadata."""

    def get(self, request, fmt: str):
        """Download."""
        if fmt not in exports.FORMATS:
            raise Refused(
                ERR_FORMAT.format(fmt=fmt, known=", ".join(exports.FORMATS)), code="bad_format"
            )
        indicator, result = run_analysis(request.query_params)
        frame = selectors.values_frame(
            indicator, result["level"], result["period"], result["dimension"]
        )
        meta = exports.metadata(indicator, result)
        body = exports.render(fmt, exports.layer(frame, result), meta)
        name = f"{indicator.code}_{result['level']}_{result['period']}.{fmt}"
        response = HttpResponse(body, content_type=exports.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
