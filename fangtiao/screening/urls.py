from django.urls import path

from fangtiao.screening import views

app_name = "screening"

urlpatterns = [
    path("warnings/", views.WarningList.as_view(), name="warnings"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("warnings/<int:pk>/acknowledge/", views.warning_acknowledge, name="warning_acknowledge"),
    path("warnings/<int:pk>/resolve/", views.warning_resolve, name="warning_resolve"),
    path("warnings/<int:pk>/lawyer/", views.warning_lawyer, name="warning_lawyer"),
    path("warnings/<int:pk>/lawyer/<int:li>/assign/", views.lawyer_assign, name="lawyer_assign"),
    path("warnings/<int:pk>/lawyer/<int:li>/record/", views.lawyer_record, name="lawyer_record"),
    path("hotspots/", views.HotspotList.as_view(), name="hotspots"),
    path("hotspots/runs/", views.hotspot_run, name="hotspot_run"),
    path("hotspots/runs/<int:pk>/progress/", views.hotspot_progress, name="hotspot_progress"),
    path("hotspots/<int:pk>/", views.HotspotDetail.as_view(), name="hotspot"),
    path("rounds/", views.RoundList.as_view(), name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("findings/<int:pk>/case/", views.finding_to_case, name="finding_to_case"),
    path("completion/", views.Completion.as_view(), name="completion"),
]
