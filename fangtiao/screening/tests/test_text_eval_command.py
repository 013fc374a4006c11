"""`fangtiao text-eval` end to end on small invented CSV/XLSX files (no database)."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

PLACES = ["东湖苑", "西岭花园", "南塘社区", "北山村", "临江小区", "新桥镇"]
TOPICS = {"物业": ("物业费", "停车费", "电梯"), "劳动": ("拖欠工资", "加班费", "工伤"), "环境": ("油烟", "粉尘", "污水")}


def _csv(path, header, rows, encoding="utf-8"):
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("text-eval", *args, stdout=out, stderr=err)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), err.getvalue()


def test_routing_cross_validation(tmp_path):
    rows = [(f"{p}{w}问题", f"{p}居民反映{w}的问题一直没有解决", label)
            for label, words in TOPICS.items() for p in PLACES for w in words[:2]]
    path = _csv(tmp_path / "r.csv", ["主题", "详情", "类别"], rows, encoding="gb18030")
    result, err = _run("routing", "--train", path, "--text", "主题,详情", "--label", "类别", "--folds", "2")
    assert set(result) >= {"accuracy", "macro_f1", "per_label", "n_train", "n_test", "train_seconds"}
    assert result["macro_f1"] >= 0.9 and result["n_train"] == 18 and result["n_test"] == 18
    assert result["per_label"]["物业"]["support"] == 12
    assert "第 1/2 折" in err


def test_duplicates_and_person(tmp_path):
    base = [
        ("a", "p1", "东湖苑物业乱收停车费，每月三百元，业委会不管，业主很不满意"),
        ("b", "p2", "城东工地包工头拖欠工资半年，两万多元至今不给，工人讨薪无门"),
        ("c", "p3", "北山村搅拌站粉尘很大，晚上还夜间施工，噪音扰民睡不着觉"),
        ("d", "p4", "西岭花园电梯坏了两个月没人修，老人上下楼困难，物业不作为"),
    ]
    rows = [(f"2024-05-0{i + 1}", g, p, t) for i, (g, p, t) in enumerate(base)]
    rows.append(("2024-05-08", "a", "p1", "东湖苑物业乱收停车费每月三百元的事，业委会还是不管，业主很不满意，再次反映"))
    rows.append(("2024-05-09", "b", "p9", "城东工地包工头拖欠工资半年，两万多元至今不给，工人讨薪无门，请求帮助"))
    rows.append(("2024-05-09", "e", "p5", "临江小区停车位被占，物业不管，业主很不满意"))
    path = _csv(tmp_path / "d.csv", ["时间", "事项", "人", "内容"], rows)
    result, _ = _run("duplicates", "--input", path, "--text", "内容", "--group", "事项", "--time", "时间")
    assert result["precision"] == 1.0 and result["recall"] == 1.0 and result["threshold"] > 0
    with_person, _ = _run("duplicates", "--input", path, "--text", "内容", "--group", "事项", "--person", "人")
    assert with_person["repeats"] == 1 and with_person["recall"] == 1.0  # p9 is another petitioner: not 同人


def test_hotspots_on_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "标题", "时间"])
    for i, extra in enumerate(["", "，请尽快处理", "，已经反映多次", "，急"]):
        ws.append([f"h{i}", f"东湖苑物业乱收停车费{extra}，每月三百元停车费太贵，业委会不管", f"2024-05-{10 + i:02d} 09:00:00"])
    for i, t in enumerate(["南塘社区路灯坏了", "青石街下水道堵塞", "新桥镇校车超载"]):
        ws.append([f"n{i}", t, f"2024-05-{20 + i:02d}"])
    ws.append(["old", "东湖苑物业乱收停车费，停车费太贵", "2024-04-01"])
    path = tmp_path / "h.xlsx"
    wb.save(path)
    result, _ = _run("hotspots", "--input", str(path), "--text", "标题", "--time", "时间", "--id", "编号")
    assert len(result["clusters"]) == 1
    c = result["clusters"][0]
    assert c["members"] == ["h0", "h1", "h2", "h3"] and c["trend"] == "rising" and "停车费" in c["label"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["routing", "--train", "/no/such.csv", "--text", "a", "--label", "b"], "找不到文件"),
        (["routing", "--train", "{csv}", "--text", "正文", "--label", "类别"], "文件中没有列：正文"),
        (["routing", "--train", "{csv}", "--text", "内容", "--label", "类别", "--folds", "五"], "--folds 应为整数"),
        (["routing", "--train", "{csv}", "--text", "内容", "--label", "类别"], "类别样本太少"),
        (["routing", "--text", "内容"], "缺少参数 --train"),
        (["duplicates", "--input", "{csv}", "--text", "内容", "--group", "类别", "--time", "内容"], "时间无法识别"),
        (["hotspots", "--input", "{csv}", "--text", "内容", "--time", "时间", "--window-days", "x"], "--window-days 应为整数"),
    ],
)
def test_bad_input_is_a_chinese_error(tmp_path, args, message):
    path = _csv(tmp_path / "bad.csv", ["内容", "类别", "时间"], [("物业费太高", "物业", "2024-05-01"), ("拖欠工资", "劳动", "2024-05-02")])
    args = [a.replace("{csv}", path) for a in args]
    with pytest.raises(CommandError) as exc:
        call_command("text-eval", *args, stdout=StringIO(), stderr=StringIO())
    assert message in str(exc.value)


def test_one_label_only(tmp_path):
    path = _csv(tmp_path / "one.csv", ["内容", "类别"], [("物业费太高", "物业")] * 6)
    with pytest.raises(CommandError, match="至少需要两个不同的类别"):
        call_command("text-eval", "routing", "--train", path, "--text", "内容", "--label", "类别", stdout=StringIO())
