"""A small generated archive in the gold format ({title, text, spans}) for training tests.

Each document mixes plain sentences with phrases of a made-up label `slogan`: a short
chant inside a longer sentence ("... chanting total victory now at the rally"), so a model
that learns spans must find their start and end inside the sentence.
"""

from __future__ import annotations

import json
import random

PLAIN = [
    "The council met on {day} to discuss the budget for {town}.",
    "Traffic on the main road was light in the morning.",
    "A new bakery opened near the station in {town}.",
    "The weather in {town} stayed mild for most of the week.",
    "Officials counted {n} visitors at the museum.",
]
SLOGANS = ["total victory now", "our land forever", "never surrender again", "glory to the cause"]
CARRIERS = [
    "Crowds in {town} kept chanting {slogan} at the rally on {day}.",
    "Posters reading {slogan} covered the walls of {town}.",
    "The speaker ended with {slogan} before leaving {town}.",
]
TOWNS = ["Springfield", "Riverton", "Lakeside", "Hillview", "Oakdale"]
DAYS = ["Monday", "Tuesday", "Friday", "Sunday"]


def archive(count: int, seed: int = 7, label: str = "slogan") -> list[dict]:
    rng = random.Random(seed)
    records = []
    for index in range(count):
        text, spans = f"Local news {index}\n\n", []
        for _ in range(4):
            fill = {"town": rng.choice(TOWNS), "day": rng.choice(DAYS), "n": rng.randint(9, 999)}
            if rng.random() < 0.5:
                slogan = rng.choice(SLOGANS)
                sentence = rng.choice(CARRIERS).format(slogan=slogan, **fill)
                start = len(text) + sentence.index(slogan)
                spans.append({"start": start, "end": start + len(slogan), "label": label})
            else:
                sentence = rng.choice(PLAIN).format(**fill)
            text += sentence + " " + rng.choice(PLAIN).format(**fill) + "\n\n"
        records.append(
            {"id": f"news-{index}", "title": f"Local news {index}", "text": text, "spans": spans}
        )
    return records


def jsonl(records: list[dict]) -> list[str]:
    return [json.dumps(record) + "\n" for record in records]
