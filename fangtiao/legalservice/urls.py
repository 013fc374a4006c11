from django.urls import path

from fangtiao.legalservice import views

app_name = "legalservice"

urlpatterns = [
    path("consultations/", views.ConsultationList.as_view(), name="consultations"),
]
