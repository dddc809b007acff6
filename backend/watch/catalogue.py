"""The indicator catalogue: one definition per indicator, in code, synced into the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Parameters of the computations, named once (DOMAIN.md); the formulas below quote them.
SCHOOL_DISTANCE_M = 1000.0
HEALTH_DISTANCE_M = 2000.0
TWO_SFCA_CATCHMENT_M = {"school": 1500.0, "health_centre": 3000.0}
PER_INHABITANTS = 1000.0
ACCESS_KINDS = {"school": SCHOOL_DISTANCE_M, "health_centre": HEALTH_DISTANCE_M}
# SDG 11.7.1 part 2 (UN-Habitat): within 400 m walking distance of an open public space.
OPEN_SPACE_DISTANCE_M = 400.0

TERRITORY = "Territoire e-urbanisme (communes, quartiers, population légale)"
EQUIPMENT = "Inventaire des équipements publics (territory.Equipment)"
RASTERS = "Rasters de bâti 30 m (2014, 2024) et de population 100 m"
ZONING = "Plan d'aménagement approuvé (zones et prescriptions publiées)"
PERMITS = "Autorisations de construire délivrées (territory.BuildingPermit)"


@dataclass(frozen=True)
class Definition:
    """An indicator as the catalogue defines it."""

    code: str
    name_fr: str
    name_ar: str
    name_en: str
    formula: str
    unit: str
    source: str
    method_version: str = "1.0"
    higher_is_better: bool = True
    population_weighted: bool = True


CATALOGUE: list[Definition] = [
    Definition(
        "population",
        "Population",
        "السكان",
        "Population",
        "Population légale du quartier; commune = somme des quartiers.",
        "hab.",
        TERRITORY,
        population_weighted=False,
    ),
    Definition(
        "density",
        "Densité de population",
        "الكثافة السكانية",
        "Population density",
        "population / surface (km², géographie WGS84)",
        "hab./km²",
        TERRITORY,
        higher_is_better=False,
    ),
    Definition(
        "equipment_per_1000",
        "Équipements pour 1 000 habitants",
        "التجهيزات لكل 1000 نسمة",
        "Facilities per 1,000 inhabitants",
        "nombre d'équipements du type (dimension) dans l'unité / population x 1000",
        "/1000 hab.",
        EQUIPMENT,
    ),
    Definition(
        "access_share",
        "Part de la population proche d'un équipement",
        "نسبة السكان القريبين من تجهيز",
        "Share of population near a facility",
        f"population des mailles 100 m à moins de {SCHOOL_DISTANCE_M:.0f} m (école) ou "
        f"{HEALTH_DISTANCE_M:.0f} m (centre de santé) à vol d'oiseau de l'équipement le "
        "plus proche / population x 100",
        "%",
        f"{EQUIPMENT}; {RASTERS}",
    ),
    Definition(
        "access_2sfca",
        "Accessibilité 2SFCA",
        "إمكانية الوصول 2SFCA",
        "2SFCA accessibility",
        "Luo & Wang (2003): R_j = 1 / population à moins de d0 de l'équipement j; "
        "A_i = somme des R_j à moins de d0 de la maille i; moyenne pondérée par la "
        "population de l'unité, x 1000 (d0: école 1500 m, santé 3000 m)",
        "/1000 hab.",
        f"{EQUIPMENT}; {RASTERS}",
    ),
    Definition(
        "zoning_share",
        "Composition du zonage",
        "تركيبة التنطيق",
        "Zoning composition",
        "surface des zones de la famille (dimension) du plan approuvé dans l'unité / "
        "surface de l'unité x 100",
        "%",
        ZONING,
        population_weighted=False,
    ),
    Definition(
        "permits_floor_area",
        "Surface autorisée par habitant",
        "المساحة المرخصة لكل نسمة",
        "Permitted floor area per inhabitant",
        "somme des surfaces de plancher autorisées dans l'année / population",
        "m²/hab.",
        PERMITS,
    ),
    Definition(
        "permits_count",
        "Autorisations de construire",
        "رخص البناء",
        "Building permits",
        "nombre d'autorisations délivrées dans l'année",
        "autorisations",
        PERMITS,
        population_weighted=False,
    ),
    Definition(
        "builtup_area",
        "Surface bâtie",
        "المساحة المبنية",
        "Built-up area",
        "somme exacte (exactextract) des pixels bâtis x surface du pixel",
        "km²",
        RASTERS,
        population_weighted=False,
    ),
    Definition(
        "builtup_share",
        "Part bâtie",
        "نسبة المساحة المبنية",
        "Built-up share",
        "moyenne exacte (exactextract, couverture fractionnaire) du raster de bâti x 100",
        "%",
        RASTERS,
        higher_is_better=False,
    ),
    Definition(
        "builtup_per_capita",
        "Surface bâtie par habitant",
        "المساحة المبنية لكل نسمة",
        "Built-up area per capita",
        "surface bâtie / population (ODD 11.3.1, indicateur compagnon)",
        "m²/hab.",
        RASTERS,
    ),
    Definition(
        "lcrpgr",
        "Rapport consommation d'espace / croissance démographique (ODD 11.3.1)",
        "نسبة معدل استهلاك الأراضي إلى معدل النمو السكاني",
        "Land consumption rate to population growth rate (SDG 11.3.1)",
        "LCR = ln(Urb2/Urb1)/y; PGR = ln(Pop2/Pop1)/y; LCRPGR = LCR/PGR",
        "ratio",
        f"{RASTERS}; {TERRITORY}",
        higher_is_better=False,
    ),
    Definition(
        "open_space_share",
        "Espace public ouvert (ODD 11.7.1)",
        "الفضاء العمومي المفتوح",
        "Open public space (SDG 11.7.1)",
        "(zones vertes + réservations d'espaces verts + emprises de voirie) / surface bâtie x 100",
        "%",
        f"{ZONING}; {RASTERS}",
    ),
    Definition(
        "open_space_access",
        "Population proche d'un espace public ouvert (ODD 11.7.1, partie 2)",
        "السكان القريبون من فضاء عمومي مفتوح",
        "Population near open public space (SDG 11.7.1, part 2)",
        f"population des mailles 100 m dont le centre est à moins de "
        f"{OPEN_SPACE_DISTANCE_M:.0f} m à vol d'oiseau (distance euclidienne en EPSG:26191, "
        "non la distance de marche d'ONU-Habitat, faute de réseau piéton) d'un espace public "
        "ouvert (zones vertes et réservations d'espaces verts du plan approuvé) / population "
        "x 100",
        "%",
        f"{ZONING}; {RASTERS}",
    ),
    Definition(
        "builtup_share_popweighted",
        "Part bâtie pondérée par la population",
        "نسبة المساحة المبنية المرجحة بالسكان",
        "Population-weighted built-up share",
        "moyenne du raster de bâti pondérée par le raster de population (exactextract "
        "weighted_mean) x 100",
        "%",
        RASTERS,
        higher_is_better=False,
    ),
]
BY_CODE = {d.code: d for d in CATALOGUE}


def as_rows() -> list[dict]:
    """The catalogue as dictionaries, the database rows' fields."""
    return [asdict(d) for d in CATALOGUE]
