"""Public read API: it reads the `publish` views only, so it can show nothing the public may not."""

from __future__ import annotations

from rest_framework import generics
from rest_framework.permissions import AllowAny

from .models import PublishedPlanVersion, PublishedZone
from .serializers import PlanVersionSerializer, ZoneSerializer


class ZoneDetail(generics.RetrieveAPIView):
    """A published zone with its rules and the articles of its règlement chapter."""

    permission_classes = [AllowAny]
    serializer_class = ZoneSerializer
    queryset = PublishedZone.objects.select_related("version")


class PlanVersionList(generics.ListAPIView):
    """The plan versions the public may see: approved ones and drafts whose inquiry has opened."""

    permission_classes = [AllowAny]
    serializer_class = PlanVersionSerializer
    queryset = PublishedPlanVersion.objects.all()
    pagination_class = None
