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


IDLE_CODE = """
import sys
from annotator.celery import app
app.loader.import_default_modules()  # django.setup() and the task modules, as a worker starts
with app.connection_for_read() as conn:
    conn.default_channel._size("default")  # the embedded broker, opened and read
print(" ".join(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def test_an_idle_worker_leaves_heavy_libraries_unloaded(tmp_path):
    """What only some tasks or commands use is imported by them: SQLAlchemy (the embedded
    broker is stdlib sqlite3), celery's command line (click-repl, prompt_toolkit), the HTTP
    and WARC libraries, fuzzy matching, the progress bar, the schema generator, the learned
    model's libraries (README: idle memory of the run command)."""
    heavy = "sqlalchemy click_repl prompt_toolkit requests warcio rapidfuzz diff_match_patch"
    heavy += " tqdm drf_spectacular.openapi numpy pycrfsuite trafilatura lxml"
    env = {**os.environ, "DATA_DIR": str(tmp_path), "CELERY_SKIP_CHECKS": "1"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", IDLE_CODE, *heavy.split()],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [], result.stdout


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()  # noqa: SIM115
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _rss_kb(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):  # noqa: SIM115
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_run_command_serves_with_a_worker_and_stops_cleanly(tmp_path):
    """`manage.py serve` on the embedded defaults (SQLite, SQLite broker): the web server
    answers, a worker runs beside it and is restarted when killed, the supervising process
    holds no Django, SIGTERM stops all."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATA_DIR": str(tmp_path), "SUGGEST_ON_IMPORT": "0"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                    assert page.status == 200 and b"csrfmiddlewaretoken" in page.read()
                    break
            except OSError:
                assert serve.poll() is None, "serve exited"
                assert time.monotonic() < deadline, "the web server did not answer"
                time.sleep(0.5)
        assert "supervise.py" in open(f"/proc/{serve.pid}/cmdline").read()  # noqa: SIM115
        assert _rss_kb(serve.pid) < 40_000
        children = _children(serve.pid)
        commands = [open(f"/proc/{pid}/cmdline").read() for pid in children]  # noqa: SIM115
        assert len(children) == 2, commands
        assert any("annotator.worker" in c for c in commands), commands
        assert any("runserver" in c for c in commands), commands
        # The worker connects to the embedded SQLite broker, which creates its file.
        deadline = time.monotonic() + 60
        while not (tmp_path / "broker.sqlite3").exists():
            assert time.monotonic() < deadline, "the worker did not open the SQLite broker"
            time.sleep(0.2)
        # A killed worker is started again; the web server keeps answering meanwhile.
        worker = next(p for p, c in zip(children, commands, strict=True) if "annotator.worker" in c)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                assert page.status == 200
            children = _children(serve.pid)
            if len(children) == 2 and worker not in children:
                break
            assert time.monotonic() < deadline, "the worker was not restarted"
            time.sleep(0.2)
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0
        assert not any(os.path.exists(f"/proc/{pid}/cmdline") for pid in children)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)


def test_run_command_console_starts_with_the_useful_lines_only(tmp_path):
    """No kombu "No hostname was supplied" (brokers without a host), no Celery banner or
    root-user warning: the console shows the addresses, then what goes wrong."""
    import signal
    import socket
    import sqlite3
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATA_DIR": str(tmp_path), "SUGGEST_ON_IMPORT": "1"}
    env["CELERY_BROKER_URL"] = "filesystem://"  # no hostname in the URL
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    log = tmp_path / "console.txt"
    with open(log, "wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # The demo's suggestion runs are queued by the web side and stored by the worker.
        deadline = time.monotonic() + 120
        stored = 0
        while not stored:
            assert serve.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
            try:
                with sqlite3.connect(tmp_path / "db.sqlite3") as db:
                    sql = "SELECT count(*) FROM annotator_suggestion"
                    stored = db.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                continue
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    console = log.read_text()
    assert "Reviewer UI: http://127.0.0.1:" in console
    assert "No hostname was supplied" not in console
    assert "superuser privileges" not in console
    assert "celery@" not in console  # the worker's banner
