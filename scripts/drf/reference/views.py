from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from .models import AccessLog


class AccessLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLog
        fields = "__all__"


class Newest(CursorPagination):
    ordering = "-id"
    page_size = 100


class AccessLogViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AccessLog.objects.all()
    serializer_class = AccessLogSerializer
    pagination_class = Newest
