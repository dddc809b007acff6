from django.urls import path

from . import api, views

API = "api/v1/watch/"

urlpatterns = [
    path(API + "indicators/", api.IndicatorList.as_view(), name="watch-indicators"),
    path(
        API + "indicators/<slug:code>/values/", api.IndicatorValues.as_view(), name="watch-values"
    ),
    path(API + "analysis/", api.Analysis.as_view(), name="watch-analysis"),
    path(API + "runs/", api.RunList.as_view(), name="watch-runs"),
    path(API + "runs/<int:pk>/", api.RunDetail.as_view(), name="watch-run"),
    path(API + "units/<slug:level>/<str:code>/", api.UnitProfile.as_view(), name="watch-unit"),
    path(API + "compare/", api.Compare.as_view(), name="watch-compare"),
    path(API + "export.<slug:fmt>", api.Export.as_view(), name="watch-export"),
    path("observatoire/", views.dashboard, name="watch-dashboard"),
]
