"""Intake (一次登记，一个编号): validation with Chinese messages, gap-free numbers, flags
(identity incomplete, oral, collective, 越级, 重复), and the 第19条第3款 not-accepted rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from fangtiao.audit.models import AuditEvent
from fangtiao.cases import services
from fangtiao.cases.models import Case, CaseEvent, CaseLink, Party
from fangtiao.cases.tests.factories import (
    act,
    case_in_state,
    frozen,
    id_number,
    intake,
    make_case,
    person,
)
from fangtiao.clocks.models import Clock
from fangtiao.core.errors import PermissionDenied, ValidationFailed
from fangtiao.core.models import NumberSequence
from fangtiao.core.validators import id_check_char

D = dt.date


def _bad_check_digit() -> str:
    good = id_number(born=dt.date(1980, 1, 1), seq=123)
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def _with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


def _party(**kw):
    return [person(**kw)]


# (overrides of the intake body, field, fragment of the Chinese message)
BAD_INPUTS = [
    pytest.param({"parties": _party(id_number=_bad_check_digit())}, "parties.0.id_number", "校验位", id="id-check-digit"),
    pytest.param({"parties": _party(id_number=_with_check("33100319801332123"))}, "parties.0.id_number", "出生日期",
                 id="id-birth-date-impossible"),
    pytest.param({"parties": _party(id_number=_with_check("33100329990101123"))}, "parties.0.id_number", "出生日期",
                 id="id-birth-date-future"),
    pytest.param({"parties": _party(id_number=_with_check("33100318800101123"))}, "parties.0.id_number", "出生日期",
                 id="id-born-before-1900"),
    pytest.param({"parties": _party(id_number="3310031980010112")}, "parties.0.id_number", "18位", id="id-too-short"),
    pytest.param({"parties": _party(id_number="33100319800101123XX")}, "parties.0.id_number", "18位", id="id-too-long"),
    pytest.param({"parties": _party(id_number="33100319800101A234")}, "parties.0.id_number", "前17位", id="id-letters"),
    pytest.param({"parties": _party(id_number=_with_check("99100319800101123"))}, "parties.0.id_number", "地区码",
                 id="id-region-prefix"),
    pytest.param({"parties": _party(phone="1381234567")}, "parties.0.phone", "11位", id="mobile-10-digits"),
    pytest.param({"parties": _party(phone="123456789012")}, "parties.0.phone", "11位", id="mobile-12-digits"),
    pytest.param({"parties": _party(phone="12812345678")}, "parties.0.phone", "11位", id="mobile-bad-prefix"),
    pytest.param({"parties": _party(phone="0576-8412")}, "parties.0.phone", "区号", id="landline-short"),
    pytest.param({"parties": _party(phone="84123456")}, "parties.0.phone", "区号", id="landline-no-area-code"),
    pytest.param({"parties": _party(phone="电话号码")}, "parties.0.phone", "格式", id="phone-text"),
    pytest.param({"nature": None}, "nature", "申诉求决类", id="petition-without-nature"),
    pytest.param({"kind": "dispute", "nature": "claim"}, "nature", "不区分", id="dispute-with-nature"),
    pytest.param({"kind": "dispute", "nature": None, "category": None}, "category", "纠纷类型", id="dispute-without-category"),
    pytest.param({"region": "331003999"}, "region", "区划代码", id="unknown-region"),
    pytest.param({"region": "33"}, "region", "过短", id="region-too-short"),
    pytest.param({"category": "aliens"}, "category", "aliens", id="unknown-category"),
    pytest.param({"channel": "pigeon"}, "channel", "无效", id="unknown-channel"),
    pytest.param({"kind": "complaint"}, "kind", "无效", id="unknown-kind"),
    pytest.param({"headcount": 12, "parties": [person(is_representative=True) for _ in range(6)]}, "parties", "不得超过5人",
                 id="six-representatives"),
    pytest.param({"headcount": 5}, "parties", "代表", id="five-visitors-no-representative"),
    pytest.param({"headcount": 0}, "headcount", "不能小于 1", id="headcount-zero"),
    pytest.param({"occurred_on": "2999-01-01"}, "occurred_on", "晚于今天", id="occurred-in-future"),
    pytest.param({"occurred_on": "2026-02-30"}, "occurred_on", "日期", id="occurred-impossible-date"),
    pytest.param({"amount": "-1.00"}, "amount", "不能小于 0", id="amount-negative"),
    pytest.param({"amount": "1234567890123.00"}, "amount", "", id="amount-too-many-digits"),
    pytest.param({"amount": "12.345"}, "amount", "", id="amount-three-decimals"),
    pytest.param({"amount": "很多"}, "amount", "数字", id="amount-text"),
    pytest.param({"title": "事" * 201}, "title", "过长", id="title-too-long"),
    pytest.param({"title": "事"}, "title", "过短", id="title-too-short"),
    pytest.param({"description": "字" * 20001}, "description", "过长", id="facts-too-long"),
    pytest.param({"demands": "求" * 5001}, "demands", "过长", id="demands-too-long"),
    pytest.param({"oral_record": "记" * 20001}, "oral_record", "过长", id="oral-record-too-long"),
    pytest.param({"parties": _party(name="名" * 101)}, "parties.0.name", "过长", id="name-too-long"),
    pytest.param({"parties": _party(address="址" * 201)}, "parties.0.address", "过长", id="address-too-long"),
    pytest.param({"channel": "phone", "oral_record": "", "description": ""}, "oral_record", "如实记录",
                 id="phone-petition-without-record"),
    pytest.param({"channel": "visit", "oral_record": "", "description": ""}, "oral_record", "如实记录",
                 id="visit-petition-without-record"),
    pytest.param({"parties": []}, "parties", "至少登记", id="no-parties"),
    pytest.param({"parties": _party(role="respondent")}, "parties", "信访人", id="no-petitioner"),
    pytest.param({"parties": _party(role="judge")}, "parties.0.role", "无效", id="unknown-party-role"),
    pytest.param({"parties": _party(type="organisation", name="", id_number="")}, "parties.0.name", "单位名称",
                 id="organisation-without-name"),
    pytest.param({"parties": _party(type="organisation", name="某物业公司", id_number="91331003MA2")},
                 "parties.0.id_number", "18位", id="credit-code-length"),
    pytest.param({"accused_unit": 1}, "accused_unit", "检举控告", id="accused-unit-on-a-claim"),
    pytest.param({"nature": "accusation", "accused_unit": 999_999}, "accused_unit", "不存在", id="accused-unit-unknown"),
]


class TestBadInput:
    @pytest.mark.parametrize(("overrides", "field", "fragment"), BAD_INPUTS)
    def test_422_with_chinese_field_message_and_nothing_created(self, xw, overrides, field, fragment):
        first = make_case(xw)
        counts = (Case.objects.count(), Party.objects.count(), CaseEvent.objects.count(), Clock.objects.count(),
                  AuditEvent.objects.count())
        with pytest.raises(ValidationFailed) as exc:
            services.case_register(actor=xw.clerk_t01, data=intake(**overrides))
        errors = {e.field: e.message for e in exc.value.errors}
        assert field in errors, errors
        assert fragment in errors[field], errors[field]
        assert not errors[field].isascii()
        assert not exc.value.detail.isascii()
        assert counts == (Case.objects.count(), Party.objects.count(), CaseEvent.objects.count(), Clock.objects.count(),
                          AuditEvent.objects.count())
        # no number consumed: the next case follows the first without a gap
        nxt = make_case(xw)
        assert nxt.number_seq == first.number_seq + 1

    def test_every_error_is_reported_at_once(self, xw):
        with pytest.raises(ValidationFailed) as exc:
            services.case_register(actor=xw.clerk_t01, data=intake(
                nature=None, region="331003999", category="aliens", occurred_on="2999-01-01",
                parties=_party(id_number=_bad_check_digit(), phone="123")))
        fields = {e.field for e in exc.value.errors}
        assert fields >= {"nature", "region", "category", "occurred_on", "parties.0.id_number", "parties.0.phone"}

    def test_roles_without_register_capability(self, xw):
        for role in ("expert", "auditor", "admin", "court_liaison"):
            with pytest.raises(PermissionDenied):
                services.case_register(actor=xw.user("t01_subcentre", role), data=intake())
        assert Case.objects.count() == 0

    def test_normalised_inputs_are_accepted(self, xw):
        idn = next(i for i in (id_number(seq=n) for n in range(900, 1000)) if i.endswith("X"))
        case = make_case(xw, parties=_party(id_number=" " + idn[:-1] + "x ", phone="+86 139 1234 5678"))
        p = case.parties.get()
        assert p.id_number == idn and p.phone == "13912345678"
        landline = make_case(xw, parties=_party(phone="0576-84123456"))
        assert landline.parties.get().phone == "0576-84123456"


class TestNumbers:
    def test_format_and_gap_free_per_unit_and_year(self, xw):
        with frozen(dt.date(2026, 5, 4)):
            a = make_case(xw)
            b = make_case(xw)
            with pytest.raises(ValidationFailed):
                services.case_register(actor=xw.clerk_t01, data=intake(region="000000"))
            c = make_case(xw)
            other_unit = make_case(xw, actor=xw.clerk_t02, region="331003002201")
        assert [a.number, b.number, c.number] == [f"东城分中心访调〔2026〕0000{i}号" for i in (1, 2, 3)]
        assert other_unit.number == "西城分中心访调〔2026〕00001号"  # each unit counts on its own
        assert (a.number_year, a.number_seq, a.number_unit_id) == (2026, 1, xw.units["t01_subcentre"].pk)
        with frozen(dt.date(2027, 1, 2)):
            d = make_case(xw)
        assert d.number == "东城分中心访调〔2027〕00001号"  # a new year starts again at 1
        assert NumberSequence.objects.get(scope="case", unit_id=xw.units["t01_subcentre"].pk, year=2026).last == 3

    def test_query_code_is_shown_once_and_only_its_hash_kept(self, xw):
        case, code = services.case_register(actor=xw.clerk_t01, data=intake())
        assert len(code) == 12 and not set(code) & set("01OI")
        stored = Case.objects.get(pk=case.pk)
        assert code not in stored.query_code_hash and stored.query_code_hash == services.query_code_hash(code)
        assert services.query_code_hash(code.lower()) == stored.query_code_hash  # read aloud, typed in any case


class TestFlags:
    @pytest.mark.parametrize("missing", ["name", "address"])
    def test_identity_incomplete_is_registered_and_the_notice_exempt(self, xw, missing):
        """第23条: no written acceptance notice is due when the petitioner's name or address is unclear."""
        case = make_case(xw, parties=_party(**{missing: "", "id_number": "", "phone": ""}))
        assert case.status == "registered" and case.identity_incomplete
        notice = Clock.objects.get(case=case, code="petition.acceptance_notice")
        assert notice.state == "exempt" and notice.due_on is None and "第23条" in notice.note
        assert Clock.objects.get(case=case, code="petition.disposition").state == "running"

    def test_complete_identity_starts_the_notice_clock(self, xw):
        case = make_case(xw)
        assert not case.identity_incomplete
        assert Clock.objects.get(case=case, code="petition.acceptance_notice").state == "running"

    @pytest.mark.parametrize("channel", ["visit", "phone"])
    def test_oral_petition_keeps_the_verbatim_record(self, xw, channel):
        """第19条: an oral petition is recorded as said (如实记录) and marked oral."""
        case = make_case(xw, channel=channel, oral_record="信访人称：物业公司多收电梯费。")
        assert case.oral and case.oral_record == "信访人称：物业公司多收电梯费。"

    def test_a_phone_petition_is_always_oral(self, xw):
        """A 来电 petition is oral by nature: without the verbatim record it is refused (422)."""
        with pytest.raises(ValidationFailed) as exc:
            make_case(xw, channel="phone", oral_record="", description="来电反映物业多收费。")
        assert "oral_record" in {e.field for e in exc.value.errors}

    def test_letters_are_not_oral(self, xw):
        case = make_case(xw, channel="letter", oral_record="")
        assert not case.oral

    @pytest.mark.parametrize(("headcount", "collective"), [(1, False), (4, False), (5, True), (200, True)])
    def test_collective_from_five(self, xw, headcount, collective):
        """第20条第3款: a collective visit chooses at most 5 representatives."""
        parties = [person(is_representative=headcount >= 5) for _ in range(min(headcount, 5))]
        case = make_case(xw, headcount=headcount, parties=parties)
        assert case.is_collective is collective and case.flags["collective"] is collective
        assert case.parties.filter(is_representative=True).count() == (5 if collective else 0)

    def test_collective_letter_needs_no_representative(self, xw):
        case = make_case(xw, channel="letter", headcount=30)
        assert case.is_collective

    @pytest.mark.parametrize(("unit", "channel", "region", "skip"), [
        ("city_bureau", "visit", "331003001201", True),  # village matter at the city: 2 levels above the township
        ("city_bureau", "visit", "331003001", True),  # township matter at the city
        ("city_bureau", "visit", "331003", False),  # district matter at the city: 上一级
        ("city_bureau", "letter", "331003001201", False),  # only visits are 越级 (第20条第1款)
        ("centre", "visit", "331003001201", False),  # the district is 上一级 of the township
        ("t01_subcentre", "visit", "331003001201", False),  # 本级
    ])
    def test_skip_level_visits(self, xw, unit, channel, region, skip):
        """第20条第1款: a visit goes to the competent level or the one above it."""
        clerk = xw.user(unit, "clerk")
        case = make_case(xw, actor=clerk, channel=channel, region=region)
        assert case.is_skip_level is skip
        assert case.registered_unit_id == xw.unit(unit).pk and case.holder_unit_id == xw.unit(unit).pk

    def test_declared_skip_level_is_a_risk_not_a_skip_level_visit(self, xw):
        """Saying one will go higher is a risk signal for early warning; 越级 counts actual visits only."""
        case = make_case(xw, skip_level_declared=True)
        assert case.skip_level_risk and not case.is_skip_level


LINK_KIND_BUG = ("REPORTED: services.case_register stores CaseLink.kind='duplicate_pending' (17 characters) in a "
                 "max_length=16 column: PostgreSQL refuses it, so the 第19条第3款 intake fails there; the fix is "
                 "models.py (max_length) and a migration")


class TestRepeat:
    def test_same_id_number_same_matter_is_linked(self, xw):
        p = person()
        first = make_case(xw, parties=[p])
        second = make_case(xw, parties=[{**p, "name": "王某", "phone": ""}])
        assert second.is_repeat and not first.is_repeat
        link = CaseLink.objects.get(case=second)
        assert link.other_id == first.pk and link.kind == "repeat"
        assert "同一信访人" in link.reason and second.status == "registered"

    def test_same_name_and_phone_without_id_is_linked(self, xw):
        p = person(id_number="")
        first = make_case(xw, parties=[p])
        second = make_case(xw, parties=[{**p, "address": "另一个地址"}])
        assert second.is_repeat
        assert CaseLink.objects.filter(case=second, other=first).exists()

    @pytest.mark.parametrize("change", ["other_person", "same_name_other_phone", "other_place", "other_category"])
    def test_not_the_same_person_or_matter_is_not_linked(self, xw, change):
        p = person()
        make_case(xw, parties=[p])
        if change == "other_person":
            second = make_case(xw)
        elif change == "same_name_other_phone":
            second = make_case(xw, parties=[{**person(name=p["name"]), "id_number": ""}])
        elif change == "other_place":
            second = make_case(xw, actor=xw.clerk_t02, parties=[p], region="331003002201")
        else:
            second = make_case(xw, parties=[p], category="neighbour")
        assert not second.is_repeat
        # The same text from someone else is the same matter but not a repeat petition (同人 is
        # missing): at most a `related` link, the raw material of the likely-collective warning.
        assert not CaseLink.objects.filter(case=second).exclude(kind="related").exists()
        if change in ("other_place", "other_category"):
            assert not CaseLink.objects.filter(case=second).exists()

    def test_same_matter_pending_below_is_not_accepted_above(self, xw):
        """第19条第3款: a matter accepted and within its handling period, raised again with a superior
        of the handling organ, is recorded but not accepted."""
        p = person()
        pending = case_in_state(xw, "handling", parties=[p])
        assert pending.holder_unit.level == "township" and pending.accepted_on
        again = make_case(xw, actor=xw.officer, parties=[p])  # the district centre
        assert again.status == "not_accepted"
        assert "第19条第3款" in again.not_accepted_reason and pending.number in again.not_accepted_reason
        assert again.is_repeat
        link = CaseLink.objects.get(case=again)
        assert link.other_id == pending.pk and link.kind == "duplicate_pending"
        assert CaseEvent.objects.filter(case=again, action="reject").exists()
        assert not Clock.objects.filter(case=again, state="running").exists()  # no 15-day clocks for it
        assert again.number.startswith("黄岩矛调访调")  # registered all the same, with its own number

    def test_link_kinds_fit_their_column(self, xw):
        assert len("duplicate_pending") <= CaseLink._meta.get_field("kind").max_length

    def test_same_matter_raised_again_at_the_same_level_is_a_repeat_only(self, xw):
        p = person()
        case_in_state(xw, "handling", parties=[p])
        again = make_case(xw, parties=[p])
        assert again.status == "registered" and again.is_repeat
        assert CaseLink.objects.get(case=again).kind == "repeat"

    def test_after_the_handling_period_the_superior_may_accept(self, xw):
        """第19条第3款 bars a superior only while the matter is 在规定期限内; once the 60 days have
        run out, the petitioner may go to the superior, which registers it as an ordinary repeat."""
        p = person()
        with frozen(D(2026, 3, 2)):
            pending = case_in_state(xw, "handling", parties=[p])
        assert Clock.objects.get(case=pending, code="petition.handling").due_on == D(2026, 5, 6)
        with frozen(D(2026, 5, 7)):
            again = make_case(xw, actor=xw.officer, parties=[p])
        assert again.status == "registered" and again.is_repeat
        assert CaseLink.objects.get(case=again).kind == "repeat"
        assert Clock.objects.get(case=again, code="petition.acceptance_notice").state == "running"

    def test_not_yet_accepted_or_finished_matters_do_not_block(self, xw):
        p, q = person(), person()
        case_in_state(xw, "registered", parties=[p])
        case_in_state(xw, "closed", parties=[q])
        assert make_case(xw, actor=xw.officer, parties=[p]).status == "registered"
        assert make_case(xw, actor=xw.officer, parties=[q]).status == "registered"

    def test_similar_earlier_scores_and_reasons(self, xw):
        p = person()
        earlier = make_case(xw, parties=[p])
        from fangtiao.cases.schemas import PartyIn

        hits = services.similar_earlier(parties=[PartyIn(**p)], region=xw.v01, category=earlier.category)
        assert [h["case"].pk for h in hits] == [earlier.pk]
        assert hits[0]["same_matter"] and hits[0]["same_person"] and hits[0]["score"] == 1.0
        assert "同一发生地" in hits[0]["reasons"] and "同一纠纷类型" in hits[0]["reasons"]
        assert services.similar_earlier(parties=[PartyIn(name="张三")], region=xw.v01) == []


class TestStoredSafely:
    def test_id_and_phone_are_encrypted_at_rest(self, xw):

        p = person()
        case = make_case(xw, parties=[p])
        with connection.cursor() as cur:
            cur.execute("SELECT id_number, phone, address FROM cases_party WHERE case_id = %s", [case.pk])
            raw = cur.fetchone()
        assert p["id_number"] not in str(raw) and p["phone"] not in str(raw)
        party = case.parties.get()
        assert party.id_number == p["id_number"] and party.phone == p["phone"]
        assert party.id_number_masked == p["id_number"][:6] + "********" + p["id_number"][-4:]
        assert party.phone_masked == p["phone"][:3] + "****" + p["phone"][-4:]

    def test_registration_is_audited_and_on_the_timeline(self, xw):
        case = make_case(xw)
        ev = AuditEvent.objects.get(action="case.registered", subject_id=str(case.pk))
        assert ev.actor_username == "clerk_t01" and ev.changes["number"] == [None, case.number]
        assert p_str(ev) and case.number in CaseEvent.objects.get(case=case, action="register").data["number"]


def p_str(ev: AuditEvent) -> bool:
    """The audit row does not carry the party's personal data."""
    text = str(ev.changes) + str(ev.extra)
    return "id_number" not in text and "phone" not in text


def test_dispute_intake_starts_no_petition_clocks(xw):
    case = make_case(xw, kind="dispute", nature=None, channel="visit", oral_record="")
    assert case.source == "application"
    assert not Clock.objects.filter(case=case).exists()
    case = act(case, xw.user(case.holder_unit, "officer"), "accept")
    assert not Clock.objects.filter(case=case, code="petition.handling").exists()
