import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from corpus.models import Document

SEEDS = Path(settings.BASE_DIR) / "corpus" / "fixtures" / "demo"


def run_import(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_documents", *map(str, args), "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_demo_seeds_import_then_report_duplicates(db):
    out, _ = run_import(SEEDS, "--collection", "demo")
    assert "created 3, duplicates skipped 0, failed 0" in out
    out, _ = run_import(SEEDS, "--collection", "demo")
    assert "created 0, duplicates skipped 3, failed 0" in out
    titles = set(Document.objects.values_list("title", flat=True))
    assert "North Korean Soldiers in Russia-Ukraine War" in titles
    assert (
        Document.objects.get(title__startswith="Kim Jong Un really").publisher == "Business Insider"
    )


def test_latin1_file_is_refused_with_named_problem(db, tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\xe9 cr\xe8me\n".encode("latin-1"))
    with pytest.raises(CommandError):
        run_import(path)
    assert not Document.objects.exists()


def test_latin1_error_message_names_file_and_encoding(db, tmp_path, capsys):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"ok line\ncaf\xe9\n")
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_documents", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert f"{path}:2: not UTF-8" in err.getvalue()


def test_jsonl_bad_line_writes_nothing_from_that_file(db, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "A", "text": "Alpha text"}) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"title": "B", "text": "Beta text"})
        + "\n"
        + json.dumps({"title": "C", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_documents", str(good), str(bad), "--no-progress", stdout=StringIO(), stderr=err
        )
    assert f"{bad}:2: text: Text is empty." in err.getvalue()
    assert list(Document.objects.values_list("title", flat=True)) == ["A"]


def test_json_and_csv_with_all_fields(db, tmp_path):
    (tmp_path / "docs.json").write_text(
        json.dumps(
            [
                {
                    "title": "J",
                    "text": "Json 😀 text",
                    "source_url": "https://example.org/j",
                    "publisher": "P",
                    "author": "Ann",
                    "published_at": "2025-07-01",
                    "language": "en",
                    "metadata": {"k": 1},
                }
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "docs.csv").write_text(
        'title,text,publisher,metadata\nC1,"Line one\r\nline two",Pub,"{""a"": 2}"\n',
        encoding="utf-8",
    )
    out, _ = run_import(tmp_path, "--collection", "mixed")
    assert "created 2" in out
    j = Document.objects.get(title="J")
    assert (j.publisher, j.metadata, j.published_at.year) == ("P", {"k": 1}, 2025)
    c = Document.objects.get(title="C1")
    assert c.text == "Line one\nline two" and c.metadata == {"a": 2}


def test_csv_without_text_column_is_refused(db, tmp_path):
    path = tmp_path / "docs.csv"
    path.write_text("title,body\nA,B\n", encoding="utf-8")
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_documents", str(path), "--no-progress", stdout=StringIO(), stderr=err)
    assert "'text' column" in err.getvalue()


def test_missing_path_is_an_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nope.txt")
