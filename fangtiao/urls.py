from django.contrib import admin
from django.urls import include, path

from fangtiao.api import api
from fangtiao.core import views as core_views

admin.site.site_header = "访调通 系统管理"
admin.site.site_title = "访调通"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("fangtiao.core.auth_urls")),
    path("org/", include("fangtiao.org.urls")),
    path("audit/", include("fangtiao.audit.urls")),
    path("cases/", include("fangtiao.cases.urls")),
    path("mediation/", include("fangtiao.mediation.urls")),
    path("documents/", include("fangtiao.documents.urls")),
    path("screening/", include("fangtiao.screening.urls")),
    path("legal/", include("fangtiao.legalservice.urls")),
    path("stats/", include("fangtiao.stats.urls")),
    path("assessment/", include("fangtiao.assessment.urls")),
    path("subsidies/", include("fangtiao.subsidies.urls")),
    path("inbox/", include("fangtiao.notifications.urls")),
    path("portal/", include("fangtiao.portal.urls")),
    path("privacy/", include("fangtiao.privacy.urls")),  # --- privacy (issue 9)
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler404 = "fangtiao.core.views.page_not_found"
handler403 = "fangtiao.core.views.permission_denied"
handler500 = "fangtiao.core.views.server_error"
