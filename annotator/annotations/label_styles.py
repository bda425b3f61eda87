"""The labels' stylesheet, generated from the Label rows: no label is named in CSS or JS.

Each label's class `l-<slug>` sets custom properties (colour, a light background, the text
colour readable on it); static/annotator/app.css uses only those properties. Pages link it
as /labels.css?v=<hash of the stylesheet> (`label_css_url`, a context processor): that URL
changes whenever a label does, so it is cached for a year; without (or with an old) `v` it
is served with an ETag and revalidated.
"""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from annotator.models import Label

SAFE_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
FALLBACK = "#59636E"
DARK, LIGHT = "#1B1B1B", "#FFFFFF"


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour if HEX.match(colour or "") else FALLBACK
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour_on(colour: str) -> str:
    """Dark or white text, whichever has the higher WCAG contrast on `colour`."""
    lum = _luminance(_rgb(colour))
    dark = (lum + 0.05) / (_luminance(_rgb(DARK)) + 0.05)
    light = 1.05 / (lum + 0.05)
    return DARK if dark >= light else LIGHT


def label_css(labels: list[Label]) -> str:
    rules = []
    for label in labels:
        if not SAFE_SLUG.match(label.slug):
            continue
        r, g, b = _rgb(label.colour)
        # The outline of a suggestion is drawn in --sug: the colour, darkened when light.
        dim = 0.7 if text_colour_on(label.colour) == DARK else 1
        sug = f"rgb({round(r * dim)}, {round(g * dim)}, {round(b * dim)})"
        rules.append(
            f".l-{label.slug} {{ --c: rgb({r}, {g}, {b}); --bg: rgba({r}, {g}, {b}, .22); "
            f"--on: {text_colour_on(label.colour)}; --sug: {sug}; }}\n"
            f'.docpage[data-filter="{label.slug}"] .ann-row:not(.l-{label.slug}) '
            "{ display: none; }\n"
            # A span tagged but not saved yet (the page's pending highlight, no element).
            f"::highlight(pending-{label.slug}) {{ background-color: rgba({r}, {g}, {b}, .22); "
            f"text-decoration: underline 3px dashed rgb({r}, {g}, {b}); }}\n"
        )
    return "/* Generated from the labels (annotator/annotations/label_styles.py). */\n" + "".join(
        rules
    )


YEAR = 365 * 24 * 3600


def _version(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:16]


def label_css_version(labels: list[Label] | None = None) -> str:
    """The current stylesheet's version: a hash of it (one query on the small label table,
    none when the view already read the labels)."""
    return _version(label_css(list(Label.objects.all()) if labels is None else labels))


def label_css_context(request: HttpRequest) -> dict:
    """`label_css_url` for base.html: versioned, read only when a page links it (after the
    view, so the document page's own read of the labels, `request.label_rows`, is reused)."""
    return {
        "label_css_url": SimpleLazyObject(
            lambda: (
                f"{reverse('annotator-label-css')}"
                f"?v={label_css_version(getattr(request, 'label_rows', None))}"
            )
        )
    }


@login_required
@require_GET
def label_stylesheet(request: HttpRequest) -> HttpResponse:
    css = label_css(list(Label.objects.all()))
    version = _version(css)
    etag = f'"{version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    if request.GET.get("v") == version:
        # This URL names this stylesheet: a label change makes pages link a new one.
        response["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    else:
        response["Cache-Control"] = "private, no-cache"
    return response
