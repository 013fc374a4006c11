from pathlib import Path

from django.conf import settings

from fangtiao.documents.docs import render


def test_forms_doc_is_generated_from_the_catalogue():
    """docs/documents-forms.md is the catalogue; regenerate with `fangtiao workflow-doc --write`."""
    path = Path(settings.PROJECT_DIR) / "docs" / "documents-forms.md"
    assert path.read_text(encoding="utf-8") == render()
