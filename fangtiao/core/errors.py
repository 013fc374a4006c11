"""Domain errors raised by services; the API and the views turn them into one error shape.

API shape: {"detail": "<中文>", "errors": [{"field": ..., "message": ...}]}.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class DomainError(Exception):
    """Base of all errors a service raises on purpose. `status` is the HTTP status the API uses."""

    detail: str
    errors: list[FieldError] = field(default_factory=list)
    code: str = "invalid"
    status: int = 422

    def __str__(self) -> str:
        return self.detail


class ValidationFailed(DomainError):
    """Bad input: 422 with field errors."""

    def __init__(self, detail: str = "输入有误，请检查后重试", errors: list[FieldError] | None = None, code: str = "invalid"):
        super().__init__(detail=detail, errors=errors or [], code=code, status=422)

    @classmethod
    def on(cls, field_name: str, message: str) -> ValidationFailed:
        return cls(detail=message, errors=[FieldError(field_name, message)])


class Conflict(DomainError):
    """A transition not allowed from the current state, or a stale version: 409."""

    def __init__(self, detail: str, code: str = "conflict"):
        super().__init__(detail=detail, errors=[], code=code, status=409)


class PermissionDenied(DomainError):
    """Visible but not permitted: 403 (outside the jurisdiction is a 404, never this)."""

    def __init__(self, detail: str = "您没有执行此操作的权限", code: str = "forbidden"):
        super().__init__(detail=detail, errors=[], code=code, status=403)


class NotFound(DomainError):
    def __init__(self, detail: str = "未找到该对象，或不在您的管辖范围内", code: str = "not_found"):
        super().__init__(detail=detail, errors=[], code=code, status=404)


def from_django_validation(exc: Exception) -> ValidationFailed:
    """Turn a django.core.exceptions.ValidationError into our shape."""
    from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

    if not isinstance(exc, ValidationError):
        raise TypeError("expected a django ValidationError")
    errors: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for err in errs:
                for msg in err.messages:
                    errors.append(FieldError("__all__" if name == NON_FIELD_ERRORS else name, msg))
    else:
        errors = [FieldError("__all__", m) for m in exc.messages]
    detail = errors[0].message if len(errors) == 1 else "输入有误，请检查后重试"
    return ValidationFailed(detail=detail, errors=errors)
