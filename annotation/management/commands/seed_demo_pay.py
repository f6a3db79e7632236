"""The demo's piece rates, two closed pay periods of past work and the open month's
payroll, all through the real services (annotation/demo_pay.py). Idempotent."""

from django.core.management.base import BaseCommand

from annotation.demo_pay import demo_pay_seed


class Command(BaseCommand):
    help = "Load the demo's pay: Yijun's rates, two closed months of paid work, the open month's run (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo pay: {demo_pay_seed()}.")
        self.stdout.write("  HR: yijun_hr → 工资 Payroll; annotators: yijun_annotator → 我的工资单 and 我的收入.")
