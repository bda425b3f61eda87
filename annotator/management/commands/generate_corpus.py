"""A deterministic synthetic corpus of news-like text with valid annotations, for benchmarks."""

import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from corpus.models import Document, text_sha256
from corpus.services import collection_get_or_create

SUBJECTS = [
    "Officials",
    "The ministry",
    "Analysts",
    "Kim Jong Un",
    "President Zelenskyy",
    "A NATO spokesperson",
    "Seoul’s intelligence agency",
    "Élodie Moreau",
    "José Núñez",
    "Søren Kierkegård",
    "The Kremlin",
    "Witnesses",
    "Local residents",
    "Ukrainian forces",
]
VERBS = [
    "said",
    "claimed",
    "denied",
    "reported",
    "told reporters",
    "warned",
    "insisted",
    "allegedly confirmed",
    "is thought to have admitted",
    "stated",
]
OBJECTS = [
    "that troops crossed the border near Kursk",
    "that the attack was a heroic defence of the homeland",
    "that casualties were far higher than announced",
    "the so-called “peace mission”",
    "that the evil regime would collapse",
    "that reinforcements arrived overnight",
    "reports of mass desertion — calling them lies",
    "that the alliance is unbreakable",
    "an unconfirmed strike on a depot",
    "that 12,000 soldiers were deployed",
]
TAILS = [
    "according to state media.",
    "per a senior official.",
    "though this could not be verified.",
    "sources said.",
    "in a statement on Tuesday.",
    "amid growing speculation.",
    "🇺🇦 supporters cheered.",
    "as the crisis deepened…",
    "citing “credible reports”.",
    "without offering evidence.",
]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, {rng.choice(TAILS)}"


def article(rng: random.Random, length: int, emoji: bool) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        if emoji and rng.random() < 0.3:
            paragraph += " 🔥"
        parts.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(parts)[:length].rstrip() or "Empty."


class Command(BaseCommand):
    help = "Generate a deterministic synthetic corpus with random valid annotations (bulk inserts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--documents", type=int, required=True)
        parser.add_argument("--annotations-per-document", type=int, default=0)
        parser.add_argument("--length", type=int, default=3000, help="Characters per document.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--collection", default="synthetic")
        parser.add_argument("--user", default="generator", help="Author of the annotations.")
        parser.add_argument("--batch", type=int, default=500)

    def handle(
        self,
        *args,
        documents: int,
        annotations_per_document: int,
        length: int,
        seed: int,
        collection: str,
        user: str,
        batch: int,
        **options,
    ) -> None:
        from annotator.models import Annotation, Label

        rng = random.Random(seed)
        target = collection_get_or_create(slug=collection)
        author, _ = get_user_model().objects.get_or_create(username=user)
        labels = list(Label.objects.all())
        started = time.perf_counter()
        made_docs = made_annotations = 0
        for first in range(0, documents, batch):
            count = min(batch, documents - first)
            with transaction.atomic():
                new_docs = []
                for index in range(first, first + count):
                    text = f"Synthetic report {seed}-{index}\n\n" + article(
                        rng, length, emoji=index % 3 == 0
                    )
                    new_docs.append(
                        Document(
                            collection=target,
                            title=f"Synthetic report {seed}-{index}",
                            text=text,
                            sha256=text_sha256(text),
                            language="en",
                            metadata={"synthetic": True, "seed": seed},
                        )
                    )
                created = Document.objects.bulk_create(new_docs, ignore_conflicts=True)
                if any(doc.pk is None for doc in created):
                    created = list(
                        Document.objects.filter(
                            collection=target, sha256__in=[d.sha256 for d in new_docs]
                        )
                    )
                spans = []
                for doc in created:
                    for _ in range(annotations_per_document):
                        start = rng.randrange(0, len(doc.text) - 1)
                        end = min(len(doc.text), start + rng.randint(1, 120))
                        spans.append(
                            Annotation(
                                document=doc,
                                start=start,
                                end=end,
                                quote=doc.text[start:end],
                                label=rng.choice(labels),
                                created_by=author,
                            )
                        )
                Annotation.objects.bulk_create(spans, batch_size=5000)
            made_docs += len(created)
            made_annotations += len(spans)
            self.stderr.write(f"\r{made_docs}/{documents} documents", ending="")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"\ngenerated {made_docs} documents and {made_annotations} annotations "
            f"in collection {target.slug} in {elapsed:.1f}s"
        )
