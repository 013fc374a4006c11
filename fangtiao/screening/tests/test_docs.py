from pathlib import Path

from django.conf import settings

from fangtiao.screening.docs import render


def test_warnings_doc_is_generated_from_the_rule_table():
    """docs/warnings.md is the rule table; regenerate with `fangtiao workflow-doc --write`."""
    path = Path(settings.PROJECT_DIR) / "docs" / "warnings.md"
    assert path.read_text(encoding="utf-8") == render()
