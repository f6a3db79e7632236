"""Webhooks and their delivery log: the client API of API.md ("Webhooks")."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from aidou.parsers import SafeJSONParser
from aidou.permissions import BOTH
from annotation import selectors
from annotation.api.permissions import IsClientOrNetworkAdmin
from annotation.models import Webhook, WebhookDelivery
from annotation.services import webhooks as webhook_services

WEBHOOK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The webhook's id.")
ERROR = inline_serializer("WebhookError", {"detail": serializers.CharField()})
FIELD_ERRORS = inline_serializer(
    "WebhookFieldErrors",
    {
        name: serializers.ListField(child=serializers.CharField(), required=False)
        for name in ("url", "events", "secret")
    },
)


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.MultipleChoiceField(
        choices=Webhook.Event.choices, allow_empty=False, help_text="The events to receive (at least one)."
    )
    # Write-only: kept encrypted, never shown again.
    secret = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        min_length=webhook_services.SECRET_MIN_LENGTH,
        max_length=webhook_services.SECRET_MAX_LENGTH,
        help_text="Key of the X-Aidou-Signature HMAC-SHA256. Write-only.",
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["events"] = [event for event in webhook_services.EVENTS if event in data["events"]]
        return data


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "status", "attempts", "response_status", "last_error", "created_at", "delivered_at"]
        read_only_fields = fields


@extend_schema_view(
    retrieve=extend_schema(parameters=[WEBHOOK_ID], responses={200: WebhookSerializer, 404: ERROR}),
    destroy=extend_schema(parameters=[WEBHOOK_ID], responses={204: None, 404: ERROR}),
)
class WebhookViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """A client's webhooks. Each event is POSTed as JSON and signed with
    `X-Aidou-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`; failed
    deliveries are retried with back-off (up to 8 attempts)."""

    serializer_class = WebhookSerializer
    principals = BOTH
    permission_classes = [IsClientOrNetworkAdmin]
    queryset = Webhook.objects.none()
    parser_classes = [SafeJSONParser]

    def get_queryset(self):
        return selectors.webhooks_visible_to(self.request.user)

    @extend_schema(responses={201: WebhookSerializer, 400: FIELD_ERRORS, 403: ERROR})
    def create(self, request, *args, **kwargs):
        """Subscribe a URL to events. The URL must be public (not a private, loopback or
        link-local address, nor a host resolving to one). The secret is write-only."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Django's ValidationError({field: [...]}) and PermissionDenied become 400 / 403
        # through aidou.errors.api_exception_handler.
        webhook = webhook_services.webhook_create(
            organisation=selectors.organisation_of(request.user),
            url=data["url"],
            events=sorted(data["events"]),
            secret=data["secret"],
        )
        return Response(self.get_serializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        webhook_services.webhook_delete(webhook=instance)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True), 404: ERROR}, parameters=[WEBHOOK_ID])
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, pk=None):
        """The webhook's deliveries, newest first, with each one's last outcome."""
        queryset = selectors.deliveries_of(request.user, pk).only(*WebhookDeliverySerializer.Meta.fields)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
