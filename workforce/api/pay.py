"""The payslip and payroll-run API (issue 15, part 8): payslips scoped to the caller (their
own; their centre's for HR and managers; all for a network admin), and runs as job
resources HR starts and polls."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from workforce import selectors as people_selectors
from workforce.api.serializers import CentreRefSerializer, PersonRefSerializer
from workforce.models import LedgerLine, PayrollRun, Payslip, PayslipLine
from workforce.pay import selectors, services


class PayslipLineSerializer(serializers.ModelSerializer):
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True, read_only=True)
    rate = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True, read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = PayslipLine
        fields = ["code", "kind", "label", "quantity", "rate", "amount", "explanation"]
        read_only_fields = fields


class PayslipSerializer(serializers.ModelSerializer):
    """Money is a string with two decimals; `net` = `gross` − `total_deductions`;
    `tax_withheld_ytd` is the tax on `taxable_income_ytd` by the annual table."""

    worker = PersonRefSerializer(read_only=True)
    centre = CentreRefSerializer(read_only=True)
    period = serializers.SerializerMethodField()
    lines = PayslipLineSerializer(source="line_list", many=True, read_only=True)
    gross = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    total_deductions = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    net = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    taxable_income_ytd = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    tax_withheld_ytd = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Payslip
        fields = [
            "id", "worker", "centre", "period", "status", "lines",
            "gross", "total_deductions", "net", "taxable_income_ytd", "tax_withheld_ytd",
        ]  # fmt: skip
        read_only_fields = fields

    def get_period(self, payslip) -> str:
        return f"{payslip.period.month:%Y-%m}"


class PayrollRunSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    centre = CentreRefSerializer(source="period.centre", read_only=True)

    class Meta:
        model = PayrollRun
        fields = [
            "id", "period", "centre", "status", "total", "processed", "errors", "failure", "summary",
            "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_period(self, run) -> str:
        return f"{run.period.month:%Y-%m}"


class PayrollRunCreateSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="The month, YYYY-MM.")
    centre = serializers.IntegerField(
        required=False, help_text="The centre (a network admin must name it; HR runs their own centre's)."
    )


_PERIOD = OpenApiParameter("period", OpenApiTypes.STR, description="The month, YYYY-MM.")
_CENTRE = OpenApiParameter("centre", OpenApiTypes.INT, description="One centre's payslips.")


@extend_schema_view(list=extend_schema(parameters=[_PERIOD, _CENTRE]))
class PayslipViewSet(viewsets.ReadOnlyModelViewSet):
    """Payslips: a worker sees their own, HR and managers their centre's, a network admin
    all. Another centre's payslip is 404."""

    serializer_class = PayslipSerializer
    queryset = Payslip.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        if self.action != "list":
            return selectors.payslips_visible_to(self.request.user)
        month = selectors.month_parse(params["period"]) if params.get("period") else None
        centre = params.get("centre")
        if centre is not None and not centre.isdigit():
            raise ValidationError({"centre": ["Give a centre id."]})
        return selectors.payslip_list(self.request.user, month=month, centre_id=int(centre) if centre else None)


class PayrollRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payroll runs of a centre's periods, for HR: start one, then poll it until `status` is
    `succeeded` or `failed`. 409 when the period is closed or a run of it is under way."""

    serializer_class = PayrollRunSerializer
    queryset = PayrollRun.objects.none()

    def get_queryset(self):
        return selectors.payroll_runs_visible_to(self.request.user)

    @extend_schema(request=PayrollRunCreateSerializer, responses={202: PayrollRunSerializer})
    def create(self, request, *args, **kwargs):
        form = PayrollRunCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        month = selectors.month_parse(form.validated_data["period"])
        user = request.user
        centre_id = form.validated_data.get("centre") or user.centre_id
        if centre_id is None:
            raise ValidationError({"centre": ["Name the centre whose payroll to run."]})
        centre = people_selectors.centre_get(user, centre_id)
        period = services.pay_period_open(actor=user, centre=centre, month=month)
        run = services.payroll_run_start(actor=user, period=period)
        run = selectors.payroll_run_get(user, run.pk)
        return Response(PayrollRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class EarningLineSerializer(serializers.ModelSerializer):
    """One ledger line: `amount` = `quantity` × `rate` exactly, as strings with four places
    (the payslip rounds the month's total to the fen); a `reversal` is negative and names
    the line it `reverses`, with its `reason`."""

    project = serializers.SerializerMethodField()
    rate = serializers.DecimalField(max_digits=10, decimal_places=4, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True)
    explanation = serializers.SerializerMethodField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True, read_only=True)

    class Meta:
        model = LedgerLine
        fields = [
            "id", "kind", "source", "source_id", "project_id", "project", "unit", "quantity", "rate", "amount",
            "explanation", "time_class", "work_done_at", "accepted_at", "reverses", "reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_project(self, line) -> str:
        return str((line.description or {}).get("project", ""))

    def get_explanation(self, line) -> str:
        return selectors.line_explanation(line)


class EarningsQuerySerializer(serializers.Serializer):
    """`from` and `to` are days (inclusive, the centre's time zone); this month so far by default."""

    def get_fields(self):
        return {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)}

    def validate(self, attrs):
        today = timezone.localdate()
        start, end = attrs.get("from") or today.replace(day=1), attrs.get("to") or today
        if start > end:
            raise serializers.ValidationError({"from": [_("'from' is after 'to'.")]})
        if (end - start).days > MAX_EARNINGS_DAYS:
            raise serializers.ValidationError({"to": [_("At most 366 days at a time.")]})
        return {"from": start, "to": end}


MAX_EARNINGS_DAYS = 366


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="The first day (default: the 1st of this month)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="The last day, inclusive (default: today)."),
        ]
    )
)
class EarningsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own ledger lines, newest first: what each piece of accepted work and
    each review earned, and any reversal with its reason. Nobody sees another's lines here."""

    serializer_class = EarningLineSerializer
    queryset = LedgerLine.objects.none()

    def get_queryset(self):
        query = EarningsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.ledger_lines_of(self.request.user, start=query.validated_data["from"],
                                         end=query.validated_data["to"])  # fmt: skip
