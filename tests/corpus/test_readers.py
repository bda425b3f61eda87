"""Streaming readers name the line (or record) of what they cannot read."""

import io

import pytest

from corpus.readers import RecordError, csv_records, json_records, jsonl_records


def read(reader, text: str | bytes) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(reader(io.BytesIO(data)))


def test_jsonl_yields_line_numbers_and_skips_blank_lines():
    records = read(jsonl_records, '\ufeff{"text": "a"}\n\n{"text": "b"}\n')
    assert records == [(1, {"text": "a"}), (3, {"text": "b"})]


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('{"text": "a"}\n{"text": \n', 2, "invalid JSON"),
        ('{"text": "a"}\n[1, 2]\n', 2, "JSON object"),
        (b'{"text": "a"}\n{"text": "caf\xe9"}\n', 2, "not UTF-8"),
    ],
)
def test_jsonl_errors_name_the_line(body, line, words):
    with pytest.raises(RecordError) as caught:
        read(jsonl_records, body)
    assert caught.value.position == line and words in caught.value.message


def test_csv_records_start_lines_count_quoted_newlines():
    body = 'title,text,metadata\nA,"two\nlines",\nB,one,"{""k"": 1}"\n'
    assert read(csv_records, body) == [
        (2, {"title": "A", "text": "two\nlines"}),
        (4, {"title": "B", "text": "one", "metadata": {"k": 1}}),
    ]


def test_csv_errors_name_the_line():
    with pytest.raises(RecordError) as caught:
        read(csv_records, "title,text\nA,x\nB,y,extra\n")
    assert caught.value.position == 3
    with pytest.raises(RecordError) as caught:
        read(csv_records, "title,body\nA,x\n")
    assert "'text' column" in caught.value.message


def test_json_list_is_read_item_by_item_with_record_numbers():
    body = '[{"text": "a", "metadata": {"score": 0.5}}, {"text": "b"}]'
    assert read(json_records, body) == [
        (1, {"text": "a", "metadata": {"score": 0.5}}),
        (2, {"text": "b"}),
    ]
    assert read(json_records, '{"text": "only"}') == [(1, {"text": "only"})]


@pytest.mark.parametrize(
    ("body", "position"), [('[{"text": "a"}, 3]', 2), ('[{"text": "a"}, {"text": ', 2)]
)
def test_json_errors_name_the_record(body, position):
    with pytest.raises(RecordError) as caught:
        read(json_records, body)
    assert caught.value.position == position


def test_json_of_another_shape_is_refused():
    with pytest.raises(RecordError):
        read(json_records, '"text"')
