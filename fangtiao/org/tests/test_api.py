"""The registry API of API.md: auth, shapes, filters, paging, jurisdiction, errors, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.world import PASSWORD
from fangtiao.org import services
from fangtiao.org.models import ApiToken


@pytest.fixture
def api(world):
    return lambda username=None: ApiClient(world.users[username] if username else None)


class TestAuth:
    def test_token_flow(self, world, client):
        r = client.post("/api/v1/auth/token", {"username": "clerk_t01", "password": PASSWORD}, content_type="application/json")
        assert r.status_code == 200
        token = r.json()["token"]
        assert ApiToken.objects.filter(user=world.users["clerk_t01"]).count() == 1
        assert token not in str(list(ApiToken.objects.values_list("key_hash", flat=True)))  # only the hash is kept
        me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.status_code == 200 and me.json()["username"] == "clerk_t01"
        client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401

    def test_wrong_password(self, world, client):
        r = client.post("/api/v1/auth/token", {"username": "clerk_t01", "password": "nope"}, content_type="application/json")
        assert r.status_code == 401 and r.json()["detail"] == "账号或密码错误"

    def test_inactive_user_token_stops_working(self, world, api):
        c = api("clerk_t01")
        services.staff_update(actor=_security_admin(world), user=world.users["clerk_t01"], is_active=False)
        assert c.get("/api/v1/me").status_code == 401

    @pytest.mark.parametrize("body", ["{bad json", "[]", '{"username": ""}', '{"username": "a", "password": 5}'])
    def test_bad_body_is_422_with_fields(self, world, client, body):
        r = client.post("/api/v1/auth/token", body, content_type="application/json")
        assert r.status_code == 422
        data = r.json()
        assert data["detail"] and data["errors"]
        assert not data["detail"].isascii()

    def test_without_credentials_401(self, db, client):
        for path in ["/api/v1/me", "/api/v1/mediators", "/api/v1/regions", "/api/v1/units", "/api/v1/experts", "/api/v1/meta/enums"]:
            r = client.get(path)
            assert r.status_code == 401, path
            assert r.json()["detail"].startswith("未登录")

    def test_garbage_token(self, db, client):
        assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer " + "x" * 500).status_code == 401

    def test_browser_session_works(self, world, login):
        r = login(world.users["leader"]).get("/api/v1/me")
        assert r.status_code == 200 and r.json()["roles"] == ["leader"]


def test_me_shape(world, api):
    data = api("mediator_t01").get("/api/v1/me").json()
    assert data["region"] == "331003001"
    assert data["unit"] == world.units["t01_committee"].pk
    assert data["mediator"] == world.mediators["wang_t01"].pk
    assert data["expert"] is None
    assert data["roles"] == ["mediator"]
    assert api("expert_user").get("/api/v1/me").json()["expert"] == world.experts["lawyer"].pk


def test_enums(world, api):
    data = api("clerk_t01").get("/api/v1/meta/enums").json()
    for name in ["category", "role", "unit_kind", "level", "employment", "expert_kind"]:
        assert data[name], name
    assert {"code": "full_time", "label": "专职"} in data["employment"]
    assert {"code": "property", "label": "物业"} in data["category"]
    assert {"code": "township", "label": "乡镇/街道"} in data["level"]


class TestRegistryLists:
    def test_mediator_item_shape(self, world, api):
        data = api("clerk_t01").get("/api/v1/mediators", {"q": "王小明"}).json()
        assert data["count"] == 1
        item = data["items"][0]
        assert item == {
            "id": world.mediators["wang_t01"].pk, "name": "王小明", "gender": "", "unit": world.units["t01_committee"].pk,
            "unit_name": "东城街道人民调解委员会", "region": "331003001", "level": "township", "employment": "full_time",
            "rank": "regular", "specialties": ["neighbour", "property"], "phone_masked": "139****5678", "status": "active",
        }

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({}, {"王小明", "单晓曾", "赵春花"}),
            ({"employment": "part_time"}, {"赵春花"}),
            ({"level": "village"}, {"赵春花"}),
            ({"specialty": "labour"}, {"单晓曾"}),
            ({"q": "wxm"}, {"王小明"}),
            ({"q": "shanx"}, {"单晓曾"}),
            ({"q": "sxz"}, {"单晓曾"}),
            ({"region": "331003001201"}, {"赵春花"}),
            ({"region": "331003002"}, set()),  # another township: nothing, not an error
            ({"unit": 0}, None),
        ],
    )
    def test_mediator_filters(self, world, api, params, expected):
        r = api("clerk_t01").get("/api/v1/mediators", params)
        if expected is None:
            assert r.status_code == 422
            return
        assert r.status_code == 200
        assert {i["name"] for i in r.json()["items"]} == expected

    def test_paging(self, world, api):
        c = api("leader")
        first = c.get("/api/v1/mediators", {"page_size": 2, "page": 1}).json()
        second = c.get("/api/v1/mediators", {"page_size": 2, "page": 2}).json()
        third = c.get("/api/v1/mediators", {"page_size": 2, "page": 3}).json()
        beyond = c.get("/api/v1/mediators", {"page_size": 2, "page": 9}).json()
        assert first["count"] == 5 and len(first["items"]) == 2 and len(third["items"]) == 1
        ids = [i["id"] for i in first["items"] + second["items"] + third["items"]]
        assert len(set(ids)) == 5
        assert beyond == {"items": [], "count": 5}

    @pytest.mark.parametrize("params", [{"page_size": 201}, {"page_size": 0}, {"page": 0}, {"page": "abc"}, {"q": "x" * 51}])
    def test_bad_paging_422(self, world, api, params):
        r = api("leader").get("/api/v1/mediators", params)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] in params

    def test_regions_and_units(self, world, api):
        c = api("clerk_t01")
        regions = c.get("/api/v1/regions").json()
        assert {r["code"] for r in regions["items"]} == {"331003", "331003001", "331003001201"}
        assert c.get("/api/v1/regions", {"level": "village"}).json()["items"][0] == {
            "code": "331003001201", "name": "上洋村", "level": "village", "kind": "village", "parent": "331003001"}
        assert c.get("/api/v1/regions", {"q": "dcjd"}).json()["items"][0]["code"] == "331003001"
        units = c.get("/api/v1/units", {"region": "331003001"}).json()
        assert {u["name"] for u in units["items"]} == {"东城街道联合调解分中心", "东城街道人民调解委员会", "上洋村人民调解委员会"}

    def test_experts(self, world, api):
        data = api("clerk_t02").get("/api/v1/experts", {"kind": "lawyer"}).json()
        assert data["items"][0]["fields"] == ["民事", "劳动"]
        assert data["items"][0]["phone_masked"] == "137****0000"

    def test_staff_needs_capability(self, world, api):
        assert api("clerk_t01").get("/api/v1/staff").status_code == 403
        data = api("leader").get("/api/v1/staff", {"role": "clerk"}).json()
        assert {s["username"] for s in data["items"]} == {"clerk_t01", "clerk_t02"}


class TestDetailsAndJurisdiction:
    """Objects outside the caller's jurisdiction are 404, never 403 (API.md § Conventions)."""

    @pytest.mark.parametrize(
        ("path", "own_status"),
        [("/api/v1/mediators/{li_t02}", 404), ("/api/v1/mediators/{wang_t01}", 200), ("/api/v1/units/{t02_committee}", 404),
         ("/api/v1/units/{centre}", 200), ("/api/v1/regions/331003002", 404), ("/api/v1/regions/331003001", 200),
         ("/api/v1/mediators/999999", 404), ("/api/v1/mediators/abc", 404), ("/api/v1/regions/x" + "9" * 40, 404)],
    )
    def test_clerk_t01(self, world, api, path, own_status):
        ids = {**{k: m.pk for k, m in world.mediators.items()}, **{k: u.pk for k, u in world.units.items()}}
        r = api("clerk_t01").get(path.format(**ids))
        assert r.status_code == own_status
        if own_status == 404:
            assert r.json()["detail"] == "未找到该对象，或不在您的管辖范围内"

    def test_staff_detail_other_township(self, world, api):
        t02_admin = services.staff_create(actor=None, username="t02_admin", name="西城管理员", unit=world.units["t02_subcentre"],
                                          roles=["admin"], password="Adm-Passw0rd-1")
        c = ApiClient(t02_admin)
        assert c.get(f"/api/v1/staff/{world.users['clerk_t01'].pk}").status_code == 404
        assert c.get(f"/api/v1/staff/{world.users['clerk_t02'].pk}").status_code == 200


class TestQueryCounts:
    """A page of 50 costs what a page of 1 costs: no N+1."""

    def _more(self, world):
        for i in range(30):
            services.mediator_create(actor=None, name=f"测试调解员{i}", unit=world.units["t01_committee"], employment="part_time",
                                     specialties=["neighbour", "labour"])
        for i in range(10):
            services.expert_create(actor=None, name=f"专家{i}", kind="specialist", unit=world.units["centre"], specialties=["medical"])

    @pytest.mark.parametrize("path", ["/api/v1/mediators", "/api/v1/experts", "/api/v1/units", "/api/v1/regions", "/api/v1/staff"])
    def test_constant(self, world, path):
        self._more(world)
        c = ApiClient(world.users["leader"])

        def run(size):
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(path, {"page_size": size})
            assert r.status_code == 200
            return len(ctx.captured_queries)

        run(1)  # the token's first use is recorded once; measure after it
        assert run(1) == run(50)

    def test_mediator_list_query_budget(self, world):
        self._more(world)
        c = ApiClient(world.users["leader"])
        with CaptureQueriesContext(connection) as ctx:
            c.get("/api/v1/mediators", {"page_size": 50})
        # token lookup, token touch-up (first use), role codes, scope, count, page, specialties prefetch
        assert len(ctx.captured_queries) <= 7


def test_openapi_schema(db, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in ["/api/v1/auth/token", "/api/v1/me", "/api/v1/meta/enums", "/api/v1/regions", "/api/v1/units",
              "/api/v1/mediators", "/api/v1/experts", "/api/v1/mediators/{mediator_id}"]:
        assert p in paths, p
    assert client.get("/api/v1/docs").status_code == 200


def _security_admin(world):  # type: ignore[no-untyped-def]
    """Staff accounts are the security administrator's (GB/T 22239 8.1.4.2 d/e; issue 9)."""
    from fangtiao.core.testing.world import PASSWORD
    from fangtiao.org.models import User

    return User.objects.filter(username="sec_admin").first() or services.staff_create(
        actor=None, username="sec_admin", name="安全员甲", unit=world.units["centre"], roles=["security"], password=PASSWORD)
