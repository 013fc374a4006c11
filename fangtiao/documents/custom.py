"""District templates: a .docx with docxtpl (Jinja) placeholders such as ``{{ number }}`` or
``{% for p in parties %}{{ p.name }}{% endfor %}``. Checked on upload (opens as Word, Jinja syntax,
no unknown placeholder, every required placeholder of the form present) and rendered in a
sandboxed Jinja environment with autoescaping (a value with ``<`` or ``&`` cannot break the XML,
and a template cannot reach Python objects)."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from fangtiao.core.errors import ValidationFailed
from fangtiao.documents.catalogue import DocType
from fangtiao.documents.render_docx import normalise

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


def _env() -> ImmutableSandboxedEnvironment:
    # Immutable: a template cannot change the lists it is filled with ({{ parties.pop() }}).
    return ImmutableSandboxedEnvironment(autoescape=True)


def inspect_template(data: bytes, doc: DocType) -> list[str]:
    """The placeholders `data` uses, or ValidationFailed (field "file") saying what is wrong."""
    if len(data) > MAX_TEMPLATE_BYTES:
        raise ValidationFailed.on("file", "模板文件不能超过 5 MB")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationFailed.on("file", "不是 Word 文档（.docx）。请用 Word 或 WPS 另存为 .docx 后上传")
    problem = _active_content(data)
    if problem:
        raise ValidationFailed.on("file", problem)
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        tpl.init_docx()
        used = set(tpl.get_undeclared_template_variables(jinja_env=_env()))
    except TemplateSyntaxError as exc:
        raise ValidationFailed.on("file", f"模板占位符语法错误（第{exc.lineno}处附近）：{exc.message}") from exc
    except Exception as exc:  # a broken or foreign zip: python-docx raises several kinds
        raise ValidationFailed.on("file", "无法打开该 Word 文档，请确认文件未损坏且为 .docx 格式") from exc
    known = doc.all_fields
    unknown = sorted(used - set(known))
    if unknown:
        raise ValidationFailed.on("file", "模板使用了未知的占位符：" + "、".join(f"{{{{ {n} }}}}" for n in unknown)
                                  + "。可用的占位符见模板页的“占位符说明”")
    missing = [n for n in doc.required if n not in used]
    if missing:
        raise ValidationFailed.on("file", "模板缺少本文书必需的内容：" + "、".join(
            f"{{{{ {n} }}}}（{known[n]}）" for n in missing))
    return sorted(used)


_FIELD_CODES = re.compile(rb"\b(DDEAUTO|DDE|INCLUDETEXT|INCLUDEPICTURE|LINK|IMPORT)\b")


def _active_content(data: bytes) -> str | None:
    """Every document issued from a template is opened on officials' machines: a template may carry
    no macros, embedded objects, links to outside files or fields that fetch or run something."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        if sum(i.file_size for i in z.infolist()) > 50 * MAX_TEMPLATE_BYTES:
            return "模板文件解压后过大"
        if any(n.lower().endswith(("vbaproject.bin", ".bin")) or "/embeddings/" in n.lower()
               or "activex" in n.lower() for n in names):
            return "模板含有宏、嵌入对象或控件，出于安全原因不予接收。请另存为不含宏的 .docx 后上传"
        for n in names:
            if n.endswith(".rels") and b'TargetMode="External"' in z.read(n):
                return "模板含有指向外部文件或网址的链接，出于安全原因不予接收"
            if n.startswith("word/") and n.endswith(".xml"):
                xml = z.read(n)
                for instr in re.findall(rb"<w:instrText[^>]*>([^<]*)</w:instrText>", xml) + \
                        re.findall(rb'w:instr="([^"]*)"', xml):
                    if _FIELD_CODES.search(instr.upper()):
                        return "模板含有自动更新的域代码（如 DDE、INCLUDETEXT、LINK），出于安全原因不予接收"
    return None


def render_template(data: bytes, context: dict[str, Any]) -> bytes:
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.render(copy.deepcopy(context), jinja_env=_env(), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return normalise(buf.getvalue())
