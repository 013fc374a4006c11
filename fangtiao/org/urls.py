from django.urls import path

from fangtiao.org import views

app_name = "org"

urlpatterns = [
    path("regions/", views.RegionList.as_view(), name="regions"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("units/", views.UnitList.as_view(), name="units"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("mediators/", views.MediatorList.as_view(), name="mediators"),
    path("mediators/new/", views.mediator_edit, name="mediator_create"),
    path("mediators/<int:pk>/", views.mediator_detail, name="mediator"),
    path("mediators/<int:pk>/edit/", views.mediator_edit, name="mediator_edit"),
    path("experts/", views.ExpertList.as_view(), name="experts"),
    path("experts/new/", views.expert_edit, name="expert_create"),
    path("experts/<int:pk>/", views.expert_detail, name="expert"),
    path("experts/<int:pk>/edit/", views.expert_edit, name="expert_edit"),
    path("staff/", views.StaffList.as_view(), name="staff"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staffing/", views.staffing, name="staffing"),
    path("reveal/<str:kind>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
