"""The 工作流程图 (documents.flowchart) is drawn from the lifecycle table and the clock rule table:
every state and every action is on it, under the states it leaves; every clock an action starts
with its period and legal source; the documents each action produces. Changing the table changes
the chart and its fingerprint; the PDF embeds its font."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from fangtiao.cases import workflow
from fangtiao.cases.choices import Status
from fangtiao.cases.schemas import CloseIn
from fangtiao.cases.transition import Transition
from fangtiao.clocks.models import ClockRule
from fangtiao.clocks.rules import SEED_RULES
from fangtiao.documents import catalogue, flowchart
from fangtiao.documents.tests.support import pdf_fonts, pdf_text
from fangtiao.org.choices import Role

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def rules(db):  # type: ignore[no-untyped-def]
    from fangtiao.clocks.seed import ensure_rules

    ensure_rules()
    return {r.code: r for r in ClockRule.objects.filter(region__isnull=True)}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _texts(el: ET.Element) -> str:
    """The text of every <text> under `el`, joined (a wrapped line continues on the next one)."""
    return _norm("".join(t.text or "" for t in el.iter(f"{SVG}text")))


def parse(svg: str) -> tuple[ET.Element, dict[str, str]]:
    root = ET.fromstring(svg)  # noqa: S314 — our own output  # nosec B314  # — parses our own generated SVG in a test, never user input
    groups = {g.get("data-state"): _texts(g) for g in root.iter(f"{SVG}g") if g.get("data-state")}
    return root, groups


def _period(rule) -> str:  # type: ignore[no-untyped-def]
    return f"{rule.days}{'个工作日' if rule.working_days else '日'}"


def test_every_state_and_every_action_is_on_the_chart_under_the_states_it_leaves(rules):
    root, groups = parse(flowchart.render_svg())
    assert set(groups) == {s.value for s in Status}
    for state in Status:
        box = next(g for g in root.iter(f"{SVG}g") if g.get("data-state") == state.value)
        assert any((t.text or "") == state.label for t in box.iter(f"{SVG}text")), state
    for t in workflow.TRANSITIONS:
        assert t.sources, t.action
        for source in t.sources:
            assert _norm(f"▶ {t.label} →") in groups[source], (t.action, source)
            for role in t.roles:
                assert _norm(Role(role).label) in groups[source], (t.action, role)
        if t.target:
            assert _norm(f"▶ {t.label} → {Status(t.target).label}") in groups[next(iter(t.sources))], t.action
    all_text = _texts(root)
    assert f"{len(Status)}个状态、{len(workflow.TRANSITIONS)}项操作" in all_text
    assert flowchart.fingerprint() in all_text


def test_every_clock_an_action_starts_is_shown_with_its_period_and_source(rules):
    root, groups = parse(flowchart.render_svg())
    legend = _texts(root)
    started = {code for t in workflow.TRANSITIONS for code in t.starts}
    assert started, "the table starts clocks"
    for t in workflow.TRANSITIONS:
        for code in t.starts:
            rule = rules.get(code) or next(r for r in SEED_RULES if r["code"] == code)
            line = _norm(f"时限：{rule.name} {_period(rule)}（{rule.source}）")
            for source in t.sources:
                assert line in groups[source], (t.action, code, source)
    for code in started:
        rule = rules[code]
        assert _norm(f"● {rule.name}：{_period(rule)}（{rule.source}）") in legend, code
    # a clock no action starts is not in the legend
    for code, rule in rules.items():
        if code not in started:
            assert _norm(f"● {rule.name}：") not in legend, code


def test_the_documents_each_action_produces_are_named(rules):
    _, groups = parse(flowchart.render_svg())
    for doc in catalogue.all_types():
        for action in doc.produced_by:
            if action == "register":
                assert _norm("登记即出具：") in groups["registered"] and _norm(doc.title) in groups["registered"]
                continue
            t = workflow.BY_ACTION[action]
            for source in t.sources:
                assert _norm(doc.title) in groups[source], (doc.code, action, source)


def test_the_chart_is_drawn_from_the_tables(rules, monkeypatch):
    before, fp = flowchart.render_svg(), flowchart.fingerprint()
    assert flowchart.render_svg() == before and flowchart.fingerprint() == fp  # the same table, the same chart

    fake = Transition("inspect_site", "现场核查（测试）", frozenset({Status.REGISTERED, Status.HANDLING}), Status.CLOSED,
                      frozenset({Role.CLERK}), CloseIn, starts=("petition.acceptance_notice",))
    monkeypatch.setattr(workflow, "TRANSITIONS", (*workflow.TRANSITIONS, fake))
    after = flowchart.render_svg()
    assert after != before and flowchart.fingerprint() != fp
    _, groups = parse(after)
    rule = rules["petition.acceptance_notice"]
    for source in ("registered", "handling"):
        assert _norm("▶ 现场核查（测试） → 已办结") in groups[source]
        assert _norm(f"时限：{rule.name} {_period(rule)}（{rule.source}）") in groups[source]
    assert "现场核查（测试）" not in before and flowchart.fingerprint() in after

    # a row taken out of the table leaves the chart
    monkeypatch.setattr(workflow, "TRANSITIONS", tuple(t for t in workflow.TRANSITIONS if t.action != "archive"))
    assert _norm("▶ 归档 →") not in _texts(ET.fromstring(flowchart.render_svg()))  # noqa: S314  # nosec B314  # — parses our own generated SVG in a test, never user input

    # the periods come from the rule table an administrator edits
    monkeypatch.undo()
    ClockRule.objects.filter(code="petition.handling", region__isnull=True).update(days=45, source="测试规则第1条")
    edited = _texts(ET.fromstring(flowchart.render_svg()))  # noqa: S314  # nosec B314  # — parses our own generated SVG in a test, never user input
    assert _norm(f"{rules['petition.handling'].name}：45日（测试规则第1条）") in edited


def test_the_pdf_embeds_its_font_and_says_what_the_svg_says(rules):
    data = flowchart.render_pdf()
    assert data.startswith(b"%PDF")
    fonts = pdf_fonts(data)
    assert fonts and all(f["embedded"] for f in fonts)
    text = _norm(pdf_text(data))
    assert "访调对接工作流程图" in text
    assert _norm(f"规则指纹 {flowchart.fingerprint()}") in text
    for state in Status:
        assert state.label in text, state
