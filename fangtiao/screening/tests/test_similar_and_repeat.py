"""Similar earlier matters (同人 + 同事): GET /api/v1/cases/{id}/similar, the intake response's
`similar`, jurisdiction and accusation limits, the query cost of the lookup, and the text index
backfill."""

from __future__ import annotations

from django.core.cache import cache

from fangtiao.cases.models import CaseLink
from fangtiao.cases.tests.factories import intake
from fangtiao.core.testing.api import ApiClient
from fangtiao.core.testing.queries import count_queries
from fangtiao.screening.models import TextKey
from fangtiao.screening.similar import MARK_KEY, index_cases, index_missing, similar_to_case
from fangtiao.screening.tests.support import (
    ELEVATOR,
    NOISE,
    PARKING,
    PARKING_REWORDED,
    WAGES,
    petitioner,
    register,
)

PLACES = ["北山路", "南塘巷", "西岭街", "临江路", "新桥弄", "城东大道", "青石巷", "柳树湾"]
PROBLEMS = ["路灯坏了一个多月没人修", "下水道堵塞污水外溢", "垃圾清运不及时臭味很大", "人行道地砖松动绊倒老人",
            "公交站台顶棚漏雨", "绿化带被占用种菜"]


def unrelated(i):
    place, problem = PLACES[i % len(PLACES)], PROBLEMS[(i // len(PLACES)) % len(PROBLEMS)]
    return (f"{place}{problem}", f"居民反映{place}{problem}，已经向社区反映过{i + 2}次。", f"请求尽快处理{place}的问题。")


def similar(user, case):
    r = ApiClient(user).get(f"/api/v1/cases/{case.pk}/similar")
    assert r.status_code == 200, r.content
    return {h["id"]: h for h in r.json()}


class TestSimilarEndpoint:
    def test_same_person_rewritten_by_others_and_not_a_different_problem(self, xw):
        me = petitioner()
        mine = register(xw, PARKING, parties=[me], days_ago=20)
        my_other = register(xw, WAGES, parties=[me], days_ago=15, category="labour")
        neighbour = register(xw, PARKING_REWORDED, parties=[petitioner()], days_ago=10)
        elevator = register(xw, ELEVATOR, parties=[petitioner()], days_ago=5)
        now = register(xw, PARKING, parties=[me])
        hits = similar(xw.clerk_t01, now)
        a = hits[mine.pk]
        assert a["same_person"] and a["same_matter"] and a["score"] > 0.5
        assert any("同一信访人" in r for r in a["reasons"])
        assert a["number"] == mine.number and a["text_score"] >= 0.9
        b = hits[neighbour.pk]
        assert b["same_matter"] and not b["same_person"]
        assert "翠竹苑" in b["shared_terms"]
        assert any("文字相似度" in r for r in b["reasons"])
        assert not hits.get(elevator.pk, {}).get("same_matter", False)
        if elevator.pk in hits:
            assert hits[elevator.pk]["score"] < b["score"]
        o = hits[my_other.pk]  # the same person is always shown, but it is another matter
        assert o["same_person"] and not o["same_matter"]
        ranked = list(hits)
        assert ranked.index(mine.pk) < ranked.index(neighbour.pk)

    def test_registration_links_the_repeat_and_the_related(self, xw):
        me = petitioner()
        mine = register(xw, PARKING, parties=[me], days_ago=20)
        neighbour = register(xw, PARKING_REWORDED, parties=[petitioner()], days_ago=10)
        now = register(xw, PARKING, parties=[me])
        assert now.is_repeat
        links = dict(CaseLink.objects.filter(case=now).values_list("other_id", "kind"))
        assert links == {mine.pk: "repeat", neighbour.pk: "related"}

    def test_two_villages_same_words_are_two_matters(self, xw):
        """The same complaint at another place is not the same matter, even for the same person."""
        me = petitioner()
        there = register(xw, NOISE, parties=[me], region=xw.v02.code, days_ago=5)
        here = register(xw, NOISE, parties=[me])
        hit = similar(xw.leader, here)[there.pk]
        assert hit["same_person"] and not hit["same_matter"]

    def test_outside_the_jurisdiction_never_returned(self, xw):
        text = PARKING
        far = register(xw, text, parties=[petitioner()], region=xw.v02.code, actor=xw.clerk_t02, days_ago=3)
        here = register(xw, text, parties=[petitioner()])
        assert far.pk not in similar(xw.clerk_t01, here)
        assert far.pk in similar(xw.leader, here)  # the district sees both
        r = ApiClient(xw.clerk_t02).get(f"/api/v1/cases/{here.pk}/similar")
        assert r.status_code == 404

    def test_accusations_never_returned_to_clerks(self, xw):
        officer = xw.user("t01_subcentre", "officer")
        secret = register(xw, PARKING, parties=[petitioner()], actor=officer, nature="accusation", days_ago=3)
        here = register(xw, PARKING, parties=[petitioner()])
        assert secret.pk not in similar(xw.clerk_t01, here)
        assert secret.pk in similar(officer, here)

    def test_intake_response_carries_similar(self, xw):
        me = petitioner()
        mine = register(xw, PARKING, parties=[me], days_ago=10)
        far = register(xw, PARKING, parties=[petitioner()], region=xw.v02.code, actor=xw.clerk_t02, days_ago=3)
        body = intake(title=PARKING_REWORDED[0], description=PARKING_REWORDED[1], demands=PARKING_REWORDED[2],
                      parties=[me])
        r = ApiClient(xw.clerk_t01).post("/api/v1/cases", body)
        assert r.status_code == 201, r.content
        out = r.json()
        ids = {h["id"]: h for h in out["similar"]}
        assert ids[mine.pk]["same_person"] and ids[mine.pk]["same_matter"]
        assert far.pk not in ids
        assert out["flags"]["repeat"] is True

    def test_unknown_case_404_and_no_capability_403(self, xw):
        c = register(xw, PARKING, parties=[petitioner()])
        assert ApiClient(xw.clerk_t01).get("/api/v1/cases/999999/similar").status_code == 404
        assert ApiClient(xw.user("centre", "auditor")).get(f"/api/v1/cases/{c.pk}/similar").status_code == 403
        assert ApiClient().get(f"/api/v1/cases/{c.pk}/similar").status_code == 401


class TestCost:
    def test_lookup_queries_do_not_grow_with_unrelated_cases(self, xw):
        me = petitioner()
        register(xw, PARKING, parties=[me], days_ago=30)
        query = register(xw, PARKING_REWORDED, parties=[me])
        for i in range(5):
            register(xw, unrelated(i), parties=[petitioner()], category="other", days_ago=2)
        few = count_queries(lambda: similar_to_case(query))
        for i in range(5, 30):
            register(xw, unrelated(i), parties=[petitioner()], category="other", days_ago=2)
        many = count_queries(lambda: similar_to_case(query))
        assert many == few
        assert few <= 8


class TestIndex:
    def test_index_cases_is_idempotent_and_backfill_restores_keys(self, xw):
        cases = [register(xw, t, parties=[petitioner()]) for t in (PARKING, WAGES, NOISE)]
        keys = {c.pk: sorted(TextKey.objects.filter(case=c).values_list("key", flat=True)) for c in cases}
        assert all(keys.values())
        assert index_cases([c.pk for c in cases]) == 3
        assert {c.pk: sorted(TextKey.objects.filter(case=c).values_list("key", flat=True)) for c in cases} == keys
        TextKey.objects.filter(case__in=cases[:2]).delete()
        cache.delete(MARK_KEY)  # the backfill walks ids upwards from its mark (another test's may be past these)
        assert index_missing() == 2
        assert {c.pk: sorted(TextKey.objects.filter(case=c).values_list("key", flat=True)) for c in cases} == keys
        assert index_missing() == 0

    def test_a_case_without_keys_is_found_again_after_backfill(self, xw):
        me_a, me_b = petitioner(), petitioner()
        earlier = register(xw, NOISE, parties=[me_a], days_ago=3)
        TextKey.objects.filter(case=earlier).delete()
        later = register(xw, NOISE, parties=[me_b])
        assert earlier.pk not in {h.case.pk for h in similar_to_case(later)}
        cache.delete(MARK_KEY)  # the backfill walks ids upwards from its mark; start it over
        index_missing()
        assert earlier.pk in {h.case.pk for h in similar_to_case(later)}
