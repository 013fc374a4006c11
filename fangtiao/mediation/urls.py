from django.urls import path

from fangtiao.mediation import views

app_name = "mediation"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("my-cases/", views.MyCases.as_view(), name="my_cases"),
    path("sessions/", views.SessionList.as_view(), name="sessions"),
    path("board/", views.Board.as_view(), name="board"),
    path("board/loads/", views.MediatorLoads.as_view(), name="loads"),
    path("board/loads/panel/", views.loads_panel, name="loads_panel"),
    path("board/<int:pk>/suggestions/", views.board_suggestions, name="suggestions"),
    path("board/<int:pk>/assign/", views.board_assign, name="assign"),
    path("court/", views.CourtQueue.as_view(), name="court"),
    path("opinions/", views.OpinionList.as_view(), name="opinions"),
    path("opinions/<int:pk>/answer/", views.answer_opinion, name="answer_opinion"),
    path("oversight/", views.StuckList.as_view(), name="oversight"),
    path("oversight/overdue/", views.OverdueList.as_view(), name="overdue"),
    path("oversight/backlog/", views.BacklogList.as_view(), name="backlog"),
    path("archives/", views.ArchiveList.as_view(), name="archives"),
    path("archives/<int:pk>/", views.archive_detail, name="archive"),
    path("cases/<int:pk>/agreement/", views.agreement_editor, name="agree"),
    path("cases/<int:pk>/agreement/sign/", views.sign, name="sign"),
    path("cases/<int:pk>/act/<str:action>/", views.act, name="act"),
]
