from django.urls import path

from fangtiao.subsidies import views

app_name = "subsidies"

urlpatterns = [
    path("", views.BatchList.as_view(), name="batches"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/sheet/", views.batch_sheet, name="batch_sheet"),
    path("batches/<int:pk>/actions/<slug:action>/", views.batch_action, name="batch_action"),
    path("rules/", views.RuleList.as_view(), name="rules"),
    path("rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
]
