"""Reading other systems' exports: encodings and the header."""

import pytest

from fangtiao.core.errors import ValidationFailed
from fangtiao.core.tabular import columns, open_table


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_large_utf8_with_bom_whatever_byte_the_sample_ends_on(tmp_path, shift):
    """Excel's "CSV UTF-8" writes a BOM; a file over the 1 MiB sample must not be refused when the
    sample cuts a character (the BOM shifts the decoder's error position)."""
    p = tmp_path / "big.csv"
    p.write_bytes(("\ufeff标题,内容\n" + "a" * shift + "物业费收取争议," + "业主反映" * 100_000 + "\n").encode("utf-8"))
    t = open_table(p)
    assert t.header == ["标题", "内容"]
    assert len(list(t.rows())) == 1


def test_gbk_csv_and_missing_column(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("留言主题,留言详情\n小区噪音扰民,夜间施工\n".encode("gb18030"))
    t = open_table(p)
    assert list(t.rows()) == [(2, {"留言主题": "小区噪音扰民", "留言详情": "夜间施工"})]
    with pytest.raises(ValidationFailed) as exc:
        columns("留言主题,答复意见", t, field="text")
    assert "答复意见" in exc.value.errors[0].message


def test_not_a_table(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF-1.4")
    with pytest.raises(ValidationFailed):
        open_table(p)
    with pytest.raises(ValidationFailed):
        open_table(tmp_path / "missing.csv")
