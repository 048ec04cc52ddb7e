"""stackapi.request_body: strict chunks, the published limit, never past the body, discard.

RequestBody subclasses eventlet's Input, and the test process must not import
eventlet (its fork hook would warn in every later test that forks): the ``case_*``
functions below run together in one subprocess, each test checks one outcome.
"""

from __future__ import annotations

import json

import pytest

from conftest import HERE, run_python

MALFORMED = [
    b"0x5\r\nhello\r\n0\r\n\r\n",
    b"-5\r\nhello\r\n0\r\n\r\n",
    b" 5\r\nhello\r\n0\r\n\r\n",
    b"1" + b"0" * 16 + b"\r\nhello",
    b"3\r\nhello\r\n0\r\n\r\n",  # shorter than its data
    b"5\r\nhello\r\n0\r\n" + b"X: 1\r\n" * 102 + b"\r\n",  # too many trailers
]
TRUNCATED = [b"", b"5\r\nhel", b"5\r\nhello", b"5\r\nhello\r\n", b"5\r\nhello\r\n0\r\nX: 1"]


# --- run in the subprocess ---------------------------------------------------------------
def body(data: bytes, limit: int | None = None, length: int | None = None):
    """A RequestBody over ``data`` (chunked unless ``length``), and the errors it reported."""
    import io

    import eventlet.wsgi

    from stackapi.faults import BODY_LIMIT_KEY
    from stackapi.request_body import RequestBody

    errors: list[str] = []
    original = eventlet.wsgi.Input(io.BytesIO(data), length, None, chunked_input=length is None)
    environ = {} if limit is None else {BODY_LIMIT_KEY: limit}

    def on_error(exc, gone):
        errors.append(exc.code if exc is not None else None)

    return RequestBody(original, environ, on_error, 100), errors


def attempt(call, *args) -> object:
    """What ``call`` returns (bytes as text), or ``[status, message]`` of the fault it raises."""
    import webob.exc

    try:
        result = call(*args)
    except webob.exc.HTTPException as exc:
        return [exc.code, exc.explanation]
    if isinstance(result, list):
        return [r.decode("latin-1") for r in result]
    return result.decode("latin-1")


def case_chunks_extensions_and_trailers():
    reader, errors = body(b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT")
    return [attempt(reader.read), reader.complete, attempt(reader.read), errors]


def case_sizes_and_lines_across_chunks():
    reader, _ = body(b"4\r\nab\nc\r\n3\r\nde\n\r\n0\r\n\r\n")
    return [attempt(reader.read, 1), attempt(reader.readline), attempt(reader.readlines)]


def case_malformed():
    outcomes = []
    for data in MALFORMED:
        reader, errors = body(data)
        outcomes.append([attempt(reader.read)[0], attempt(reader.read)[0], errors])
    return outcomes


def case_truncated():
    return [attempt(body(data)[0].read) for data in TRUNCATED]


def case_chunk_over_the_limit():
    reader, errors = body(b"10\r\n", limit=15)  # the data never comes
    return [attempt(reader.read, 1), errors]


def case_chunks_adding_up_over_the_limit():
    reader, _ = body(b"8\r\n12345678\r\n8\r\n", limit=15)
    return [attempt(reader.read, 8), attempt(reader.read)[0]]


def case_never_past_a_length_body():
    reader, _ = body(b"helloNEXT REQUEST", length=5)
    return [attempt(reader.read, -1), attempt(reader.readlines), reader.complete]


def case_length_body_ending_early():
    reader, errors = body(b"hel", length=5)
    return [attempt(reader.read, 5), attempt(reader.read, 5), errors]


def case_discard():
    small, small_errors = body(b"x" * 100, length=100)
    small.discard()
    large, large_errors = body(b"x" * 10, length=10**9)
    large.discard()
    return [small.complete, small_errors, large.complete, large_errors]


def run_cases() -> None:
    print(
        json.dumps(
            {name[5:]: f() for name, f in list(globals().items()) if name.startswith("case_")}
        )
    )


# --- checked here ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outcome():
    code = (
        f"import sys; sys.path[:0] = [{str(HERE)!r}]; import test_request_body as t; t.run_cases()"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_chunks_extensions_and_trailers_are_read(outcome):
    assert outcome["chunks_extensions_and_trailers"] == ["hello world", True, "", []]


def test_reads_and_readlines_cross_chunks(outcome):
    assert outcome["sizes_and_lines_across_chunks"] == ["a", "b\n", ["cde\n"]]


def test_malformed_chunks_are_400_reported_once_and_stay_refused(outcome):
    assert outcome["malformed"] == [[400, 400, [400]]] * len(MALFORMED)


def test_a_chunked_body_that_ends_early_is_400(outcome):
    assert outcome["truncated"] == [[400, "The chunked request body ended early."]] * len(
        TRUNCATED
    )


def test_a_chunk_over_the_published_limit_is_413_before_its_data(outcome):
    too_large = [413, "Request body is larger than the limit of 15 bytes."]
    assert outcome["chunk_over_the_limit"] == [too_large, [413]]


def test_chunks_adding_up_over_the_limit_are_413(outcome):
    assert outcome["chunks_adding_up_over_the_limit"] == ["12345678", 413]


def test_a_length_body_is_never_read_past_its_end(outcome):
    # eventlet's own Input hands read(-1) and readlines() to the socket file: past the body.
    assert outcome["never_past_a_length_body"] == ["hello", [], True]


def test_a_length_body_that_ends_early_is_400(outcome):
    ended = [400, "The request body ended after 3 of 5 bytes."]
    assert outcome["length_body_ending_early"] == ["hel", ended, [400]]


def test_discard_drains_a_small_rest_and_gives_up_on_a_large_one(outcome):
    assert outcome["discard"] == [True, [], False, [400]]
