from django.urls import path

from fangtiao.documents import views

app_name = "documents"

urlpatterns = [
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/panel/", views.panel, name="panel"),
    path("cases/<int:pk>/issue/", views.issue, name="issue"),
    path("cases/<int:pk>/print/", views.case_print, name="case_print"),
    path("cases/<int:pk>/documents/<int:doc>/pdf/", views.document_file, {"fmt": "pdf"}, name="pdf"),
    path("cases/<int:pk>/documents/<int:doc>/docx/", views.document_file, {"fmt": "docx"}, name="docx"),
    path("cases/<int:pk>/documents/<int:doc>/scans/", views.scan_upload, name="scan_upload"),
    path("cases/<int:pk>/scans/<int:scan>/", views.scan_download, name="scan"),
    path("print/", views.PrintPage.as_view(), name="print"),
    path("print/<int:pk>/", views.job_page, name="job"),
    path("print/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("print/<int:pk>/file/", views.job_file, name="job_file"),
    path("templates/", views.templates_page, name="templates"),
    path("templates/<str:code>/upload/", views.template_upload, name="template_upload"),
    path("templates/<int:pk>/disable/", views.template_disable, name="template_disable"),
    path("flowchart/", views.flowchart_page, name="flowchart"),
    path("flowchart.pdf", views.flowchart_pdf, name="flowchart_pdf"),
]
