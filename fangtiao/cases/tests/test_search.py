"""Chinese full-text search (ADR 0012): the bigrams, the list's `q` on both databases (the same
ids for the same data and queries), one query per list, the GIN index used on PostgreSQL, and
search_text kept by saves and set by the import."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangtiao.cases.models import Case
from fangtiao.cases.search import bigrams, case_search_text, query_terms, tsquery
from fangtiao.cases.selectors import bigram_match, case_list
from fangtiao.cases.tests.factories import make_case, person

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


# --- the pure functions ----------------------------------------------------------------------

def test_bigrams_of_chinese_text():
    assert bigrams("墙面开裂") == "墙面 面开 开裂"
    assert bigrams("张") == "张"  # a one-character token is kept as it is
    assert bigrams("墙面开裂，墙面") == "墙面 面开 开裂"  # distinct, first appearance order


def test_bigrams_of_mixed_ascii_and_full_width():
    assert bigrams("3号楼ABC-12 Ｘｙ３") == "3 号楼 abc 12 xy3"


def test_bigrams_split_on_punctuation_and_spaces():
    assert bigrams("邻居建房，造成！墙面（开裂）") == "邻居 居建 建房 造成 墙面 开裂"
    assert bigrams("甲 乙") == "甲 乙"


def test_bigrams_of_nothing():
    assert bigrams("") == "" and bigrams("，。！ ") == "" and query_terms("  ") == []


def test_the_case_text_is_number_title_and_capped_description():
    text = case_search_text("东城访调〔2026〕7号", "噪音扰民", "夜间施工" + "啊" * 5000 + "末尾词语")
    assert text.split()[:6] == ["东城", "城访", "访调", "2026", "7", "号"]
    assert "噪音" in text.split() and "末尾" not in text


def test_the_tsquery_quotes_every_term_and_passes_no_syntax():
    assert tsquery(query_terms("墙面 & !开裂 | 12")) == "'墙面' & '开裂' & '12':*"
    assert tsquery(["a'b"]) == "'a''b':*"


# --- the list's q ----------------------------------------------------------------------------

@pytest.fixture
def cases(xw):
    a = make_case(xw, title="邻居建房墙面开裂", description="隔壁加盖三层后，我家厨房出现裂缝渗水。",
                  parties=[person(name="钱多多")])
    b = make_case(xw, title="养殖场臭味扰民", description="村东养殖场夏季臭味严重，蚊蝇滋生。",
                  parties=[person(name="孙小红")])
    c = make_case(xw, title="劳务费拖欠", description="包工头拖欠三个月工资。", parties=[person(name="周大伟")])
    return {"a": a, "b": b, "c": c}


def found(xw, cases, q):
    ids = {v.pk: k for k, v in cases.items()}
    return {ids[pk] for pk in case_list(user=xw.leader, filters={"q": q}).values_list("pk", flat=True) if pk in ids}


# The same expectations on SQLite (icontains fallback) and PostgreSQL (bigram index).
QUERIES = [
    ("墙面", {"a"}),              # two characters of a title
    ("邻居建房墙面", {"a"}),       # a longer part of a title
    ("裂缝渗水", {"a"}),           # from the description
    ("臭味", {"b"}),
    ("蚊蝇滋生", {"b"}),
    ("拖欠", {"c"}),
    ("高铁站噪音", set()),         # unrelated text
    ("建房纠纷调解", set()),
    ("孙小红", {"b"}),             # a party's name
    ("劳", {"c"}),                 # one character: substring of the title
]


@pytest.mark.parametrize(("q", "expected"), QUERIES)
def test_a_case_is_found_by_its_words_and_not_by_unrelated_text(xw, cases, q, expected):
    assert found(xw, cases, q) == expected


def test_the_number_finds_its_case(xw, cases):
    assert found(xw, cases, cases["b"].number) == {"b"}


def test_the_list_with_q_stays_one_query(xw, cases):
    with CaptureQueriesContext(connection) as ctx:
        rows = list(case_list(user=xw.leader, filters={"q": "墙面开裂"}))
    assert len(ctx.captured_queries) == 1
    assert cases["a"].pk in {r.pk for r in rows}
    rows[0].category, rows[0].region, rows[0].holder_unit  # noqa: B018 - selected, no further query
    assert len(ctx.captured_queries) == 1


@pytest.mark.skipif(not POSTGRES, reason="tsvector and GIN are PostgreSQL's")
def test_postgres_reads_the_gin_index(xw, cases):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'cases_search_gin'")
        assert cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = off")
    try:
        assert "cases_search_gin" in bigram_match(query_terms("墙面开裂")).explain()
        assert "cases_search_gin" in case_list(user=xw.leader, filters={"q": "墙面开裂"}).explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = on")


# --- search_text kept current ----------------------------------------------------------------

def test_registration_sets_search_text(xw, cases):
    a = Case.objects.get(pk=cases["a"].pk)
    assert a.search_text == case_search_text(a.number, a.title, a.description)
    assert "渗水" in a.search_text.split()


def test_a_title_change_updates_search_text(xw, cases):
    a = Case.objects.get(pk=cases["a"].pk)
    a.title = "违章搭建遮挡采光"
    a.save(update_fields=["title"])
    a = Case.objects.get(pk=a.pk)
    assert "采光" in a.search_text.split() and "墙面" not in a.search_text.split()
    assert found(xw, cases, "遮挡采光") == {"a"} and found(xw, cases, "墙面开裂") == set()


def test_the_import_sets_search_text(xw, tmp_path):
    import tomllib

    from fangtiao.cases import importer
    from fangtiao.cases.models import ImportedRow
    from fangtiao.cases.tests.test_import import MAPPING, row, write_csv

    path = write_csv(tmp_path / "old.csv", [row(1, 标题="河道采砂噪音", 内容="采砂船夜间作业。")])
    importer.import_cases(path=path, mapping=importer.parse_mapping(tomllib.loads(MAPPING)),
                          actor_unit=xw.units["centre"], batch_size=2)
    case = ImportedRow.objects.select_related("case").get(external_id="JX-0001").case
    assert case.search_text == case_search_text(case.number, "河道采砂噪音", "采砂船夜间作业。")
    assert case.pk in set(case_list(user=xw.leader, filters={"q": "采砂船"}).values_list("pk", flat=True))


def test_the_migration_backfills_existing_cases(xw, cases):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("fangtiao.cases.migrations.0008_case_search_fill_index")
    Case.objects.filter(pk__in=[c.pk for c in cases.values()]).update(search_text="")
    migration.fill(apps, SimpleNamespace(connection=connection))
    for c in Case.objects.filter(pk__in=[c.pk for c in cases.values()]):
        assert c.search_text == case_search_text(c.number, c.title, c.description) != ""
