from django.urls import path

from fangtiao.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.ScoreList.as_view(), name="scores"),
    path("scores/", views.ScoreList.as_view(), name="scores_list"),
    path("scores/<int:pk>/", views.score_detail, name="score"),
    path("scores/<int:pk>/items/<int:item_id>/cases/", views.ItemCases.as_view(), name="item_cases"),
    path("compute/", views.compute, name="compute"),
    path("compute/<int:pk>/", views.compute_progress, name="compute_progress"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("schemes/new/", views.scheme_edit, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_edit, name="scheme_edit"),
    path("commendations/", views.commendations, name="commendations"),
    path("commendations/<int:pk>/confirm/", views.commendation_confirm, name="commendation_confirm"),
    path("accountability/", views.AccountabilityList.as_view(), name="accountability"),
    path("accountability/new/", views.accountability_new, name="accountability_new"),
]
