"""import_documents streams files in committed batches: an error keeps the batches before it,
and running the same command again skips what was imported."""

import json

import pytest
from django.core.management import CommandError, call_command

from corpus.models import Document

pytestmark = pytest.mark.django_db


def write_jsonl(path, texts):
    path.write_text("".join(json.dumps({"title": t[:10], "text": t}) + "\n" for t in texts))


def test_an_interrupted_import_resumes_where_it_stopped(tmp_path, capsys):
    texts = [f"Article number {i} about the port." for i in range(30)]
    broken = [*texts[:24], "   ", *texts[25:]]
    path = tmp_path / "wire.jsonl"
    write_jsonl(path, broken)
    args = [str(path), "--collection", "wire", "--batch-size", "10", "--no-progress"]
    with pytest.raises(CommandError):
        call_command("import_documents", *args)
    err = capsys.readouterr()
    assert f"{path}:25: text: Text is empty." in err.err
    assert "created 20," in err.out
    assert Document.objects.filter(collection__slug="wire").count() == 20

    write_jsonl(path, texts)
    call_command("import_documents", *args)
    assert "created 10, duplicates skipped 20" in capsys.readouterr().out
    assert Document.objects.filter(collection__slug="wire").count() == 30


def test_batches_of_one_and_batch_size_check(tmp_path, capsys):
    path = tmp_path / "wire.csv"
    path.write_text("title,text\nA,First text.\nB,Second text.\n")
    call_command("import_documents", str(path), "--collection", "wire", "--batch-size", "1")
    captured = capsys.readouterr()
    assert "created 2," in captured.out
    with pytest.raises(CommandError, match="batch-size"):
        call_command("import_documents", str(path), "--batch-size", "0")
