"""The compiled hello reader (tlslens.tls._fasthello) returns what the Python parser
returns, or gives up.

Every ClientHello and ServerHello body of the repository's fixtures and of the shared
corpus (when present) is read both ways, with and without decoding extension fields:
where the compiled reader returns a value, it must equal the Python parser's value and
the Python parser must have found no problem. Then the same for bodies with flipped,
cut, added and length-changed bytes, and for hostile shapes. Skipped when the extension
is not built (the Python parser then reads every hello).
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest

from tests.corpus.truth_compare import corpus_captures
from tlslens.pipeline import Options, analyze
from tlslens.tls import handshake
from tlslens.tls import messages as m
from tlslens.tls.handshake import HANDSHAKE_PARSERS, ParseContext
from tlslens.tls.reader import DecodeError, Reader

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FAST = handshake._FAST

pytestmark = pytest.mark.skipif(FAST is None, reason="tlslens.tls._fasthello is not built")

Body = tuple[int, bytes, int]  # (message type, body, record version)


@functools.cache
def _bodies() -> tuple[Body, ...]:
    """Every hello body the pipeline parses in the fixtures and the corpus (each once)."""
    seen: dict[Body, None] = {}
    real = dict(HANDSHAKE_PARSERS)

    def recording(msg_type: int):  # type: ignore[no-untyped-def]
        def parse(r: Reader, ctx: ParseContext) -> object:
            seen[(msg_type, bytes(r._buf[r.pos:r.end]), ctx.record_version)] = None
            return real[msg_type](r, ctx)
        return parse

    mp = pytest.MonkeyPatch()
    mp.setattr(handshake, "_FAST", None)
    mp.setitem(HANDSHAKE_PARSERS, m.CLIENT_HELLO, recording(m.CLIENT_HELLO))
    mp.setitem(HANDSHAKE_PARSERS, m.SERVER_HELLO, recording(m.SERVER_HELLO))
    try:
        for path in [*sorted(FIXTURES.rglob("*.pcap*")), *corpus_captures()]:
            analyze(str(path), Options(hellos_only=True))
    finally:
        mp.undo()
    return tuple(seen)


def _python(msg_type: int, body: bytes, rv: int, decode: bool
            ) -> tuple[object, list[tuple[str, str]]]:
    ctx = ParseContext(record_version=rv, decode_extensions=decode)
    try:
        value = real_parser(msg_type)(Reader(body), ctx)
    except DecodeError:
        value = None
    return value, ctx.problems


def real_parser(msg_type: int):  # type: ignore[no-untyped-def]
    return handshake.parse_client_hello if msg_type == m.CLIENT_HELLO \
        else handshake.parse_server_hello


def _compiled(msg_type: int, body: bytes, rv: int, decode: bool) -> object:
    assert FAST is not None
    read = FAST.client_hello if msg_type == m.CLIENT_HELLO else FAST.server_hello
    return read(body, rv, decode)


def assert_agrees(msg_type: int, body: bytes, rv: int) -> bool:
    """Both ways agree on this body (both decode modes); True when C read it."""
    took = False
    for decode in (False, True):
        fast = _compiled(msg_type, body, rv, decode)
        if fast is None:
            continue
        took = True
        value, problems = _python(msg_type, body, rv, decode)
        assert problems == [], (body.hex(), problems)
        assert type(fast) is type(value)
        assert fast == value, body.hex()
    return took


def test_the_hellos_of_the_fixtures_and_the_corpus_read_the_same() -> None:
    bodies = _bodies()
    taken = sum(assert_agrees(*b) for b in bodies)
    clean = sum(_python(t, body, rv, True)[1] == [] and _python(t, body, rv, True)[0]
                is not None for t, body, rv in bodies)
    kinds = {t for t, _, _ in bodies}
    assert kinds == {m.CLIENT_HELLO, m.SERVER_HELLO}
    # The clean case is the common case: C must take nearly every clean hello (it leaves
    # only the draft-era layouts and views the Python parser reads specially).
    assert taken >= 0.9 * clean, (taken, clean, len(bodies))


def test_the_pipeline_gives_the_same_report_with_and_without_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tlslens.report.json_report import encode, result_to_dict

    captures = sorted(FIXTURES.rglob("*.pcap*"))
    with_c = [encode(result_to_dict(analyze(str(p)))) for p in captures]
    monkeypatch.setattr(handshake, "_FAST", None)
    without = [encode(result_to_dict(analyze(str(p)))) for p in captures]
    assert with_c == without


def _mutations(body: bytes, rng: random.Random) -> list[bytes]:
    out = []
    for _ in range(6):
        b = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        out.append(bytes(b))
    cut = rng.randrange(len(body))
    out += [body[:cut], body + bytes([rng.randrange(256)]), body[:-1]]
    # A length byte at a random place made one larger or smaller.
    i = rng.randrange(len(body))
    out.append(body[:i] + bytes([(body[i] + rng.choice((1, 255))) % 256]) + body[i + 1:])
    return out


def test_changed_bytes_read_the_same_or_go_to_python() -> None:
    rng = random.Random(1729)
    bodies = [b for b in _bodies() if b[1]]
    sample = rng.sample(bodies, min(len(bodies), 400))
    taken = 0
    for msg_type, body, rv in sample:
        for changed in _mutations(body, rng):
            taken += assert_agrees(msg_type, changed, rv)
    assert taken > 0  # flipped bytes inside random, suites, names still read in C


def _client_hello(extensions: bytes, suites: bytes = b"\x13\x01") -> bytes:
    return (b"\x03\x03" + bytes(32) + b"\x00" + len(suites).to_bytes(2, "big") + suites
            + b"\x01\x00" + len(extensions).to_bytes(2, "big") + extensions)


def _ext(code: int, body: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


@pytest.mark.parametrize("body", [
    _client_hello(_ext(0, b"")),                          # SNI view does not parse
    _client_hello(_ext(0, b"\x00\x05\x00\x00\x02ab")),    # cut host name
    _client_hello(_ext(10, b"\x00\x03\x00\x17\x00")),     # odd group list
    _client_hello(_ext(43, b"\x03\x03\x04")),             # odd versions list
    _client_hello(_ext(16, b"\x00\x04\x02h2\x09")),       # ALPN list not used up
    _client_hello(_ext(40, b"\x00\x00")),                 # draft key_share code point
    _client_hello(_ext(51, b"\x00\x02\x00\x1d")),         # key share without its key
    _client_hello(_ext(41, b"\x00\x03\x00\x00\x00")),     # PSK identity cut
    _client_hello(_ext(5, b"") + _ext(5, b"")),           # a repeated extension
    _client_hello(b"", suites=b"\x13"),                   # odd suites
    _client_hello(_ext(0, b"\x00\x05\x00\x00\x02\xff\xfe")),  # non-UTF-8 host name
    _client_hello(_ext(0, b"\x00\x04\x01\x00\x01a")),     # no host_name entry: None
    _client_hello(_ext(65281, b"\x00")[:-1]),             # extension body cut
    _client_hello(_ext(16, b"\x00\x00")) + b"\x00",       # trailing byte
    _client_hello(b"".join(_ext(0x5A00 + i, b"") for i in range(5000))),  # many
    b"\x03\x03" + bytes(31),                              # cut random
    b"",
])
def test_odd_client_hellos_agree(body: bytes) -> None:
    assert_agrees(m.CLIENT_HELLO, body, 0x0301)


def _server_hello(extensions: bytes, version: bytes = b"\x03\x03",
                  random_: bytes = bytes(32)) -> bytes:
    return (version + random_ + b"\x00\x13\x01\x00" + len(extensions).to_bytes(2, "big")
            + extensions)


@pytest.mark.parametrize("body", [
    _server_hello(_ext(43, b"\x03\x04") + _ext(51, b"\x00\x1d\x00\x01\x00")),
    _server_hello(_ext(43, b"\x03\x04") + _ext(51, b"\x00\x17"), random_=m.HRR_RANDOM),
    _server_hello(_ext(43, b"\x03")),                     # short selected version
    _server_hello(_ext(16, b"\x00\x03\x02h2")),           # ALPN
    _server_hello(_ext(16, b"\x00\x00")),                 # empty ALPN list: None
    _server_hello(_ext(16, b"\x00\x05\x02h2")),           # ALPN cut
    _server_hello(_ext(11, b"\x02\x00")),                 # point formats cut
    _server_hello(_ext(40, b"\x00\x1d")),                 # draft key_share
    _server_hello(b"", version=b"\x7f\x12"),              # draft 18 layout
    _server_hello(b"")[:-2],                              # no extensions block
    _server_hello(b"")[:-3],                              # one stray byte
    _server_hello(_ext(65281, b"\x00")) + b"\x01",        # trailing byte
])
def test_odd_server_hellos_agree(body: bytes) -> None:
    assert_agrees(m.SERVER_HELLO, body, 0x0303)


def test_the_clean_shapes_are_read_in_c() -> None:
    ch = _client_hello(_ext(0, b"\x00\x06\x00\x00\x03a.b") + _ext(16, b"\x00\x03\x02h2")
                       + _ext(43, b"\x02\x03\x04"))
    sh = _server_hello(_ext(43, b"\x03\x04") + _ext(51, b"\x00\x1d\x00\x01\x00"))
    assert assert_agrees(m.CLIENT_HELLO, ch, 0x0301)
    assert assert_agrees(m.SERVER_HELLO, sh, 0x0303)
    fast = _compiled(m.CLIENT_HELLO, ch, 0x0301, False)
    assert isinstance(fast, m.ClientHello)
    assert (fast.server_name, fast.alpn, fast.supported_versions) == ("a.b", ("h2",),
                                                                      (0x0304,))


def test_recurring_number_lists_are_one_shared_tuple() -> None:
    """The same list on the wire gives the same tuple object (later caches then compare
    by identity); u8 and u16 lists of the same bytes stay apart; a list longer than the
    table keeps (512 bytes) is made afresh each time, with the same values."""
    suites = bytes.fromhex("130113021303c02bc02f")
    groups = _ext(10, b"\x00\x04\x00\x1d\x00\x17")
    formats = _ext(11, b"\x02\x00\x1d")  # the bytes 00 1d, read as two u8 items
    one = _compiled(m.CLIENT_HELLO, _client_hello(groups + formats, suites), 0x0301, True)
    two = _compiled(m.CLIENT_HELLO, _client_hello(groups + formats, suites), 0x0301, False)
    assert isinstance(one, m.ClientHello) and isinstance(two, m.ClientHello)
    assert one.cipher_suites is two.cipher_suites
    assert one.supported_groups is two.supported_groups == (0x1D, 0x17)
    assert one.ec_point_formats == (0, 0x1D) and one.ec_point_formats is two.ec_point_formats
    long_suites = bytes(range(256)) * 2 + b"\x13\x01\x13\x02"  # 516 bytes
    three = _compiled(m.CLIENT_HELLO, _client_hello(b"", long_suites), 0x0301, True)
    four = _compiled(m.CLIENT_HELLO, _client_hello(b"", long_suites), 0x0301, True)
    assert isinstance(three, m.ClientHello) and isinstance(four, m.ClientHello)
    assert three.cipher_suites == four.cipher_suites and len(three.cipher_suites) == 258
    assert three.cipher_suites is not four.cipher_suites
    assert assert_agrees(m.CLIENT_HELLO, _client_hello(groups + formats, suites), 0x0301)
    assert assert_agrees(m.CLIENT_HELLO, _client_hello(b"", long_suites), 0x0301)


def test_many_different_lists_read_the_same_past_the_table_bound() -> None:
    for i in range(5000):  # more distinct lists than the table keeps: it is emptied
        suites = i.to_bytes(2, "big") + b"\x13\x01"
        value = _compiled(m.CLIENT_HELLO, _client_hello(b"", suites), 0x0301, False)
        assert isinstance(value, m.ClientHello) and value.cipher_suites == (i, 0x1301)


def test_a_stale_build_for_other_classes_is_refused() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True, slots=True)
    class Other:
        code: int

    assert FAST is not None
    with pytest.raises(ValueError):
        FAST.configure(Other, m.ServerHello, m.Extension, print, m.HRR_RANDOM)
    # The same field names without slots: the values would have nowhere to go.
    import dataclasses

    no_slots = dataclasses.make_dataclass(
        "Extension", [(f.name, f.type) for f in dataclasses.fields(m.Extension)],
        frozen=True)
    with pytest.raises(ValueError):
        FAST.configure(m.ClientHello, m.ServerHello, no_slots, print, m.HRR_RANDOM)
    # The module still holds the real classes (configure failed before changing them).
    assert isinstance(_compiled(m.CLIENT_HELLO, _client_hello(b""), 0x0301, False),
                      m.ClientHello)


def _reconfigure(*paths: object) -> None:
    assert FAST is not None
    FAST.configure(m.ClientHello, m.ServerHello, m.Extension, handshake._decode_cached,
                   m.HRR_RANDOM, *paths)


def test_decode_paths_choose_as_recurring_body_does() -> None:
    """With its decode paths the compiled reader picks the remembering or the plain
    decoder itself (tlslens.tls.extensions.decode_paths): recurring bodies must come
    out as the very objects _decode_cached remembers, the others equal to a fresh
    decode, on every hello of the fixtures and the corpus."""
    from tlslens.tls import extensions as ext_mod

    checked = 0
    for msg_type, body, rv in _bodies():
        hello = _compiled(msg_type, body, rv, True)
        if hello is None:
            continue
        context = "client_hello" if msg_type == m.CLIENT_HELLO else (
            "hello_retry_request" if hello.hello_retry_request else "server_hello")
        for ext in hello.extensions:
            cached, _ = ext_mod._decode_cached(ext.code, ext.raw, context)
            if ext_mod.recurring_body(ext.code, ext.raw):
                assert ext is cached, (ext.code, context)
            else:
                assert ext == ext_mod._decode(ext.code, ext.raw, context)[0]
            checked += 1
    assert checked > 1000


def test_bad_decode_paths_are_refused_and_the_decoder_alone_is_used() -> None:
    body = _client_hello(b"")
    good = _compiled(m.CLIENT_HELLO, body, 0x0301, True)
    try:
        for bad in [("x",), (print, print, {70000}, 10), (print, "no", set(), 10),
                    (print, print, {1}, -1), (print, print, 5, 10)]:
            with pytest.raises((ValueError, TypeError)):
                _reconfigure(bad)
            assert _compiled(m.CLIENT_HELLO, body, 0x0301, True) == good
        _reconfigure()  # no paths: every body through the decoder
        assert _compiled(m.CLIENT_HELLO, body, 0x0301, True) == good
    finally:
        _reconfigure(handshake.decode_paths())
