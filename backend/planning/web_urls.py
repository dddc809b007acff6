from django.urls import path

from . import views

urlpatterns = [
    path("versions/<int:version_id>/report/", views.version_report, name="version-report-page"),
    path("versions/<int:version_id>/editer/", views.editor, name="version-editor"),
]
