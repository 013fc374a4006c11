"""The statistics report pages; included by fangtiao/stats/urls.py (app_name "stats")."""

from django.urls import path

from fangtiao.stats import views_reports

urlpatterns = [
    path("reports/", views_reports.report_page, name="reports"),
    path("reports/mediation.xlsx", views_reports.report_xlsx, name="report_xlsx"),
]
