from django.urls import path

from . import api, views
from .serializers import AnswerSerializer, AssignSerializer, HideSerializer, TagSerializer

API = "api/v1/inquiries/"
ENTRY = API + "<int:pk>/register/<int:number>/"

urlpatterns = [
    path(API, api.InquiryList.as_view(), name="inquiry-list"),
    path(API + "gazetteer/", api.Gazetteer.as_view(), name="inquiry-gazetteer"),
    path(API + "receipts/<uuid:token>/", api.Receipt.as_view(), name="inquiry-receipt"),
    path(API + "confirm/<uuid:token>/", api.Confirm.as_view(), name="inquiry-confirm"),
    path(API + "<int:pk>/", api.InquiryDetail.as_view(), name="inquiry-detail"),
    path(
        API + "<int:pk>/observations/",
        api.InquiryObservations.as_view(),
        name="inquiry-observations",
    ),
    path(API + "<int:pk>/register/", api.Register.as_view(), name="inquiry-register"),
    path(API + "<int:pk>/stats/", api.Stats.as_view(), name="inquiry-stats"),
    path(API + "<int:pk>/export/<slug:fmt>/", api.RegisterExport.as_view(), name="inquiry-export"),
    path(
        API + "<int:pk>/transitions/<slug:name>/",
        api.Transition.as_view(),
        name="inquiry-transition",
    ),
    path(ENTRY, api.RegisterEntry.as_view(), name="inquiry-entry"),
    path(
        ENTRY + "attachments/<int:position>/",
        api.RegisterAttachment.as_view(),
        name="inquiry-attachment",
    ),
    path(ENTRY + "hide/", api.entry_action("hide", HideSerializer), name="inquiry-hide"),
    path(ENTRY + "unhide/", api.entry_action("unhide", api.NoInput), name="inquiry-unhide"),
    path(ENTRY + "tag/", api.entry_action("tag", TagSerializer), name="inquiry-tag"),
    path(ENTRY + "assign/", api.entry_action("assign", AssignSerializer), name="inquiry-assign"),
    path(ENTRY + "answer/", api.entry_action("answer", AnswerSerializer), name="inquiry-answer"),
    path("enquete/<int:pk>/", views.portal, name="inquiry-portal"),
    path("commission/enquetes/<int:pk>/", views.workspace, name="inquiry-workspace"),
]
