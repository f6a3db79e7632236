from django.urls import path

from workforce.pay import report_views, views

urlpatterns = [
    path("", views.period_list, name="pay-periods"),
    path("start/", views.run_start, name="pay-run-start"),
    path("mine/", views.my_payslips, name="my-payslips"),
    path("periods/<int:period_id>/", views.period_detail, name="pay-period-detail"),
    path("periods/<int:period_id>/run/", views.period_run, name="pay-period-run"),
    path("periods/<int:period_id>/close/", views.period_close, name="pay-period-close"),
    path("periods/<int:period_id>/adjust/", views.period_adjust, name="pay-period-adjust"),
    path("periods/<int:period_id>/bank.<str:file_format>", views.bank_file, name="pay-bank-file"),
    path("periods/<int:period_id>/summary/", report_views.period_summary, name="pay-period-summary"),
    path("periods/<int:period_id>/summary.csv", report_views.period_summary_csv, name="pay-period-summary-csv"),
    path("periods/<int:period_id>/fairness/", report_views.period_fairness, name="pay-period-fairness"),
    path("runs/<int:run_id>/", views.run_detail, name="pay-run-detail"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="pay-run-retry"),
    path("payslips/<int:payslip_id>/", views.payslip_detail, name="payslip-detail"),
    path("payslips/<int:payslip_id>/pdf/", views.payslip_pdf, name="payslip-pdf"),
    path("ledger/", views.ledger_audit, name="pay-ledger"),
    path("ledger/<int:line_id>/reverse/", views.ledger_line_reverse, name="pay-ledger-reverse"),
]
