import os
import subprocess
import sys
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotator.models import Annotation
from corpus.models import Document


def test_demo_setup_is_idempotent_and_creates_roles(db):
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_setup", stdout=StringIO())
    assert Document.objects.filter(collection__slug="demo").count() == 3
    reviewer = get_user_model().objects.get(username="reviewer")
    assert list(reviewer.groups.values_list("name", flat=True)) == ["reviewer"]
    assert get_user_model().objects.get(username="admin").is_superuser


def test_generate_corpus_is_deterministic_and_valid(db):
    call_command(
        "generate_corpus",
        "--documents",
        "6",
        "--annotations-per-document",
        "5",
        "--length",
        "800",
        "--seed",
        "7",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    first = list(Annotation.objects.values_list("start", "end", "quote"))
    texts = list(Document.objects.values_list("text", flat=True))
    assert len(first) == 30
    assert any("🔥" in t or "🇺🇦" in t for t in texts)
    for annotation in Annotation.objects.select_related("document"):
        assert annotation.document.text[annotation.start : annotation.end] == annotation.quote
    Annotation.objects.all().delete()
    Document.objects.all().delete()
    call_command(
        "generate_corpus",
        "--documents",
        "6",
        "--annotations-per-document",
        "5",
        "--length",
        "800",
        "--seed",
        "7",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert list(Annotation.objects.values_list("start", "end", "quote")) == first


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60 + "-production-key-for-check",
        "ALLOWED_HOSTS": "claims.example.org",
        "DATA_DIR": str(tmp_path),
    }
    # Browser tests set this for Playwright in the test process; production never has it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "DATA_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_demo_setup_queues_suggestions_for_demo_documents_never_suggested(db, settings):
    from annotator.models import SuggestionRun

    settings.SUGGEST_ON_IMPORT = False
    call_command("demo_setup", stdout=StringIO())
    assert not SuggestionRun.objects.exists()
    settings.SUGGEST_ON_IMPORT = True
    call_command("demo_setup", stdout=StringIO())
    assert SuggestionRun.objects.count() == 3
    call_command("demo_setup", stdout=StringIO())
    assert SuggestionRun.objects.count() == 3


def test_web_process_collects_young_objects_less_often(tmp_path):
    code = "import gc, annotator.wsgi; print(gc.get_threshold()[0], gc.get_freeze_count() > 0)"
    env = {**os.environ, "DATA_DIR": str(tmp_path), "GC_GEN0_THRESHOLD": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["12345", "True"], result.stderr
