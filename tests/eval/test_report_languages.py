"""The report breaks editing success down by instruction language and by held-out vs seen templates, so the
issue's "Spanish and held-out templates within 10 points of English" can be read off one table."""

from __future__ import annotations

from audio_omni.eval.report import by_language, markdown


def _record(op, language, success, held_out=None, progress=0.5):
    record = {"id": f"{op}-{language}", "operation": op, "language": language,
              "scores": {"success": success, "identity_success": False, "edit_progress": progress}}
    if held_out is not None:
        record["held_out"] = held_out
    return record


def test_success_per_language_and_template():
    records = [_record("Remove", "en", True, False), _record("Add", "en", False, False),
               _record("Remove", "es", True, True), _record("Add", "es", True, True),
               _record("T2A", "en", True),  # generation: not an edit
               {"id": "x", "operation": "Remove", "language": "de", "scores": {"success": None}}]  # no verdict
    rows = {name: (n, rate, identity) for name, n, rate, identity, _ in by_language(records)}
    assert rows["en"] == (2, 0.5, 0.0) and rows["es"] == (2, 1.0, 0.0)
    assert rows["held-out templates"] == (2, 1.0, 0.0) and rows["seen templates"] == (2, 0.5, 0.0)
    assert "de" not in rows

    report = {"model": "m", "suite": "s", "items": 6, "seed": 0, "device": "cpu", "records": records,
              "summary": {"operations": {}, "wall_seconds": 1.0, "flagged_classes": []}}
    text = markdown(report)
    assert "| es | 2 | 100% | 0% | 0.50 |" in text and "| held-out templates | 2 | 100%" in text


def test_one_language_and_no_templates_add_no_table():
    report = {"model": "m", "suite": "s", "items": 1, "seed": 0, "device": "cpu",
              "records": [_record("Remove", "en", True)],
              "summary": {"operations": {}, "wall_seconds": 1.0, "flagged_classes": []}}
    assert "by instruction language" not in markdown(report)
