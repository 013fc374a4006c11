"""Import of historical matters from other systems (`fangtiao import-cases`, docs/import.md).

The file is read twice. The first pass validates every row against the mapping and the code tables
and keeps only ids and line numbers; nothing is written unless the whole file is clean (or the
caller asked to skip bad rows). The second pass imports the good rows in batches, each batch one
transaction, so a crash leaves whole batches behind; every imported row is recorded by
(source, external id), which makes running the same command again resume where it stopped and
never import a row twice.

Imported matters are history, not intake: they keep their received time (and their number, if the
source has one), start no statutory clock and send no notification (the 信访工作条例 clocks of
第21、22条 ran in the system they come from). Their parties are stored exactly as intake stores
them: ID numbers, phones and addresses encrypted, with the same blind indexes and pinyin keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fangtiao.audit import services as audit
from fangtiao.cases.choices import Channel, Kind, Nature, PartyRole, PartyType, Status
from fangtiao.cases.models import Case, CaseEvent, Party
from fangtiao.cases.models_import import ImportBatch, ImportedRow, ImportStatus
from fangtiao.cases.schemas import PartyIn
from fangtiao.cases.search import case_search_text
from fangtiao.cases.services import COLLECTIVE_HEADCOUNT, _party_keys
from fangtiao.core.errors import ValidationFailed
from fangtiao.core.masking import mask_id_number, mask_phone
from fangtiao.core.models import NumberSequence
from fangtiao.core.numbering import chinese_year_number
from fangtiao.core.pinyin import search_key
from fangtiao.core.tabular import Table, open_table
from fangtiao.core.validators import id_number_error, normalize_id_number, normalize_phone, phone_error
from fangtiao.org.models import DisputeCategory, Region, Unit

NUMBER_SCOPE = "case_import"
# Imported matters take their (unit, year, seq) from their own counter, offset so that they never
# meet the gap-free intake series under the cases_number_seq_uniq constraint.
HISTORICAL_SEQ_BASE = 1_000_000_000
HISTORICAL_WORD = "访调（历史）"
IMPORT_STATUSES = (Status.REGISTERED, Status.CLOSED, Status.ARCHIVED)
DEFAULT_BATCH_SIZE = 500
MAX_PRINTED_ERRORS = 200
AUDIT_USERNAME = "import-cases"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER_NOISE = re.compile(r"[,，\s¥￥元人]")

DEFAULT_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d", "%Y%m%d",
)


@dataclass(frozen=True)
class FieldSpec:
    label: str
    type: str  # text | datetime | date | int | decimal | code
    max_length: int | None = None


FIELDS: dict[str, FieldSpec] = {
    "external_id": FieldSpec("原系统编号", "text", 100),
    "number": FieldSpec("事项编号", "text", 60),
    "title": FieldSpec("事项标题", "text", 200),
    "description": FieldSpec("事实", "text", 20000),
    "demands": FieldSpec("请求", "text", 5000),
    "received_at": FieldSpec("收到时间", "datetime"),
    "channel": FieldSpec("来源渠道", "code"),
    "kind": FieldSpec("类别", "code"),
    "nature": FieldSpec("信访事项性质", "code"),
    "category": FieldSpec("纠纷类型", "code"),
    "region": FieldSpec("发生地", "code"),
    "status": FieldSpec("状态", "code"),
    "petitioner_name": FieldSpec("信访人姓名", "text", 100),
    "petitioner_id_number": FieldSpec("信访人身份证号码", "text", 30),
    "petitioner_phone": FieldSpec("信访人联系电话", "text", 30),
    "petitioner_address": FieldSpec("信访人住址", "text", 200),
    "headcount": FieldSpec("涉及人数", "int"),
    "amount": FieldSpec("涉及金额", "decimal"),
    "occurred_on": FieldSpec("发生日期", "date"),
    "replied_on": FieldSpec("答复日期", "date"),
    "closed_on": FieldSpec("办结日期", "date"),
    "reply": FieldSpec("答复意见", "text", 20000),
    # Flags old petition systems keep (legal-rules §5.2: 越级, 重复); kept as recorded, for statistics.
    "repeat": FieldSpec("重复信访", "bool"),
    "skip_level": FieldSpec("越级信访", "bool"),
}

TRUE_WORDS = frozenset({"是", "1", "true", "yes", "y", "√", "重复", "越级"})
FALSE_WORDS = frozenset({"否", "0", "false", "no", "n", "×", "-"})
CODE_FIELDS = ("channel", "kind", "nature", "category", "region", "status")
REQUIRED = ("title", "received_at", "channel", "kind", "region")
NOT_DEFAULTABLE = ("external_id", "number")
SENSITIVE = {"petitioner_id_number": mask_id_number, "petitioner_phone": mask_phone}
OPTIONS = ("received_at_format", "date_format", "join", "timezone", "optional_columns")
SOURCE_KEYS = ("name", "unit")
ENUMS: dict[str, tuple[tuple[str, str], ...]] = {
    "channel": tuple(Channel.choices),
    "kind": tuple(Kind.choices),
    "nature": tuple(Nature.choices),
    "status": tuple((s.value, s.label) for s in IMPORT_STATUSES),
}


# --- the mapping -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportMapping:
    """A parsed mapping file (docs/import.md § 对照文件)."""

    source: str
    unit: str = ""
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    received_at_formats: tuple[str, ...] = ()
    date_formats: tuple[str, ...] = ()
    join: str = "\n"
    tz: str = "Asia/Shanghai"
    optional_columns: tuple[str, ...] = ()  # columns a file may lack (read as empty)

    def as_dict(self) -> dict[str, Any]:
        return {"source": {"name": self.source, "unit": self.unit},
                "columns": {k: list(v) for k, v in self.columns.items()}, "values": self.values,
                "defaults": self.defaults,
                "options": {"received_at_format": list(self.received_at_formats),
                            "date_format": list(self.date_formats), "join": self.join, "timezone": self.tz,
                            "optional_columns": list(self.optional_columns)}}


def _mapping_error(message: str) -> ValidationFailed:
    return ValidationFailed.on("mapping", f"对照文件有误：{message}")


def _unknown(keys: Iterable[str], allowed: Iterable[str], where: str) -> None:
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise _mapping_error(f"{where}中有不认识的项：{'、'.join(bad)}（可用的项：{'、'.join(allowed)}）")


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _mapping_error(f"[{key}] 应为一个表（section）")
    return value


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise _mapping_error(f"{where} 应为文字，或由文字组成的列表")
    return tuple(v.strip() for v in items)


def _check_code(field_name: str, code: str, where: str) -> None:
    if field_name in ENUMS and code not in {c for c, _ in ENUMS[field_name]}:
        allowed = "、".join(f"{c}（{label}）" for c, label in ENUMS[field_name])
        raise _mapping_error(f"{where} 的“{code}”不是有效的{FIELDS[field_name].label}代码（可用：{allowed}）")


def parse_mapping(data: Mapping[str, Any]) -> ImportMapping:
    """Check a mapping read from TOML and return it; every mistake is a Chinese ValidationFailed."""
    _unknown(data.keys(), ("source", "columns", "values", "defaults", "options"), "对照文件顶层")
    source = _table(data, "source")
    _unknown(source.keys(), SOURCE_KEYS, "[source] ")
    name = source.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _mapping_error("请在 [source] 中用 name 写明来源系统的名称，如 name = \"旧信访系统\"")
    if len(name.strip()) > 100:
        raise _mapping_error("[source] name 不能超过100个字")
    unit = source.get("unit", "")
    if not isinstance(unit, str | int):
        raise _mapping_error("[source] unit 应为单位的ID、名称或简称")

    raw_columns = _table(data, "columns")
    _unknown(raw_columns.keys(), FIELDS, "[columns] ")
    columns = {k: _str_list(v, f"[columns] {k}") for k, v in raw_columns.items()}

    raw_values = _table(data, "values")
    _unknown(raw_values.keys(), CODE_FIELDS, "[values] ")
    values: dict[str, dict[str, str]] = {}
    for fname, table in raw_values.items():
        if not isinstance(table, dict):
            raise _mapping_error(f"[values.{fname}] 应为“原值 = 代码”的表")
        values[fname] = {}
        for src, code in table.items():
            if not isinstance(code, str | int) or isinstance(code, bool):
                raise _mapping_error(f"[values.{fname}] 中“{src}”对应的代码应为文字")
            _check_code(fname, str(code), f"[values.{fname}]")
            values[fname][src.strip()] = str(code).strip()

    raw_defaults = _table(data, "defaults")
    _unknown(raw_defaults.keys(), [f for f in FIELDS if f not in NOT_DEFAULTABLE], "[defaults] ")
    defaults: dict[str, str] = {}
    for fname, value in raw_defaults.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _mapping_error(f"[defaults] {fname} 应为文字或数字")
        defaults[fname] = str(value).strip()
        _check_code(fname, defaults[fname], f"[defaults] {fname}")

    options = _table(data, "options")
    _unknown(options.keys(), OPTIONS, "[options] ")
    received = _str_list(options["received_at_format"], "[options] received_at_format") \
        if "received_at_format" in options else ()
    dates = _str_list(options["date_format"], "[options] date_format") if "date_format" in options else ()
    for fmt in (*received, *dates):
        if "%" not in fmt:
            raise _mapping_error(f"日期格式“{fmt}”应使用 %Y、%m、%d、%H、%M、%S 等占位符")
    optional = _str_list(options["optional_columns"], "[options] optional_columns") \
        if "optional_columns" in options else ()
    join = options.get("join", "\n")
    if not isinstance(join, str):
        raise _mapping_error("[options] join 应为文字（多列合并时的分隔符）")
    tz = options.get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(str(tz))
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise _mapping_error(f"[options] timezone “{tz}”不是有效的时区名称") from exc

    for fname in ("title", "received_at"):
        if fname not in columns:
            raise _mapping_error(f"请在 [columns] 中指定 {fname}（{FIELDS[fname].label}）对应的列")
    for fname in REQUIRED:
        if fname not in columns and fname not in defaults:
            raise _mapping_error(f"请在 [columns] 或 [defaults] 中指定 {fname}（{FIELDS[fname].label}）")
    return ImportMapping(source=name.strip(), unit=str(unit).strip(), columns=columns, values=values,
                         defaults=defaults, received_at_formats=received, date_formats=dates, join=join, tz=str(tz),
                         optional_columns=optional)


def load_mapping(path: str | Path) -> ImportMapping:
    p = Path(path)
    if not p.is_file():
        raise ValidationFailed.on("mapping", f"找不到对照文件：{p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValidationFailed.on("mapping", "对照文件应为 UTF-8 编码的 TOML 文件") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed.on("mapping", f"对照文件不是有效的 TOML：{exc}") from exc
    return parse_mapping(data)


# --- the report ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    column: str
    value: str
    message: str

    def text(self) -> str:
        where = FIELDS[self.field].label if self.field in FIELDS else self.field
        if self.column:
            where += f"（{self.column}）"
        return f"第 {self.line} 行  {where}：{self.message}"


@dataclass
class ImportReport:
    source: str
    file: str
    sha256: str
    dry_run: bool
    total: int = 0
    valid: int = 0
    invalid: int = 0
    imported: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    aborted: bool = False  # bad rows and no --skip-invalid: nothing imported
    batch_id: int | None = None
    case_ids: list[int] = field(default_factory=list)
    indexed: int | None = None  # None: the text index is not available
    validate_seconds: float = 0.0
    import_seconds: float = 0.0
    index_seconds: float = 0.0

    @property
    def to_import(self) -> int:
        return self.valid - self.skipped

    def error_lines(self, limit: int | None = MAX_PRINTED_ERRORS) -> list[str]:
        errors = sorted(self.errors, key=lambda e: e.line)
        shown = errors if limit is None else errors[:limit]
        out = [e.text() for e in shown]
        if len(errors) > len(shown):
            out.append(f"……另有 {len(errors) - len(shown)} 条问题未显示（用 --report 写出全部）")
        return out

    def summary_lines(self) -> list[str]:
        lines = [f"来源：{self.source}　文件：{self.file}（SHA-256 {self.sha256[:12]}…）",
                 f"总行数：{self.total}", f"有效：{self.valid}", f"无效：{self.invalid}"]
        if self.dry_run:
            lines += [f"将导入：{self.to_import}", f"跳过（已导入过）：{self.skipped}", "试运行：未写入任何数据"]
        else:
            lines += [f"已导入：{self.imported}", f"跳过（已导入过）：{self.skipped}"]
            if self.aborted:
                lines.append("因存在无效行，未导入任何事项（修正后重新运行，或加 --skip-invalid 只导入有效行）")
        took = f"用时：校验 {self.validate_seconds:.1f} 秒"
        if not (self.dry_run or self.aborted):
            took += f"，导入 {self.import_seconds:.1f} 秒"
            if self.indexed:
                took += f"，建文本索引 {self.index_seconds:.1f} 秒"
        lines.append(took)
        return lines

    def write_csv(self, path: str | Path) -> None:
        """The report as a CSV Excel opens (UTF-8 with BOM); ID numbers and phones masked."""
        import csv

        with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["行号", "字段", "列名", "值", "问题"])
            for e in sorted(self.errors, key=lambda e: e.line):
                w.writerow([e.line, FIELDS[e.field].label if e.field in FIELDS else e.field, e.column, e.value, e.message])


# --- reading and checking rows ---------------------------------------------------------------

@dataclass(slots=True)
class Prepared:
    line: int
    external_id: str
    number: str
    title: str
    description: str
    demands: str
    reply: str
    received_at: dt.datetime
    channel: str
    kind: str
    nature: str
    status: str
    category_id: str | None
    region_id: int
    region_path: str
    name: str
    id_number: str
    phone: str
    address: str
    headcount: int
    amount: Decimal | None
    occurred_on: dt.date | None
    replied_on: dt.date | None
    closed_on: dt.date | None
    closed_at: dt.datetime | None
    repeat: bool = False
    skip_level: bool = False


@dataclass
class Lookups:
    """The code tables a row is checked against, read once per import."""

    regions: dict[str, tuple[int, str]]
    region_names: dict[str, str]  # a name borne by exactly one active region → its code
    categories: set[str]
    category_names: dict[str, str]
    tz: dt.tzinfo
    now: dt.datetime

    @classmethod
    def load(cls, mapping: ImportMapping) -> Lookups:
        regions: dict[str, tuple[int, str]] = {}
        names: Counter[str] = Counter()
        by_name: dict[str, str] = {}
        for pk, code, path, name in Region.objects.filter(active=True).values_list("pk", "code", "path", "name"):
            regions[code] = (pk, path)
            names[name] += 1
            by_name[name] = code
        cats = dict(DisputeCategory.objects.filter(active=True).values_list("code", "name"))
        lk = cls(regions=regions, region_names={n: c for n, c in by_name.items() if names[n] == 1},
                 categories=set(cats), category_names={n: c for c, n in cats.items()}, tz=ZoneInfo(mapping.tz),
                 now=timezone.now())
        for fname, known, label in (("category", lk.categories, "纠纷类型"), ("region", lk.regions, "区划")):
            targets = list(mapping.values.get(fname, {}).values())
            if fname in mapping.defaults:
                targets.append(mapping.defaults[fname])
            bad = sorted({t for t in targets if t not in known})
            if bad:
                raise _mapping_error(f"[values.{fname}] 或 [defaults] 中的{label}代码不存在或已停用：{'、'.join(bad)}")
        return lk


def _clean(value: str) -> str:
    return _CONTROL.sub("", value).strip()


def _cells(raw: Mapping[str, str], mapping: ImportMapping) -> dict[str, tuple[str, str]]:
    """field → (value, where it came from) after joining columns and applying defaults."""
    out: dict[str, tuple[str, str]] = {}
    for fname in FIELDS:
        cols = mapping.columns.get(fname)
        value = ""
        where = ""
        if cols:
            parts = [_clean(raw.get(c, "")) for c in cols]
            value = mapping.join.join(p for p in parts if p)
            where = "+".join(cols)
        if not value and fname in mapping.defaults:
            value, where = mapping.defaults[fname], "默认值"
        out[fname] = (value, where)
    return out


def _external_id(raw: Mapping[str, str], mapping: ImportMapping) -> str:
    cols = mapping.columns.get("external_id", ())
    return mapping.join.join(v for v in (_clean(raw.get(c, "")) for c in cols) if v)


def _parse_datetime(text: str, formats: tuple[str, ...], tz: dt.tzinfo) -> dt.datetime | None:
    s = text.strip().replace("\u3000", " ")
    s = re.sub(r"\s+", " ", s)
    parsed: dt.datetime | None = None
    if not formats:
        try:
            parsed = dt.datetime.fromisoformat(s)
        except ValueError:
            parsed = None
    for fmt in formats or DEFAULT_DATETIME_FORMATS:
        if parsed is not None:
            break
        try:
            parsed = dt.datetime.strptime(s, fmt)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
    if parsed is None:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def _code(fname: str, raw: str, mapping: ImportMapping, lk: Lookups) -> tuple[str | None, str]:
    """Our code for a source value, or (None, message)."""
    code = mapping.values.get(fname, {}).get(raw, raw)
    label = FIELDS[fname].label
    hint = f"（请在对照文件的 [values.{fname}] 中写明对应的代码）"
    if fname in ENUMS:
        codes = dict(ENUMS[fname])
        if code in codes:
            return code, ""
        by_label = {lab: c for c, lab in ENUMS[fname]}
        if code in by_label:
            return by_label[code], ""
        if fname == "status" and (code in Status.values or code in Status.labels):
            allowed = "、".join(s.label for s in IMPORT_STATUSES)
            return None, f"历史事项导入后的状态只能是{allowed}（“{raw}”请对照为其中之一）"
        return None, f"{label}“{raw}”无法识别{hint}"
    if fname == "category":
        if code in lk.categories:
            return code, ""
        if code in lk.category_names:
            return lk.category_names[code], ""
        return None, f"纠纷类型“{raw}”不是有效的纠纷类型代码{hint}"
    if code in lk.regions:  # region
        return code, ""
    if code in lk.region_names:
        return lk.region_names[code], ""
    return None, f"发生地区划代码“{raw}”不存在{hint}"


def prepare(line: int, raw: Mapping[str, str], mapping: ImportMapping, lk: Lookups,
            external_id: str) -> tuple[Prepared | None, list[RowError]]:
    """Check one row; the Prepared row to import, or the list of what is wrong with it."""
    cells = _cells(raw, mapping)
    errors: list[RowError] = []
    out: dict[str, Any] = {}

    def err(fname: str, message: str) -> None:
        value, where = cells[fname]
        mask = SENSITIVE.get(fname)
        errors.append(RowError(line, fname, where, mask(value) if mask else value[:100], message))

    for fname, spec in FIELDS.items():
        value, _where = cells[fname]
        if not value:
            out[fname] = None
            if fname in REQUIRED or (fname == "external_id" and fname in mapping.columns):
                err(fname, f"缺少{spec.label}")
            continue
        if spec.type == "text":
            if spec.max_length and len(value) > spec.max_length:
                err(fname, f"{spec.label}不能超过{spec.max_length}字（现为{len(value)}字）")
            out[fname] = value
        elif spec.type in ("datetime", "date"):
            formats = mapping.received_at_formats if fname == "received_at" else mapping.date_formats
            moment = _parse_datetime(value, formats, lk.tz)
            if moment is None:
                option = "received_at_format" if fname == "received_at" else "date_format"
                err(fname, f"无法识别的日期“{value}”（可在 [options] {option} 中写明格式，如 \"%Y-%m-%d %H:%M:%S\"）")
            elif moment > lk.now + dt.timedelta(days=1) or moment.year < 1949:
                err(fname, f"{spec.label}“{value}”不合理（晚于今天或早于1949年）")
            out[fname] = moment
        elif spec.type == "int":
            try:
                n = int(_NUMBER_NOISE.sub("", value))
            except ValueError:
                n = 0
            if not 1 <= n <= 100000:
                err(fname, f"{spec.label}应为1至100000之间的整数（现为“{value}”）")
            out[fname] = n
        elif spec.type == "bool":
            word = value.strip().lower()
            if word not in TRUE_WORDS and word not in FALSE_WORDS:
                err(fname, f"{spec.label}应为“是”或“否”（现为“{value[:20]}”）")
            out[fname] = word in TRUE_WORDS
        elif spec.type == "decimal":
            try:
                amount = Decimal(_NUMBER_NOISE.sub("", value))
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or amount < 0 or amount > Decimal("999999999999"):
                err(fname, f"{spec.label}应为不小于0的金额（元），现为“{value}”")
            elif amount != amount.quantize(Decimal("0.01")):
                err(fname, f"{spec.label}最多两位小数（现为“{value}”）")
            out[fname] = amount
        else:
            code, message = _code(fname, value, mapping, lk)
            if code is None:
                err(fname, message)
            out[fname] = code

    title = out["title"] or ""
    if title and len(title) < 2:
        err("title", "事项标题至少2个字")
    if out["kind"] == Kind.DISPUTE and not out["category"] and not any(e.field == "category" for e in errors):
        err("category", "矛盾纠纷须有纠纷类型（可在 [defaults] 中指定 category）")
    if out["kind"] == Kind.DISPUTE and out["nature"]:
        err("nature", "矛盾纠纷不区分信访事项性质")
    if out["petitioner_id_number"]:
        message = id_number_error(out["petitioner_id_number"])
        if message:
            err("petitioner_id_number", message)
    if out["petitioner_phone"]:
        message = phone_error(out["petitioner_phone"])
        if message:
            err("petitioner_phone", message)
    received = out["received_at"]
    closed = out["closed_on"]
    status = out["status"]
    if closed and (not status or cells["status"][1] == "默认值"):
        status = Status.CLOSED  # the source says when it was closed: it is closed, whatever the default
    elif closed and status == Status.REGISTERED:
        err("status", "状态为已登记，却有办结日期")
    if errors:
        return None, errors
    status = status or Status.CLOSED
    region_id, region_path = lk.regions[out["region"]]
    return Prepared(
        line=line, external_id=external_id, number=out["number"] or "", title=title,
        description=out["description"] or "", demands=out["demands"] or "", reply=out["reply"] or "",
        received_at=received, channel=out["channel"], kind=out["kind"], nature=out["nature"] or "", status=status,
        category_id=out["category"], region_id=region_id, region_path=region_path,
        name=out["petitioner_name"] or "",
        id_number=normalize_id_number(out["petitioner_id_number"]) if out["petitioner_id_number"] else "",
        phone=normalize_phone(out["petitioner_phone"]) if out["petitioner_phone"] else "",
        address=out["petitioner_address"] or "", headcount=out["headcount"] or 1, amount=out["amount"],
        occurred_on=timezone.localtime(out["occurred_on"], lk.tz).date() if out["occurred_on"] else None,
        replied_on=timezone.localtime(out["replied_on"], lk.tz).date() if out["replied_on"] else None,
        closed_on=timezone.localtime(closed, lk.tz).date() if closed and status != Status.REGISTERED else None,
        closed_at=closed, repeat=bool(out["repeat"]), skip_level=bool(out["skip_level"]),
    ), []


# --- writing ---------------------------------------------------------------------------------

def _allocate(*, unit_id: int, year: int, count: int) -> int:
    """Reserve `count` numbers of the historical series of (unit, year); returns the first."""
    for _ in range(5):
        seq = NumberSequence.objects.select_for_update().filter(scope=NUMBER_SCOPE, unit_id=unit_id, year=year).first()
        if seq is not None:
            NumberSequence.objects.filter(pk=seq.pk).update(last=seq.last + count)
            return seq.last + 1
        try:
            with transaction.atomic():
                NumberSequence.objects.create(scope=NUMBER_SCOPE, unit_id=unit_id, year=year, last=count)
            return 1
        except IntegrityError:
            continue  # another import created the counter first: lock it and go on
    raise RuntimeError("could not allocate historical case numbers")


def _import_batch(*, batch: ImportBatch, rows: list[Prepared], unit: Unit, actor: Any) -> list[int]:
    """One transaction: the cases of `rows` with their parties, timeline and audit; the ids created.

    Rows another run imported meanwhile are left out (the batch row is locked first, and
    (source, external id) is unique besides)."""
    with transaction.atomic():
        ImportBatch.objects.select_for_update().filter(pk=batch.pk).first()
        done = set(ImportedRow.objects.filter(source=batch.source, external_id__in=[r.external_id for r in rows])
                   .values_list("external_id", flat=True))
        rows = [r for r in rows if r.external_id not in done]
        if not rows:
            return []
        tz = timezone.get_default_timezone()
        years = Counter(timezone.localtime(r.received_at, tz).year for r in rows)
        next_seq = {y: _allocate(unit_id=unit.pk, year=y, count=n) for y, n in sorted(years.items())}
        registered_by = actor if getattr(actor, "is_authenticated", False) else None
        cases = []
        for r in rows:
            year = timezone.localtime(r.received_at, tz).year
            seq = next_seq[year]
            next_seq[year] += 1
            cases.append(Case(
                number=r.number or chinese_year_number(unit.short_name, year, seq, word=HISTORICAL_WORD),
                number_unit=unit, number_year=year, number_seq=HISTORICAL_SEQ_BASE + seq, kind=r.kind,
                nature=r.nature, channel=r.channel, status=r.status, title=r.title, description=r.description,
                demands=r.demands, category_id=r.category_id, region_id=r.region_id, region_path=r.region_path,
                occurred_on=r.occurred_on, amount=r.amount, headcount=r.headcount,
                is_collective=r.headcount >= COLLECTIVE_HEADCOUNT, is_repeat=r.repeat, is_skip_level=r.skip_level,
                identity_incomplete=not (r.name and r.address), registered_unit=unit, registered_by=registered_by,
                received_at=r.received_at, holder_unit=unit, reply_opinion=r.reply, replied_on=r.replied_on,
                closed_on=r.closed_on,
            ))
            cases[-1].search_text = case_search_text(cases[-1].number, r.title, r.description)
        Case.objects.bulk_create(cases)
        parties, events, imported = [], [], []
        actor_name = (getattr(actor, "name", "") or actor.get_username()) if registered_by else "系统导入"
        now = timezone.now()
        for c, r in zip(cases, rows, strict=True):
            if r.name or r.id_number or r.phone or r.address:
                keys = _party_keys(PartyIn(name=r.name, id_number=r.id_number, phone=r.phone))
                parties.append(Party(
                    case=c, role=PartyRole.PETITIONER, type=PartyType.PERSON, name=r.name, id_number=r.id_number,
                    id_index=keys[0], phone=r.phone, phone_index=keys[1], name_phone_index=keys[2], address=r.address,
                    sort=0, search_key=search_key(r.name, person=True),
                ))
            origin = f"历史事项导入：来源“{batch.source}”，原系统编号 {r.external_id}"
            events.append(CaseEvent(case=c, at=r.received_at, action="register", actor=registered_by,
                                    actor_name=actor_name, unit=unit, note=origin, public=False,
                                    data={"number": c.number, "source": batch.source, "external_id": r.external_id,
                                          "batch": str(batch.pk)}))
            if c.closed_on and r.closed_at:
                events.append(CaseEvent(case=c, at=max(r.closed_at, r.received_at), action="close",
                                        actor=registered_by, actor_name=actor_name, unit=unit,
                                        note="原系统记载已办结", public=False))
            imported.append(ImportedRow(batch=batch, source=batch.source, external_id=r.external_id, line=r.line,
                                        case=c, imported_at=now))
        Party.objects.bulk_create(parties)
        CaseEvent.objects.bulk_create(events)
        ImportedRow.objects.bulk_create(imported)
        for c, r in zip(cases, rows, strict=True):
            audit.record(actor=actor, action="cases.imported", subject=c, actor_username=AUDIT_USERNAME,
                         changes={"status": [None, c.status], "number": [None, c.number]},
                         extra={"source": batch.source, "external_id": r.external_id, "line": r.line,
                                "batch": batch.pk})
        ImportBatch.objects.filter(pk=batch.pk).update(imported_rows=F("imported_rows") + len(cases))
        return [c.pk for c in cases]


def _index(case_ids: list[int]) -> int | None:
    """Hand the imported matters to the text features (screening), when that module has the hook."""
    for module in ("fangtiao.screening.services", "fangtiao.screening.similar"):
        try:
            hook = getattr(importlib.import_module(module), "index_cases", None)
        except ImportError:
            continue
        if hook is not None:
            if case_ids:
                hook(case_ids)
            return len(case_ids)
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_columns(table: Table, mapping: ImportMapping) -> None:
    missing = sorted({c for cols in mapping.columns.values() for c in cols
                      if c not in table.header and c not in mapping.optional_columns})
    if missing:
        raise ValidationFailed.on("mapping", f"文件中没有对照文件所写的列：{'、'.join(missing)}"
                                             f"（文件的列：{'、'.join(h for h in table.header if h)}）")


def _chunks(items: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def import_cases(*, path: str | Path, mapping: ImportMapping | Mapping[str, Any] | str | Path, actor_unit: Unit | None,
                 dry_run: bool = False, resume: bool = True, batch_size: int = DEFAULT_BATCH_SIZE,
                 progress: Callable[[int, int], None] | None = None, skip_invalid: bool = False,
                 actor: Any = None) -> ImportReport:
    """Validate a whole file of historical matters, then (unless `dry_run`) import it in batches.

    With bad rows and not `skip_invalid`, nothing is imported (`report.aborted`). With `resume`
    (the default) rows of this source imported before are skipped; without it they are errors.
    `progress(done, total)` is called after each batch."""
    if not isinstance(mapping, ImportMapping):
        mapping = load_mapping(mapping) if isinstance(mapping, str | Path) else parse_mapping(mapping)
    if batch_size < 1:
        raise ValidationFailed.on("batch_size", "每批行数至少为1")
    table = open_table(path)
    _check_columns(table, mapping)
    sha = _sha256(table.path)
    report = ImportReport(source=mapping.source, file=table.path.name, sha256=sha, dry_run=dry_run)
    t0 = time.monotonic()
    lk = Lookups.load(mapping)

    # Pass 1: check every row; keep only ids and line numbers.
    good: dict[int, str] = {}  # line → external id
    bad: set[int] = set()
    seen_ids: dict[str, int] = {}
    numbers: dict[str, int] = {}
    mapped_id = "external_id" in mapping.columns
    for line, raw in table.rows():
        report.total += 1
        ext = _external_id(raw, mapping) if mapped_id else f"{sha[:16]}:{line}"  # no id: the file and line stand for it
        prep, errors = prepare(line, raw, mapping, lk, external_id=ext)
        if ext and mapped_id:
            if ext in seen_ids:
                errors.append(RowError(line, "external_id", "+".join(mapping.columns["external_id"]), ext,
                                       f"原系统编号“{ext}”与第 {seen_ids[ext]} 行重复"))
            else:
                seen_ids[ext] = line
        number = prep.number if prep is not None else ""
        if number:
            if number in numbers:
                errors.append(RowError(line, "number", "+".join(mapping.columns.get("number", ())), number,
                                       f"事项编号“{number}”与第 {numbers[number]} 行重复"))
            else:
                numbers[number] = line
        if errors:
            report.errors.extend(errors)
            bad.add(line)
        else:
            good[line] = ext

    # Rows imported before (by any file of this source) are skipped on resume.
    by_ext = {ext: line for line, ext in good.items()}
    already: dict[str, str] = {}
    for chunk in _chunks(list(by_ext)):
        already.update(ImportedRow.objects.filter(source=mapping.source, external_id__in=chunk)
                       .values_list("external_id", "case__number"))
    if not resume:
        for ext, case_number in already.items():
            line = by_ext[ext]
            report.errors.append(RowError(line, "external_id", "+".join(mapping.columns.get("external_id", ())), ext,
                                          f"已导入过（事项 {case_number}）"))
            bad.add(line)
            del good[line]
        already = {}
    # A number the source gives must not be taken by a matter already here.
    wanted = {n: line for n, line in numbers.items() if line in good and good[line] not in already}
    for chunk in _chunks(list(wanted)):
        for taken in Case.objects.filter(number__in=chunk).values_list("number", flat=True):
            line = wanted[taken]
            report.errors.append(RowError(line, "number", "+".join(mapping.columns.get("number", ())), taken,
                                          f"事项编号“{taken}”已被系统中的其他事项使用"))
            bad.add(line)
            good.pop(line, None)
    report.invalid = len(bad)
    report.valid = report.total - report.invalid
    todo = {line for line, ext in good.items() if ext not in already}
    report.skipped = report.valid - len(todo)
    report.validate_seconds = time.monotonic() - t0
    if dry_run:
        return report
    if report.invalid and not skip_invalid:
        report.aborted = True
        return report
    if actor_unit is None:
        raise ValidationFailed.on("unit", "请指定登记单位（--unit）")

    # Pass 2: import the good rows in batches.
    t1 = time.monotonic()
    batch, resumed = _open_batch(report, table, mapping, actor_unit, actor, has_work=bool(todo))
    if batch is None:
        return report
    report.batch_id = batch.pk
    pending: list[Prepared] = []
    total = len(todo)
    if progress is not None:
        progress(0, total)
    try:
        for line, raw in table.rows():
            if line not in todo:
                continue
            prep, errors = prepare(line, raw, mapping, lk, external_id=good[line])
            if prep is None:
                raise ValidationFailed.on("file", f"文件在导入过程中被改动（第 {line} 行），已停止；请重新运行")
            pending.append(prep)
            if len(pending) >= batch_size:
                report.case_ids += _import_batch(batch=batch, rows=pending, unit=actor_unit, actor=actor)
                pending = []
                if progress is not None:
                    progress(len(report.case_ids), total)
        if pending:
            report.case_ids += _import_batch(batch=batch, rows=pending, unit=actor_unit, actor=actor)
            if progress is not None:
                progress(len(report.case_ids), total)
    except BaseException as exc:
        report.imported = len(report.case_ids)
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now(),
                                                       error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise
    report.imported = len(report.case_ids)
    report.skipped += total - report.imported  # imported meanwhile by a concurrent run
    _finish(batch, report, actor, resumed=resumed)
    report.import_seconds = time.monotonic() - t1 - report.index_seconds
    return report


def _open_batch(report: ImportReport, table: Table, mapping: ImportMapping, unit: Unit, actor: Any,
                *, has_work: bool) -> tuple[ImportBatch | None, bool]:
    """The batch of this (source, file), created or resumed, and whether an earlier run of it was
    interrupted. Nothing to do and nothing left unfinished: None, and nothing is written (a re-run
    is a no-op)."""
    batch = ImportBatch.objects.filter(source=mapping.source, sha256=report.sha256).first()
    if batch is not None:
        report.batch_id = batch.pk
    if not has_work and (batch is None or batch.status == ImportStatus.COMPLETED):
        return None, False
    resumed = batch is not None and batch.status != ImportStatus.COMPLETED
    with transaction.atomic():
        batch, _created = ImportBatch.objects.select_for_update().get_or_create(
            source=mapping.source, sha256=report.sha256,
            defaults={"file_name": table.path.name[:255], "unit": unit,
                      "actor": actor if getattr(actor, "is_authenticated", False) else None},
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.RUNNING, runs=F("runs") + 1, total_rows=report.total, valid_rows=report.valid,
            invalid_rows=report.invalid, mapping=mapping.as_dict(), error="", finished_at=None)
        batch.refresh_from_db()
    report.batch_id = batch.pk
    if not has_work:  # an interrupted run had imported everything: only finishing is left
        _finish(batch, report, actor, resumed=resumed)
        return None, resumed
    return batch, resumed


def _finish(batch: ImportBatch, report: ImportReport, actor: Any, *, resumed: bool) -> None:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMPLETED, finished_at=timezone.now(),
                                                       skipped_rows=report.skipped)
        batch.refresh_from_db()
        audit.record(actor=actor, action="cases.imported", subject=batch, actor_username=AUDIT_USERNAME,
                     extra={"source": batch.source, "file": batch.file_name, "sha256": batch.sha256,
                            "total": report.total, "valid": report.valid, "invalid": report.invalid,
                            "imported": report.imported, "skipped": report.skipped, "run": batch.runs})
    # A resumed batch: the cases of the interrupted runs may not have reached the index either.
    ids = list(ImportedRow.objects.filter(batch=batch).values_list("case_id", flat=True)) if resumed \
        else report.case_ids
    t = time.monotonic()
    report.indexed = _index(ids)
    report.index_seconds = time.monotonic() - t
