"""OGC API Processes: "disparity-analysis", the whole disparity suite on any indicator at any
level, read from the `publish` views through the read-only role (as the other OGC processes).
"""

from __future__ import annotations

import logging

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from common.errors import Refused
from publish.ogc import db

from . import measures as m

LOGGER = logging.getLogger(__name__)
PROCESS_ID = "disparity-analysis"


def _string(title: str, description: str, default=None, required: bool = False) -> dict:
    schema = {"type": "string"}
    if default is not None:
        schema["default"] = default
    return {
        "title": title,
        "description": description,
        "schema": schema,
        "minOccurs": 1 if required else 0,
        "maxOccurs": 1,
    }


def _integer(title: str, description: str, default: int, lo: int, hi: int) -> dict:
    return {
        "title": title,
        "description": description,
        "minOccurs": 0,
        "maxOccurs": 1,
        "schema": {"type": "integer", "default": default, "minimum": lo, "maximum": hi},
    }


PROCESS_METADATA = {
    "version": "1.0.0",
    "id": PROCESS_ID,
    "title": {
        "fr": "Analyse des disparités territoriales",
        "ar": "تحليل الفوارق المجالية",
        "en": "Territorial disparity analysis",
    },
    "description": {
        "fr": "Gini, Theil T et sa décomposition entre/intra (province, commune), versions "
        "pondérées par la population, coefficient de variation, Atkinson, Gini spatial, "
        "I de Moran et LISA (inférence par permutations sous une graine enregistrée), "
        "classes mapclassify et niveaux de priorité, pour un indicateur à un niveau.",
        "ar": "مؤشرات جيني وثايل وأتكنسون وموران وLISA لمؤشر عند مستوى ترابي.",
        "en": "Gini, Theil T with its between/within decomposition, population-weighted "
        "variants, CV, Atkinson, spatial Gini, Moran's I and LISA (seeded permutation "
        "inference), mapclassify breaks and priority levels for one indicator and level.",
    },
    # Long analyses (many cells, many permutations) can run as a job: Prefer: respond-async.
    "jobControlOptions": ["sync-execute", "async-execute"],
    "keywords": ["veille urbaine", "disparités", "PySAL"],
    "links": [],
    "inputs": {
        "indicator": _string(
            "Indicator code", "A code of the collection `indicators`, e.g. density.", required=True
        ),
        "level": _string("Level", "commune or district.", required=True),
        "period": _string("Period", "e.g. 2024; default the latest."),
        "dimension": _string("Dimension", "e.g. school for equipment_per_1000."),
        "scheme": _string("Classification", ", ".join(m.SCHEMES), default="quantiles"),
        "k": _integer("Classes", "Number of classes.", 5, m.MIN_CLASSES, m.MAX_CLASSES),
        "seed": _integer(
            "Seed",
            "Seed of the permutation inference (recorded in the result).",
            m.DEFAULT_SEED,
            0,
            2**32 - 1,
        ),
        "permutations": _integer(
            "Permutations", "For Moran, LISA and spatial Gini.", m.DEFAULT_PERMUTATIONS, 0, 9999
        ),
    },
    "outputs": {
        "analysis": {
            "title": "Analysis",
            "description": "Every measure with its options, seed and method version.",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {"inputs": {"indicator": "density", "level": "district", "seed": 1}},
}


def publish_fetch(sql: str, params: list) -> list[tuple]:
    """Reads through the OGC API's pool, logged in as the read-only role."""
    with db.pool().connection() as conn:
        return conn.execute(sql, params).fetchall()


class DisparityAnalysisProcessor(BaseProcessor):
    """OGC API Processes wrapper of the watch analysis."""

    def __init__(self, processor_def):
        """Describe the process."""
        super().__init__(processor_def, PROCESS_METADATA)

    def execute(self, data, outputs=None):
        """Run the analysis; bad input raises ProcessorExecuteError with the reason."""
        # Imported here: pygeoapi loads this module to describe the process, Django or not.
        from .api import run_analysis

        params = {k: str(v) for k, v in (data or {}).items() if v is not None}
        try:
            _, result = run_analysis(params, fetch=publish_fetch)
        except Refused as err:
            raise ProcessorExecuteError(user_msg=err.message) from None
        return "application/json", result

    def __repr__(self):
        return "<DisparityAnalysisProcessor>"
