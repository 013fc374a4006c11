from django.urls import path

from fangtiao.legalservice import views

app_name = "legalservice"

urlpatterns = [
    path("consultations/", views.ConsultationList.as_view(), name="consultations"),
    path("consultations/new/", views.consultation_new, name="consultation_new"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
    path("consultations/<int:pk>/answer/", views.consultation_answer, name="consultation_answer"),
    path("consultations/<int:pk>/case/", views.consultation_case, name="consultation_case"),
    path("participations/", views.ParticipationList.as_view(), name="participations"),
    path("participations/lawyers/", views.participation_counts, name="participation_counts"),
    path("participations/new/", views.participation_new, name="participation_new"),
    path("cases/<int:case_id>/participations/new/", views.participation_new, name="case_participation_new"),
]
