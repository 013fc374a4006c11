from pathlib import Path

from django.conf import settings

from fangtiao.cases.docs import render


def test_state_machine_doc_matches_the_code():
    """docs/state-machine.md is the transition table; regenerate with `fangtiao workflow-doc --write`."""
    path = Path(settings.PROJECT_DIR) / "docs" / "state-machine.md"
    assert path.read_text(encoding="utf-8") == render()
