"""The OpenAPI schema is valid, the docs work under the CSP, and a bounded fuzz finds no 500s."""

import re
from collections import Counter

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

from tests.factories import AnnotationFactory, SuggestionFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = {"lead": 12, "reviewer": 8}

# The import endpoint takes JSONL text.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


def test_schema_is_valid_openapi_and_covers_the_api():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    paths = set(schema["paths"])
    for path in [
        "/api/collections/",
        "/api/labels/{slug}/",
        "/api/documents/",
        "/api/documents/{id}/suggest/",
        "/api/annotations/{id}/",
        "/api/suggestions/{id}/accept/",
        "/api/suggestions/{id}/reject/",
        "/api/suggestion-runs/{id}/",
        "/api/export/annotations/",
        "/api/import/annotations/",
    ]:
        assert path in paths, path
    create = schema["paths"]["/api/annotations/"]["post"]["requestBody"]["content"]
    fields = schema["components"]["schemas"]["AnnotationInput"]["properties"]
    assert "application/json" in create
    assert {"document", "start", "end", "label", "note", "evidence_url", "quote"} <= set(fields)


def test_schema_endpoint_serves_it(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Claim annotator API"


def test_swagger_docs_page_has_no_inline_script_or_style(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), (
        "inline <script> under a strict CSP"
    )
    assert "<style" not in html and "style=" not in html
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    init = client.get(script)
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert len(assets) == 4  # favicon, css, bundle, preset: all vendored, no CDN
    for asset in assets:
        assert finders.find(asset), asset


@pytest.fixture
def wsgi_app():
    """The real WSGI app, sharing the test's database transaction (as Django's test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["lead", "reviewer"])
def test_fuzz_api_finds_no_server_errors(wsgi_app, lead, reviewer, document, role):
    """Bounded schemathesis run over every operation, valid and invalid inputs, as a lead and
    as a reviewer (whose writes meet the permission and blind-review rules): no 5xx."""
    AnnotationFactory(document=document, created_by=reviewer)
    SuggestionFactory(document=document)
    token = Token.objects.create(user={"lead": lead, "reviewer": reviewer}[role]).key
    headers = {"Authorization": f"Token {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in {"/api/schema/"}:
            continue
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=EXAMPLES_PER_OPERATION[role],
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                cache.clear()  # no throttling in the middle of a fuzz run
                response = case.call(headers=headers)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                        f"{response.status_code} {response.text[:300]}"
                    )

            try:
                run()
            except Unsatisfiable:
                # Nothing to break in this mode (e.g. no parameters to make invalid).
                assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
    assert operations >= 18
    assert failures == []
    # The run reached the views: successes and field errors, not only 401s and 404s; a
    # reviewer also meets the lead-only refusals.
    assert statuses[200] > 20 and statuses[400] > 20, statuses
    assert statuses[201] > 0 if role == "lead" else statuses[403] > 0, statuses
