from django.urls import path

from . import api

urlpatterns = [
    path("zones/<int:pk>/", api.ZoneDetail.as_view(), name="zone-detail"),
    path("plans/", api.PlanVersionList.as_view(), name="plan-list"),
]
