"""Reads of the documents app: the forms a case has (with their issued versions), documents and
scans of a case, print jobs of a user, district templates. Jurisdiction comes from the case
selector (outside it: None → 404); which forms a role sees from services.may_see_type."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from fangtiao.cases.models import Case
from fangtiao.documents import catalogue
from fangtiao.documents.models import Document, DocumentTemplate, PrintJob, SignedCopy
from fangtiao.documents.services import may_see_type


def case_for_documents(*, user: Any, pk: int) -> Case | None:
    """The case (within the user's jurisdiction, else None: 404) with what the forms read from it on
    every issue. Whether the user may see documents at all is the caller's check (403)."""
    from django.db.models import Prefetch

    from fangtiao.cases.models import Party
    from fangtiao.clocks.models import Clock

    return (Case.objects.visible_to(user).filter(pk=pk)
            .select_related("category", "region", "holder_unit", "registered_unit", "registered_by", "extension_approver")
            .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("sort", "id")),
                              Prefetch("clocks", queryset=Clock.objects.select_related("rule").order_by("started_on", "id")))
            .first())


def catalogue_visible(user: Any) -> bool:
    return any(may_see_type(user, d) for d in catalogue.all_types())


def case_documents(*, case: Case, user: Any) -> list[Document]:
    """Every issued version of the case's documents the user may see, newest first within a form."""
    visible = {d.code for d in catalogue.all_types() if may_see_type(user, d)}
    rows = (Document.objects.filter(case=case, doc_type__in=visible).select_related("template", "created_by")
            .annotate(scan_count=Count("scans")).order_by("doc_type", "subject", "-version"))
    return list(rows)


def latest_documents(*, case: Case, user: Any) -> dict[tuple[str, str], Document]:
    out: dict[tuple[str, str], Document] = {}
    for row in case_documents(case=case, user=user):
        out.setdefault((row.doc_type, row.subject), row)
    return out


def case_forms(*, case: Case, user: Any) -> list[dict[str, Any]]:
    """The forms this case has now, each with its subjects and the latest issued version of each
    (the documents panel and GET /cases/{id}/documents). Bounded by the catalogue, not by data."""
    latest = latest_documents(case=case, user=user)
    out = []
    for doc in catalogue.all_types():
        if not may_see_type(user, doc) or not doc.available(case):
            continue
        subjects = doc.subjects(case) if doc.subjects else [("", "")]
        out.append({"doc": doc, "subjects": [
            {"key": key, "label": label, "document": latest.get((doc.code, key))} for key, label in subjects]})
    return out


def document_row(*, case: Case, user: Any, pk: int) -> Document | None:
    row = Document.objects.filter(case=case, pk=pk).select_related("case", "template").first()
    if row is None:
        return None
    doc = catalogue.get(row.doc_type)
    return row if doc is not None and may_see_type(user, doc) else None


def issued_document(*, case: Case, user: Any, doc_type: str, subject: str = "",
                    version: int | None = None) -> Document | None:
    """An issued version of a form (the latest of its subject, or the one asked for), if the user may see the form."""
    doc = catalogue.get(doc_type)
    if doc is None or not may_see_type(user, doc):
        return None
    qs = Document.objects.filter(case=case, doc_type=doc_type).select_related("case")
    if subject:
        qs = qs.filter(subject=subject)
    if version is not None:
        qs = qs.filter(version=version)
    return qs.order_by("-created_at", "-id").first()


def latest_version_id(*, case: Case, doc_type: str, subject: str) -> int | None:
    """The id of the newest issued version of one form and subject (to tell "unchanged" from "new")."""
    return (Document.objects.filter(case=case, doc_type=doc_type, subject=subject)
            .order_by("-version").values_list("pk", flat=True).first())


def case_scans(*, case: Case, codes: list[str]) -> dict[tuple[str, str], list[SignedCopy]]:
    """Every signed scan of the case's forms `codes`, by (form, subject), across versions: one query."""
    out: dict[tuple[str, str], list[SignedCopy]] = {}
    scans = (SignedCopy.objects.filter(case=case, document__doc_type__in=codes)
             .select_related("document", "uploaded_by").order_by("uploaded_at", "id"))
    for scan in scans:
        out.setdefault((scan.document.doc_type, scan.document.subject), []).append(scan)
    return out


def scans_of(*, document: Document) -> QuerySet[SignedCopy]:
    return SignedCopy.objects.filter(document=document).select_related("uploaded_by").order_by("uploaded_at", "id")


def scan_row(*, case: Case, user: Any, pk: int) -> SignedCopy | None:
    scan = SignedCopy.objects.filter(case=case, pk=pk).select_related("document").first()
    if scan is None or document_row(case=case, user=user, pk=scan.document_id) is None:
        return None
    return scan


def print_jobs(*, user: Any) -> QuerySet[PrintJob]:
    return PrintJob.objects.filter(created_by=user).select_related("unit", "case").order_by("-created_at", "-id")


def print_job(*, user: Any, pk: int) -> PrintJob | None:
    """A job is its requester's (it may hold documents of several cases of the day)."""
    return print_jobs(user=user).filter(pk=pk).first()


def templates(*, user: Any) -> QuerySet[DocumentTemplate]:
    from fangtiao.cases.access import case_scope_path

    qs = DocumentTemplate.objects.select_related("region", "uploaded_by").order_by("doc_type", "-version")
    if user.is_superuser:
        return qs
    scope = case_scope_path(user)
    if scope is None:
        return qs.none()
    return qs.filter(region_path__startswith=scope) if scope else qs


def print_target(user: Any, *, kind: str, unit_id: int | None, case_id: int | None) -> tuple[Any, Case | None]:
    """The unit and case a print job may cover: the day's receipts of the user's own unit (or a unit
    in their jurisdiction); the archive of a case they may see. Anything else: 404."""
    from django.http import Http404

    from fangtiao.cases.access import case_scope_path
    from fangtiao.org.models import Unit

    if kind == "receipts":
        if unit_id is None or unit_id == user.unit_id:
            if user.unit_id is None:
                raise Http404
            return user.unit, None
        unit = Unit.objects.filter(pk=unit_id).select_related("region").first()
        if unit is None:
            raise Http404
        if not user.is_superuser:
            scope = case_scope_path(user)  # "" everywhere, None no area of one's own (routed-only units)
            if scope is None or not unit.region.path.startswith(scope):
                raise Http404
        return unit, None
    if case_id is None:
        return None, None
    case = case_for_documents(user=user, pk=case_id)
    if case is None:
        raise Http404
    return case.holder_unit, case
