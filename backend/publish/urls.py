from django.urls import path

from . import api

urlpatterns = [
    path("zones/<int:pk>/", api.ZoneDetail.as_view(), name="zone-detail"),
    path("lookup/", api.lookup, name="lookup"),
    path("lookup/note.pdf", api.lookup_note, name="lookup-note"),
    path("plans/", api.PlanVersionList.as_view(), name="plan-list"),
]
