"""RequestBody (``wsgi.input`` under stackapi-server) over a scripted connection: reads never
pass the body's end, and a body's error reaches every later read."""

import time

import pytest

from stackapi.server.body import BodyMalformed, BodyState, RequestBody


def body_of(pieces: list[bytes], error=None, length: int | None = None) -> RequestBody:
    """A body whose connection delivers ``pieces`` one pull at a time, then ends (or fails)."""
    state = BodyState(length=length, chunked=length is None)
    queue = list(pieces)

    def pull() -> None:
        if queue:
            state.add(queue.pop(0))
        elif error is not None:
            state.error = error
            raise error
        if not queue and error is None:
            state.complete = True

    return RequestBody(state, pull)


def test_read_all_and_sizes():
    assert body_of([b"ab", b"cd", b"ef"]).read() == b"abcdef"
    assert body_of([b"ab", b"cd"]).read(-1) == b"abcd"
    assert body_of([b"ab", b"cd"]).read(None) == b"abcd"
    body = body_of([b"abcdef"])
    assert (body.read(2), body.read(0), body.read(3), body.read(10), body.read(5)) == (
        b"ab",
        b"",
        b"cde",
        b"f",
        b"",
    )


def test_a_short_read_returns_what_arrived():
    body = body_of([b"ab", b"cd"])
    assert body.read(100) == b"ab"  # as a socket file does: at least something, not all
    assert body.read(100) == b"cd"
    assert body.read(100) == b""


def test_readline_and_iteration():
    body = body_of([b"one\ntw", b"o\nthree"])
    assert body.readline() == b"one\n"
    assert body.readline(2) == b"tw"
    assert list(body) == [b"o\n", b"three"]
    assert body_of([b"a\nb\nc"]).readlines() == [b"a\n", b"b\n", b"c"]
    assert body_of([b"a\nb\nc\n"]).readlines(3) == [b"a\n", b"b\n"]  # as io.BytesIO


def test_an_empty_body():
    state = BodyState(length=0, chunked=False)
    body = RequestBody(state, lambda: pytest.fail("an empty body never pulls"))
    assert (body.read(), body.readline(), list(body)) == (b"", b"", [])


def test_an_error_after_data_is_raised_once_the_data_is_read():
    error = BodyMalformed(explanation="The chunked request body ended early.")
    body = body_of([b"abc"], error=error)
    assert body.read(3) == b"abc"
    with pytest.raises(BodyMalformed):
        body.read()
    with pytest.raises(BodyMalformed):  # and again: the body stays broken
        body.read(1)


def test_reading_everything_raises_a_broken_bodys_error():
    error = BodyMalformed(explanation="broken")
    with pytest.raises(BodyMalformed) as info:
        body_of([b"abc", b"def"], error=error).read()
    assert info.value is error
    assert info.value.code == 400


def test_readline_limits_across_pieces():
    assert body_of([b"abc", b"def\n", b"g"]).readline(4) == b"abcd"
    assert body_of([b"abc", b"def\n", b"g"]).readline(6) == b"abcdef"
    assert body_of([b"abc", b"def\n", b"g"]).readline(7) == b"abcdef\n"
    assert body_of([b"abc", b"de", b"f"]).readline(100) == b"abcdef"
    body = body_of([b"a", b"b", b"\nc", b"d"])
    assert (body.readline(), body.readline()) == (b"ab\n", b"cd")


def test_readline_over_many_tiny_pieces_is_linear():
    # A chunked body of 1-byte chunks arrives as one piece per chunk, at wire speed; a
    # readline that joined every piece again after each pull took 79 s for 64 KiB,
    # the whole process stalled (no other green thread runs meanwhile).
    count = 32768
    state = BodyState(length=None, chunked=True)
    pieces = iter([b"x"] * (count - 1) + [b"\n"])

    def pull() -> None:
        piece = next(pieces, None)
        if piece is None:
            state.complete = True
        else:
            state.add(piece)

    start = time.monotonic()
    line = RequestBody(state, pull).readline(65536)
    assert line == b"x" * (count - 1) + b"\n"
    assert time.monotonic() - start < 3.0  # linear: well under 0.1 s; quadratic: ~20 s
