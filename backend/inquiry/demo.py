"""A few observations in the demo inquiry's register, written through the service."""

from __future__ import annotations

from inquiry.models import Inquiry, Theme
from inquiry.services import observation_submit
from planning.models import Zone

# (theme, text, named publication?)
OBSERVATIONS = [
    (
        Theme.ZONING,
        "Je demande que ma parcelle reste en zone villas, comme dans le plan de 2014.",
        True,
    ),
    (Theme.DENSITY, "Le passage en R+4 de cet îlot privera les maisons voisines de soleil.", False),
    (Theme.EQUIPMENT, "La réservation pour école est bienvenue : le quartier en manque.", True),
    (
        Theme.ROADS,
        "L'élargissement de la voie coupe l'accès au marché ; prévoir un passage.",
        False,
    ),
    (Theme.GREEN, "نطالب بالحفاظ على المساحة الخضراء قرب المدرسة.", False),
    (
        Theme.RISKS,
        "Ce terrain est inondé chaque hiver : il ne devrait pas être constructible.",
        True,
    ),
    (Theme.HERITAGE, "La ferme ancienne mérite d'être protégée.", False),
    (Theme.OTHER, "Merci de publier le règlement en arabe également.", False),
]


def add_demo_observations(inquiry: Inquiry) -> None:
    """Submit the demo observations on zones spread over the draft, one per theme."""
    zones = list(Zone.objects.filter(version_id=inquiry.version_id).order_by("key"))
    step = max(1, len(zones) // len(OBSERVATIONS))
    for i, (theme, body, named) in enumerate(OBSERVATIONS):
        zone = zones[(i * step) % len(zones)]
        observation_submit(
            inquiry=inquiry,
            theme=theme,
            body=body,
            author_name=f"Habitant {i + 1}",
            author_email=f"habitant{i + 1}@demo.example",
            consent_publication=True,
            publish_named=named,
            geometry=zone.geom.point_on_surface,
        )
