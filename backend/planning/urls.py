from django.urls import path

from . import api, editor_api, prescriptions_api

urlpatterns = [
    path("versions/<int:version_id>/zones/", api.VersionZones.as_view(), name="version-zones"),
    path("versions/<int:version_id>/clone/", api.VersionClone.as_view(), name="version-clone"),
    path("versions/<int:version_id>/report/", api.VersionReport.as_view(), name="version-report"),
    path(
        "versions/<int:old_id>/diff/<int:new_id>/", api.VersionDiff.as_view(), name="version-diff"
    ),
    path("versions/<int:old_id>/diff/<int:new_id>/at/", api.ChangesAt.as_view(), name="changes-at"),
    path("versions/<int:version_id>/import/", api.VersionImport.as_view(), name="version-import"),
    path(
        "versions/<int:version_id>/export.<str:fmt>",
        api.VersionExport.as_view(),
        name="version-export",
    ),
    path("zones/<int:pk>/", api.ZoneEdit.as_view(), name="zone-edit"),
    path("zones/<int:pk>/history/", api.ZoneHistory.as_view(), name="zone-history"),
    path("zones/<int:pk>/restore/<int:event_id>/", api.ZoneRestore.as_view(), name="zone-restore"),
    path("versions/<int:version_id>/", editor_api.VersionContext.as_view(), name="version-context"),
    path(
        "versions/<int:version_id>/zones.geojson",
        editor_api.VersionZoneFeatures.as_view(),
        name="version-zone-features",
    ),
    path(
        "versions/<int:version_id>/import-jobs/",
        editor_api.VersionImportJobs.as_view(),
        name="version-import-jobs",
    ),
    path("import-jobs/<int:pk>/", editor_api.ImportJobDetail.as_view(), name="import-job"),
    path(
        "versions/<int:version_id>/prescriptions/",
        prescriptions_api.VersionPrescriptions.as_view(),
        name="version-prescriptions",
    ),
    path(
        "prescriptions/<int:pk>/",
        prescriptions_api.PrescriptionEdit.as_view(),
        name="prescription-edit",
    ),
    path(
        "prescriptions/<int:pk>/history/",
        prescriptions_api.PrescriptionHistory.as_view(),
        name="prescription-history",
    ),
    path(
        "prescriptions/<int:pk>/restore/<int:event_id>/",
        prescriptions_api.PrescriptionRestore.as_view(),
        name="prescription-restore",
    ),
    path("zones/<int:pk>/split/", editor_api.ZoneSplit.as_view(), name="zone-split"),
    path("zones/<int:pk>/merge/", editor_api.ZoneMerge.as_view(), name="zone-merge"),
]
