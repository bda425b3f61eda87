"""SVG chart geometry for the review dashboards (no JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence

# Charts: server-side SVG geometry, drawn by templates with presentation attributes only.


def bar_chart(items: Sequence[tuple[str, float, str]], *, width: int = 420) -> dict:
    """Horizontal bars: (name, value, colour) -> rows with x/y/width for an <svg>."""
    label_w, row_h, value_w = 130, 24, 60
    top = max((value for _, value, _ in items), default=0) or 1
    span = width - label_w - value_w
    rows = [
        {
            "name": name,
            "value": value,
            "colour": colour,
            "y": i * row_h,
            "text_y": i * row_h + 16,
            "width": round(span * value / top, 1),
            "value_x": label_w + round(span * value / top, 1) + 6,
        }
        for i, (name, value, colour) in enumerate(items)
    ]
    return {"rows": rows, "width": width, "height": max(1, len(rows)) * row_h, "bar_x": label_w}


def column_chart(items: Sequence[tuple[str, int]], *, height: int = 140) -> dict:
    """Vertical columns (one per day): (name, value) -> columns with x/y/height."""
    col_w, gap, base = 26, 6, 20
    top = max((value for _, value in items), default=0) or 1
    area = height - base - 16
    columns = []
    for i, (name, value) in enumerate(items):
        h = round(area * value / top, 1)
        x = i * (col_w + gap)
        y = height - base - h
        columns.append(
            {
                "name": name,
                "value": value,
                "x": x,
                "y": y,
                "height": h,
                "mid": x + col_w / 2,
                "value_y": y - 3,
            }
        )
    return {
        "columns": columns,
        "width": max(1, len(items)) * (col_w + gap),
        "height": height,
        "col_w": col_w,
        "label_y": height - 5,
    }


def label_chart(rows: list[dict]) -> dict:
    return bar_chart([(row["label"].name, row["value"], row["label"].colour) for row in rows])


def throughput_chart(rows: list[dict]) -> dict:
    return column_chart([(row["day"].strftime("%d"), row["value"]) for row in rows])


def acceptance_chart(rows: list[dict], colours: dict[str, str]) -> dict:
    return bar_chart(
        [
            (
                f"{row['suggester']} · {row['label__slug']}",
                round(100 * row["precision"]),
                colours.get(row["label__slug"], "#59636e"),
            )
            for row in rows
        ]
    )
