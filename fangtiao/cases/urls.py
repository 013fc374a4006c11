from django.urls import path

from fangtiao.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.CaseList.as_view(), name="list"),
    path("new/", views.intake, name="intake"),
    path("hints/", views.hints, name="hints"),
    path("inbox/", views.inbox, name="inbox"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/query-code/", views.reissue_code, name="reissue_code"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/parties/<int:party>/reveal/<str:field>/", views.reveal, name="reveal"),
]
