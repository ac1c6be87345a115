"""JA3 / ja3n / JA3S / JA4 rules on hand-built hellos.

Expected values come from published vectors (FoxIO's JA4.md example, Suricata's ja4-tls
test, Arkime's tls13 session, tshark's JA3), not from our own code.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields

import pytest

from tlslens.analysis.fingerprints import (
    EMPTY_HASH,
    Fingerprints,
    client_fingerprints,
    connection_fingerprints,
    ja4_alpn,
    server_fingerprints,
)
from tlslens.tls.messages import ClientHello, Extension, ServerHello

SNI, GROUPS, POINTS, SIGALGS, ALPN, VERSIONS = 0, 10, 11, 13, 16, 43


def alpn_data(*names: bytes) -> bytes:
    body = b"".join(bytes([len(n)]) + n for n in names)
    return len(body).to_bytes(2, "big") + body


def hello(ciphers: list[int], exts: list[int], *, legacy: int = 0x0303,
          sigalgs: tuple[int, ...] = (), groups: tuple[int, ...] = (),
          points: tuple[int, ...] = (), versions: tuple[int, ...] = (),
          alpn: tuple[bytes, ...] = (), alpn_raw: bytes | None = None,
          sslv2: bool = False) -> ClientHello:
    """A ClientHello as the parser would build it (views filled, raw ALPN data kept)."""
    raw = alpn_data(*alpn) if alpn_raw is None else alpn_raw
    return ClientHello(
        record_version=0x0301, legacy_version=legacy, random=None if sslv2 else bytes(32),
        legacy_session_id=b"", cipher_suites=tuple(ciphers),
        compression_methods=() if sslv2 else (0,),
        extensions=tuple(Extension(c, raw if c == ALPN else b"") for c in exts),
        sslv2_format=sslv2, server_name="example.com" if SNI in exts else None,
        alpn=tuple(a.decode("utf-8", "backslashreplace") for a in alpn),
        supported_groups=groups, ec_point_formats=points, signature_algorithms=sigalgs,
        supported_versions=versions,
    )


# FoxIO technical_details/JA4.md example (Chrome).
SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8,
                0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
SPEC_EXTS = [0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005, 0x0023,
             0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015]
SPEC_SIGS = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
SPEC_JA4_R = ("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
              "cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,"
              "ff01_0403,0804,0401,0503,0805,0501,0806,0601")
SPEC_JA4_RO = ("t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,"
               "002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,"
               "000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601")


def spec_hello(**kw: object) -> ClientHello:
    args: dict = {"sigalgs": SPEC_SIGS, "versions": (0x0304, 0x0303),
                  "alpn": (b"h2", b"http/1.1"), "groups": (29, 23, 24), "points": (0,)}
    args.update(kw)
    return hello(SPEC_CIPHERS, SPEC_EXTS, **args)


GREASE = [0x0A0A, 0x1A1A, 0x2A2A, 0xFAFA]


def test_ja4_spec_example() -> None:
    fp = client_fingerprints(spec_hello())
    assert fp.ja4 == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert fp.ja4_r == SPEC_JA4_R
    assert fp.ja4_o == "t13d1516h2_acb858a92679_18f69afefd3d"
    assert fp.ja4_ro == SPEC_JA4_RO
    assert fp.ja3s is None and fp.ja3s_full is None


def test_grease_is_ignored_everywhere() -> None:
    plain = client_fingerprints(spec_hello())
    greased = client_fingerprints(hello(
        [GREASE[0], *SPEC_CIPHERS], [GREASE[1], *SPEC_EXTS, GREASE[2]],
        sigalgs=(GREASE[3], *SPEC_SIGS), versions=(GREASE[0], 0x0304, 0x0303),
        alpn=(b"h2", b"http/1.1"), groups=(GREASE[2], 29, 23, 24), points=(0,)))
    assert greased == plain  # every key: JA3 (ciphers, extensions, groups) and all JA4 forms
    assert "2570" not in (greased.ja3_full or "")  # 0x0a0a


def test_suricata_ja4_tls_vector() -> None:
    # suricata-verify tests/ja4-tls: tls.ja4; JA3 as tshark 4.0 computes it.
    ch = hello([49195, 49199, 158, 49162, 49161, 49171, 49172, 49159, 49169, 51, 50, 57, 156,
                47, 53, 10, 5, 4],
               [65281, 10, 11, 35, 13172, 16, 30032, 5, 18, 13],
               sigalgs=(1025, 1281, 513, 1027, 1283, 515, 1026, 514), groups=(23, 24, 25),
               points=(0,), alpn=(b"spdy/3.1", b"http/1.1"))
    fp = client_fingerprints(ch)
    assert fp.ja4 == "t12i1810s1_27d4652c4487_06a4338d0495"
    assert fp.ja3_full == ("771,49195-49199-158-49162-49161-49171-49172-49159-49169-51-50-57-"
                           "156-47-53-10-5-4,65281-10-11-35-13172-16-30032-5-18-13,23-24-25,0")
    assert fp.ja3 == "308b0bd904abbef5e0034a1ff7a78920"


def test_ja3_without_extensions_keeps_empty_fields() -> None:
    fp = client_fingerprints(hello([57, 56, 4], [], legacy=0x0301))
    assert fp.ja3_full == "769,57-56-4,,,"
    assert fp.ja3 == hashlib.md5(b"769,57-56-4,,,").hexdigest()


def test_ja3n_is_stable_under_extension_permutation() -> None:
    a = client_fingerprints(spec_hello())
    b = client_fingerprints(hello(SPEC_CIPHERS, list(reversed(SPEC_EXTS)), sigalgs=SPEC_SIGS,
                                  versions=(0x0304, 0x0303), alpn=(b"h2", b"http/1.1"),
                                  groups=(29, 23, 24), points=(0,)))
    assert a.ja3 != b.ja3 and a.ja3n == b.ja3n and a.ja4 == b.ja4 and a.ja4_o != b.ja4_o
    sorted_string = ("771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-"
                     "157-47-53,0-5-10-11-13-16-18-21-23-27-35-43-45-51-17513-65281,29-23-24,0")
    assert a.ja3n == hashlib.md5(sorted_string.encode()).hexdigest()


def test_no_signature_algorithms_drops_the_underscore() -> None:
    # JA4.md: "0005,000a,...,4469,ff01 = 6d807ffa2a79"
    fp = client_fingerprints(spec_hello(sigalgs=()))
    assert fp.ja4 == "t13d1516h2_8daaf6152771_6d807ffa2a79"
    assert fp.ja4_r is not None and fp.ja4_r.endswith("4469,ff01")


def test_counts_cap_at_99() -> None:
    ch = hello(list(range(1, 151)), list(range(100, 250)))
    fp = client_fingerprints(ch)
    assert fp.ja4 is not None and fp.ja4.startswith("t12i9999")
    assert fp.ja4_r is not None and fp.ja4_r.count(",") == 149 + 149  # nothing dropped


def test_no_sni_no_alpn_and_empty_lists() -> None:
    fp = client_fingerprints(hello([], []))
    assert fp.ja4 == f"t12i000000_{EMPTY_HASH}_{EMPTY_HASH}"
    assert fp.ja4_o == f"t12i000000_{EMPTY_HASH}_{EMPTY_HASH}"
    assert fp.ja4_r == "t12i000000__"


def test_sni_marker_follows_the_extension_not_the_parsed_name() -> None:
    ch = hello([0x1301], [SNI])
    unparsed = ClientHello(**{f.name: getattr(ch, f.name) for f in fields(ch)
                              if f.name != "server_name"})
    fp = client_fingerprints(unparsed)
    assert fp.ja4 is not None and fp.ja4.startswith("t12d0101")
    # Only SNI: the sorted c list is empty, the original one is "0000".
    assert fp.ja4.endswith(EMPTY_HASH)
    assert fp.ja4_ro == "t12d010100_1301_0000"
    assert fp.ja4_o == ("t12d010100_" + hashlib.sha256(b"1301").hexdigest()[:12] + "_"
                        + hashlib.sha256(b"0000").hexdigest()[:12])


@pytest.mark.parametrize(("versions", "legacy", "expected"), [
    ((0x0304, 0x0303), 0x0303, "13"),
    ((0x7A7A, 0x0303, 0x0302), 0x0303, "12"),
    ((0x7F12, 0x0303), 0x0303, "00"),  # TLS 1.3 draft 18 is unknown to JA4 (Arkime: t00)
    ((), 0x0301, "10"),
    ((), 0x0300, "s3"),
    ((), 0x0200, "00"),  # the retracted SSL 2.0 value
    ((0x3A3A,), 0x0302, "11"),  # only GREASE: fall back to legacy_version
])
def test_version(versions: tuple[int, ...], legacy: int, expected: str) -> None:
    exts = [VERSIONS] if versions else []
    fp = client_fingerprints(hello([0x002F], exts, legacy=legacy, versions=versions))
    assert fp.ja4 is not None and fp.ja4[1:3] == expected


def test_dtls_and_quic_markers() -> None:
    ch = hello([0xC02B], [], legacy=0xFEFD)
    assert (client_fingerprints(ch, "d").ja4 or "").startswith("dd2i0100")
    quic = hello([0x1301], [VERSIONS], versions=(0x0304,))
    assert (client_fingerprints(quic, "q").ja4 or "").startswith("q13i0101")


@pytest.mark.parametrize(("name", "expected"), [
    (None, "00"), (b"", "00"), (b"h2", "h2"), (b"http/1.1", "h1"), (b"h", "hh"),
    (b"spdy/3.1", "s1"),
    # JA4.md examples for a first or last byte that is not alphanumeric
    (b"\xab", "ab"), (b"\xab\xcd", "ad"), (b"\x30\xab", "3b"), (b"\x30\x31\xab\xcd", "3d"),
    (b"\x30\xab\xcd\x31", "01"), (b"/x", "28"), (b"x.", "7e"),
])
def test_alpn_marker(name: bytes | None, expected: str) -> None:
    assert ja4_alpn(name) == expected


@pytest.mark.parametrize(("alpn", "raw", "expected"), [
    ((), None, "00"),  # no ALPN extension
    ((b"\xff\x68\x32",), None, "f2"),  # non-UTF-8 first value: read from the raw bytes
    ((), b"\x00\x00", "00"),  # extension with an empty list
    ((), b"\x00\x03\x00\x01h", "00"),  # empty first value
    ((b"h2",), b"\x00\x09\x02h", "h2"),  # unreadable list: falls back to the decoded view
])
def test_alpn_from_the_extension(alpn: tuple[bytes, ...], raw: bytes | None,
                                 expected: str) -> None:
    exts = [SNI] + ([ALPN] if alpn or raw is not None else [])
    fp = client_fingerprints(hello([0x1301], exts, alpn=alpn, alpn_raw=raw))
    assert fp.ja4 is not None and fp.ja4[8:10] == expected


def test_sslv2_format_hello() -> None:
    # SSLv2 cipher specs (24-bit) of an SSL 2.0 client (version 0x0002).
    ch = hello([0x0700C0, 0x050080, 0x030080], [], legacy=0x0002, sslv2=True)
    fp = client_fingerprints(ch)
    assert fp.ja3 is None and fp.ja3_full is None and fp.ja3n is None  # as tshark
    assert fp.ja4_r == "ts2i030000_030080,050080,0700c0_"
    assert fp.ja4 == ("ts2i030000_" + hashlib.sha256(b"030080,050080,0700c0").hexdigest()[:12]
                      + "_" + EMPTY_HASH)


def test_sslv2_format_hello_offering_tls_matches_the_tls_hello() -> None:
    specs = [0x000039, 0x000035, 0x010080, 0x00000A]
    v2 = client_fingerprints(hello(specs, [], legacy=0x0301, sslv2=True))
    assert v2.ja4_r == "t10i040000_000a,0035,0039,010080_"
    v3 = client_fingerprints(hello([0x39, 0x35, 0x0A], [], legacy=0x0301))
    v2_tls_only = client_fingerprints(hello(specs[:2] + specs[3:], [], legacy=0x0301,
                                            sslv2=True))
    assert v2_tls_only.ja4 == v3.ja4


def server(version: int, cipher: int | None, exts: list[int], *,
           sslv2: bool = False) -> ServerHello:
    return ServerHello(record_version=version, legacy_version=version, random=bytes(32),
                       legacy_session_id=b"", cipher_suite=cipher,
                       compression_method=None if sslv2 else 0,
                       extensions=tuple(Extension(c, b"") for c in exts), sslv2_format=sslv2)


def test_ja3s_vectors() -> None:
    # tshark (suricata-verify ja4-tls capture) and Arkime (tls13.pcap, TLS 1.3 draft 18).
    fp = server_fingerprints(server(771, 49199, [65281, 11, 35]))
    assert (fp.ja3s_full, fp.ja3s) == ("771,49199,65281-11-35",
                                       "ccc514751b175866924439bdbb5bba34")
    fp = server_fingerprints(server(0x7F12, 4865, [40]))
    assert (fp.ja3s_full, fp.ja3s) == ("32530,4865,40", "b8a8031b301aef7618403061e9f33065")
    assert fp.ja3 is None and fp.ja4 is None
    assert server_fingerprints(server(769, 4, [])).ja3s_full == "769,4,"


def test_sslv2_server_hello_has_no_ja3s() -> None:
    fp = server_fingerprints(server(2, None, [], sslv2=True))
    assert fp == Fingerprints()


def test_connection_merges_both_sides() -> None:
    ch, sh = spec_hello(), server(771, 0x1301, [43, 51])
    fp = connection_fingerprints(ch, sh)
    assert fp.ja4 == client_fingerprints(ch).ja4
    assert fp.ja3s_full == "771,4865,43-51"
    assert connection_fingerprints(None, sh).ja4 is None
    assert connection_fingerprints(ch, None) == client_fingerprints(ch)
    assert connection_fingerprints(None, None) == Fingerprints()


def test_to_dict_has_exactly_the_contract_keys() -> None:
    d = client_fingerprints(spec_hello()).to_dict()
    assert list(d) == ["ja3", "ja3_full", "ja3n", "ja4", "ja4_r", "ja4_o", "ja4_ro", "ja3s",
                       "ja3s_full"]
    assert d["ja3s"] is None and isinstance(d["ja4"], str)


def _first_alpn_by_the_rules(ch: ClientHello) -> bytes | None:
    """RFC 7301's list read byte by byte, as JA4 wants it; the decoded view when the
    list does not read (the reference for first_alpn_bytes's direct path)."""
    ext = next((e for e in ch.extensions if e.code == ALPN), None)
    if ext is None:
        return None
    raw = ext.raw
    if len(raw) >= 2 and int.from_bytes(raw[:2], "big") == 0:
        return b""
    if len(raw) >= 3 and len(raw) - 3 >= raw[2]:
        return raw[3:3 + raw[2]]
    return ch.alpn[0].encode("utf-8", "surrogateescape") if ch.alpn else b""


def test_first_alpn_bytes_on_every_short_and_cut_list() -> None:
    import itertools
    import random

    from tlslens.analysis.fingerprints import first_alpn_bytes

    rng = random.Random(3)
    raws = [bytes(p) for n in range(5) for p in itertools.product((0, 1, 2, 3, 0x68), repeat=n)]
    raws += [alpn_data(b"h2", b"http/1.1"), alpn_data(b"x" * 255), alpn_data(b"")]
    raws += [bytes(rng.randrange(256) for _ in range(rng.randrange(12))) for _ in range(3000)]
    for raw in raws:
        for view in ((), (b"h2",)):
            ch = hello([0x1301], [SNI, ALPN], alpn=view, alpn_raw=raw)
            assert first_alpn_bytes(ch) == _first_alpn_by_the_rules(ch), raw


def test_connection_fingerprints_pair_is_the_same_value_for_equal_inputs() -> None:
    ch, sh = spec_hello(), server(0x0303, 0xC02F, [0xFF01])
    first = connection_fingerprints(ch, sh)
    again = connection_fingerprints(spec_hello(), server(0x0303, 0xC02F, [0xFF01]))
    assert again == first and first.ja3s is not None and first.ja4 is not None
    assert connection_fingerprints(ch, server(0x0303, 0xC030, [0xFF01])).ja3s != first.ja3s
