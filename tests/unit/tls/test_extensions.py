"""Extension parsers on real wire bytes (corpus captures) and hand-built edge cases.

The static hex blocks below are extensions blocks (content after the 2-byte total length)
cut from hellos in /work/shared/corpus/pcaps; each constant names its capture and frame.
The corpus test at the bottom re-extracts every hello with tshark and checks the decoded
values against the corpus truth files; it skips when the corpus or tshark is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlslens.tls.extensions import (
    ANY_CONTEXT_PARSERS,
    CONTEXTS,
    EXTENSION_PARSERS,
    decode_extension,
    dn_rfc4514,
    parse_extensions,
    wire_text,
)
from tlslens.tls.messages import HRR_RANDOM, Extension
from tlslens.tls.reader import DecodeError, Reader

CH, SH, HRR, EE, CT, CR, NST = CONTEXTS


def ext(code: int, body: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def by_code(exts: tuple[Extension, ...]) -> dict[int, Extension]:
    return {e.code: e for e in exts}


def codes(items: list[dict[str, Any]]) -> list[int]:
    return [i["code"] for i in items]


def parse_ok(hexblock: str, context: str) -> dict[int, Extension]:
    exts, problems = parse_extensions(bytes.fromhex(hexblock), context)
    assert problems == []
    assert all(e.error is None for e in exts)
    return by_code(exts)


def assert_json_ready(value: Any) -> None:
    """Data must survive JSON unchanged: no bytes, tuples or other Python-only types."""
    assert json.loads(json.dumps(value)) == value


# illustrated-tls13__capture.pcap frame 5 (ClientHello) and frame 7 (ServerHello)
ILLUSTRATED_CH = (
    "0000001800160000136578616d706c652e756c666865696d2e6e6574000b000403000102000a0016"
    "0014001d0017001e0019001801000101010201030104002300000016000000170000000d001e001c"
    "040305030603080708080809080a080b080408050806040105010601002b0003020304002d000201"
    "01003300260024001d0020358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd"
    "166254")
ILLUSTRATED_SH = ("002b0002030400330024001d00209fd7ad6dcff4298dd3f96d5b1b2af910a0535b1488d7f8"
                  "fabb349a982880b615")
# ja4__tls-handshake.pcapng frame 124: a HelloRetryRequest
JA4_HRR = "002b00020304003300020017"
# ja4__tls-handshake.pcapng frames 99/100: a resumption with pre_shared_key
JA4_PSK_CH = (
    "eaea00000000001b0019000016656467652d636861742e66616365626f6f6b2e636f6d0017000000"
    "0500050100000000002b000706eaea030403030012000000230000000a000a0008eaea001d001700"
    "180033002b0029eaea000100001d0020aa7c6b58439c080e69b4e01e46b070729e8cc47051c184c4"
    "46c5727d6df2f5190010000b000908687474702f312e31002d00020101001b000302000244690005"
    "0003026832000b00020100000d0012001004030804040105030805050108060601ff01000100fafa"
    "0001000015000b0000000000000000000000002900b50090008a97e4446a544c06e1a4007a5551dc"
    "873a44c4d64c3f17064740ae694bb6940708000000008e72fe18a33ea741c6c76028820bf7a82038"
    "65ef3c03af1213c7074985f68a3cf6c599d5aa565363d8a33abc9b2044499108cc039830c7f8cbd1"
    "0af5cc21f697c99fc0f50ee229f3efd4ff326cb3e0102d234cb13d685a55b49f670388e32af83a75"
    "4c0c842d24f6c2070021205f1a0a6e416a4f7597160cf9638205132dd44893b9fedd79935fa535d7"
    "50e88d")
JA4_PSK_SH = ("002b0002030400330024001d00209ec1e06fb26e8147e8bc50dc8873dbc9d610563e6467bcd2"
              "4ce2da5c0c071e54002900020000")
# zeek__tls-conn-with-extensions.pcap frame 6: TLS 1.2 ServerHello with NPN
ZEEK_NPN_SH = ("00000000ff01000100000b000403000102002300003374001006737064792f3208687474702f"
               "312e31")
# ja4__browsers-x509.pcapng frame 43: TLS 1.2 ServerHello with status_request and ALPN
X509_SH = "ff0100010000000000000b000403000102002300000005000000100005000302683200170000"
# ja4__chrome-cloudflare-quic-with-secrets.pcapng frame 47: a QUIC ClientHello
QUIC_CH = (
    "001000050003026833000000180016000013636c6f7564666c6172652d717569632e636f6d002d00"
    "020101001b0003020002000a00080006001d00170018003300260024001d0020cf1816e2b1bcbac6"
    "97d8c7dcb0063ce2200816ad495b86ab70d5895973fa1e08002b0003020304003900650604806000"
    "000f00200480010000fcc15de54862727409f0438f088c0f18e73c7128045256434d040480f00000"
    "0704806000000802406480ff73db0c00000001da0a3a3a0000000101048000753009024067050480"
    "600000800047520400000001030245c0446900050003026833000d0014001204030804040105030"
    "8050501080606010201")
# arkime__tls13.pcap frame 4: TLS 1.3 draft 18 ClientHello (key_share at code 40)
ARKIME_CH = (
    "dada0000ff01000100000000180016000013626c6f672e636c6f7564666c6172652e636f6d00170000"
    "00230000000d00140012040308040401050308050501080606010201000500050100000000001200"
    "000010000e000c02683208687474702f312e3175500000000b000201000028002b00295a5a000100"
    "001d0020cf78b9167af054b922a96752b43973107b2a57766357dd288b2b42ab5df30e08002d0002"
    "0101002b000b0acaca7f12030303020301000a000a00085a5a001d001700180a0a00010000150004"
    "00000000")  # padding shortened from 228 to 4 zero bytes (length fixed up)
# lekensteyn__mysql-ssl.pcapng frame 8: heartbeat
MYSQL_CH = (
    "000b000403000102000a003a0038000e000d0019001c000b000c001b00180009000a001a00160017"
    "000800060007001400150004000500120013000100020003000f0010001100230000000d0020001e"
    "060106020603050105020503040104020403030103020303020102020203000f000101")
# ja4__tls12.pcap frame 1: Firefox with delegated_credentials and record_size_limit
FIREFOX_CH = (
    "00000021001f00001c636f6e74696c652e73657276696365732e6d6f7a696c6c612e636f6d001700"
    "00ff01000100000a000e000c001d00170018001901000101000b0002010000230000001000"
    "0e000c02683208687474702f312e310005000501000000000022000a00080403050306030203003300"
    "6b0069001d00208909858fbeb6ed2f1248ba5b9e2978bead0e840110192c61daed0096798b184400"
    "170041044d183d91f5eed35791fa982464e3b0214aaa5f5d1b78616d9b9fbebc22d11f535b2f94c6"
    "86143136aa795e6e5a875d6c08064ad5b76d44caad766e2483012748002b00050403040303000d00"
    "18001604030503060308040805080604010501060102030201002d00020101001c00024001")
# ja4__browsers-x509.pcapng: the SCT list of the *.adnxs.com certificate (the same
# SignedCertificateTimestampList structure a ServerHello or CertificateEntry carries)
REAL_SCT_LIST = (
    "0167007600eecdd064d5db1acec55cb79db4cd13a23287467cbcecdec351485946711fb59b000001"
    "864c06159d0000040300473045022100deaed231d6a1fc7dfeee8fdc6a06d22598067b0b510cfa3a"
    "2d67d8f0c97d55b3022026544a2115b4927aa7db09390ff72df5ba917aa63d1d6d8f539bfa8bbb81"
    "8a1600750073d99e891b4c9678a0207d479de6b2c61cd0515e71192a8c6b80107ac17772b5000001"
    "864c0615e700000403004630440220441f10711d14507001f945334e58646b4f1f9543fb3e001a38"
    "17d8c22fff6e3202203e74ddb75cc02ffb064b8764f4eb9ff3d472aabd63929ae80c6b579567a08c"
    "9700760048b0e36bdaa647340fe56a02fa9d30eb1c5201cb56dd2c81d9bbbfab39d88473000001"
    "864c0615b50000040300473045022100ec6e34b6250e40ddfa5bed9d9a32aa1fb147ceb611e2485b"
    "08c85804a1d1c7b402207c3a389eb8df9e54735bc7c818c2567b99fb1493a748686a2612798473a0"
    "de79")
# DER names from certificates in ja4__browsers-x509.pcapng
DN_LIVEPERSON = (
    "3055310b30090603550406130255533111300f060355040813084e657720596f726b31183016060355"
    "040a130f4c697665506572736f6e2c20496e633119301706035504030c102a2e6c697665706572736f"
    "6e2e6e6574")
DN_DIGICERT_G2 = (
    "3061310b300906035504061302555331153013060355040a130c446967694365727420496e633119"
    "3017060355040b13107777772e64696769636572742e636f6d3120301e0603550403131744696769"
    "4365727420476c6f62616c20526f6f74204732")


# -- real ClientHellos ---------------------------------------------------------------------
def test_illustrated_client_hello() -> None:
    e = parse_ok(ILLUSTRATED_CH, CH)
    assert e[0].data == [{"type": 0, "name": "example.ulfheim.net"}]
    assert e[11].data == [0, 1, 2]
    assert codes(e[10].data) == [29, 23, 30, 25, 24, 256, 257, 258, 259, 260]
    assert e[35].data == {"length": 0, "ticket": ""}
    assert e[22].data == {} and e[23].data == {}
    assert codes(e[13].data) == [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080A,
                                 0x080B, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601]
    assert e[43].data == [{"code": 0x0304, "name": "TLS 1.3"}]
    assert e[45].data == [1]
    assert e[51].data == [{"group": e[51].data[0]["group"], "key_exchange_length": 32,
                           "key_exchange": "358072d6365880d1aeea329adf9121383851ed21a28e3b75"
                                           "e965d0d2cd166254"}]
    assert e[51].data[0]["group"]["code"] == 29
    for x in e.values():
        assert_json_ready(x.data)


def test_illustrated_server_hello() -> None:
    e = parse_ok(ILLUSTRATED_SH, SH)
    assert e[43].data == {"code": 0x0304, "name": "TLS 1.3"}
    assert e[51].data["group"]["code"] == 29
    assert e[51].data["key_exchange_length"] == 32
    assert e[51].data["key_exchange"].startswith("9fd7ad6d")


def test_hello_retry_request_key_share_is_a_bare_group() -> None:
    e = parse_ok(JA4_HRR, HRR)
    assert e[43].data["code"] == 0x0304
    assert e[51].data == {"selected_group": e[51].data["selected_group"]}
    assert e[51].data["selected_group"]["code"] == 23


def test_pre_shared_key_and_grease_in_a_real_resumption() -> None:
    e = parse_ok(JA4_PSK_CH, CH)
    psk = e[41].data
    assert len(psk["identities"]) == 1
    ident = psk["identities"][0]
    assert len(ident["identity"]) == 0x8A * 2
    assert [len(b) for b in psk["binders"]] == [64]
    assert psk["binders"][0].startswith("5f1a0a6e")
    assert codes(e[27].data) == [2]  # brotli
    assert e[17513].data == ["h2"]
    assert e[16].data == ["http/1.1"]
    assert e[21].data == {"length": 11, "all_zero": True}
    assert codes(e[43].data) == [0xEAEA, 0x0304, 0x0303]
    assert e[43].data[0]["name"] == "GREASE"
    assert e[10].data[0] == {"code": 0xEAEA, "name": "GREASE"}
    for grease in (0xEAEA, 0xFAFA):  # GREASE extensions: nothing decoded, nothing wrong
        assert e[grease].data is None and e[grease].error is None
    assert e[0xFAFA].raw == b"\x00"
    s = parse_ok(JA4_PSK_SH, SH)
    assert s[41].data == {"selected_identity": 0}


def test_psk_identity_age_is_the_four_bytes_after_the_identity() -> None:
    block = bytes.fromhex(JA4_PSK_CH)
    e = by_code(parse_extensions(block, CH)[0])
    body = e[41].raw
    ident_len = int.from_bytes(body[2:4], "big")
    age = int.from_bytes(body[4 + ident_len:8 + ident_len], "big")
    assert e[41].data["identities"][0]["obfuscated_ticket_age"] == age


def test_tls12_server_hellos() -> None:
    e = parse_ok(ZEEK_NPN_SH, SH)
    assert e[13172].data == ["spdy/2", "http/1.1"]
    assert e[0].data == []  # the server's SNI acknowledgement is empty
    assert e[0xFF01].data == {"renegotiated_connection": ""}
    assert e[11].data == [0, 1, 2]
    x = parse_ok(X509_SH, SH)
    assert x[5].data == {}
    assert x[16].data == "h2"
    assert x[23].data == {}


def test_quic_transport_parameters_use_varints() -> None:
    e = parse_ok(QUIC_CH, CH)
    params = e[57].data
    assert params[0] == {"id": 6, "length": 4, "value": "80600000"}
    assert params[1] == {"id": 15, "length": 0, "value": ""}
    assert params[2] == {"id": 32, "length": 4, "value": "80010000"}
    assert params[3]["id"] == 0x3CC15DE548627274  # an 8-byte varint id
    assert sum(1 + 1 + p["length"] for p in params) < len(e[57].raw)  # varints > 1 byte
    assert e[16].data == ["h3"] and e[17513].data == ["h3"]
    assert e[0].data == [{"type": 0, "name": "cloudflare-quic.com"}]


def test_draft18_client_hello_key_share_at_code_40() -> None:
    e = parse_ok(ARKIME_CH, CH)
    assert [s["group"]["code"] for s in e[40].data] == [0x5A5A, 29]
    assert [s["key_exchange_length"] for s in e[40].data] == [1, 32]
    assert codes(e[43].data) == [0xCACA, 0x7F12, 0x0303, 0x0302, 0x0301]
    assert e[30032].data == {}  # channel_id
    assert e[18].data == []  # SCT request
    assert e[5].data == {"type": 1, "responder_ids": [], "request_extensions": "",
                         "request": None}
    assert e[21].data == {"length": 4, "all_zero": True}


def test_heartbeat_record_size_limit_delegated_credentials() -> None:
    assert parse_ok(MYSQL_CH, CH)[15].data["code"] == 1
    e = parse_ok(FIREFOX_CH, CH)
    assert e[28].data == 0x4001
    assert codes(e[34].data) == [0x0403, 0x0503, 0x0603, 0x0203]
    assert [(s["group"]["code"], s["key_exchange_length"]) for s in e[51].data] == [
        (29, 32), (23, 65)]
    assert codes(e[43].data) == [0x0304, 0x0303]


def test_real_sct_list() -> None:
    data = decode_extension(18, bytes.fromhex(REAL_SCT_LIST), SH)
    assert data.error is None
    scts = data.data
    assert [s["log_id"][:8] for s in scts] == ["eecdd064", "73d99e89", "48b0e36b"]
    assert [s["timestamp"] for s in scts] == [1676312712605, 1676312712679, 1676312712629]
    assert all(s["version"] == 0 and s["extensions"] == "" for s in scts)
    assert {s["signature_algorithm"]["code"] for s in scts} == {0x0403}
    assert scts[0]["signature"].startswith("3045022100deaed231")
    assert decode_extension(18, bytes.fromhex(REAL_SCT_LIST), CT).data == scts
    assert decode_extension(18, b"", CH).data == []


# -- certificate_authorities and DNs ---------------------------------------------------
def test_dn_rfc4514_matches_cryptography_on_real_names() -> None:
    assert dn_rfc4514(bytes.fromhex(DN_LIVEPERSON)) == (
        "CN=*.liveperson.net,O=LivePerson\\, Inc,ST=New York,C=US")
    assert dn_rfc4514(bytes.fromhex(DN_DIGICERT_G2)) == (
        "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US")
    assert dn_rfc4514(b"\x30\x03\x31\x01") is None  # cut inside a SET
    assert dn_rfc4514(b"") is None


def test_certificate_authorities() -> None:
    names = [bytes.fromhex(DN_LIVEPERSON), bytes.fromhex(DN_DIGICERT_G2), b"\x30\x00",
             b"\x01\x02"]
    inner = b"".join(len(n).to_bytes(2, "big") + n for n in names)
    body = len(inner).to_bytes(2, "big") + inner
    for ctx in (CH, CR):
        e = decode_extension(47, body, ctx)
        assert e.error is None
        assert [a["der"] for a in e.data] == [n.hex() for n in names]
        assert e.data[0]["name"].startswith("CN=*.liveperson.net")
        assert e.data[2]["name"] == ""  # the empty name
        assert e.data[3]["name"] is None  # not DER: kept as hex only


# -- hand-built bodies, one per parser family ------------------------------------------
HAND_BUILT: list[tuple[int, str, str, Any]] = [
    (1, CH, "02", 2),
    (2, CH, "", {}),
    (3, CH, "001b" + "00" + "01" + "11" * 20 + "02" + "0002" + "3000",
     [{"type": 0, "value": None}, {"type": 1, "value": "11" * 20},
      {"type": 2, "value": "3000"}]),
    (4, SH, "", {}),
    (5, CR, "01000400020a0b0000", {"type": 1, "responder_ids": ["0a0b"],
                                   "request_extensions": "", "request": None}),
    (5, CH, "02abcd", {"type": 2, "responder_ids": [], "request_extensions": None,
                       "request": "abcd"}),
    (5, CT, "01000003308201", {"type": 1, "ocsp": "308201"}),
    (6, CH, "0140", [64]),
    (7, CH, "020001", [0, 1]),
    (9, CH, "020001", [{"code": 0, "name": None}, {"code": 1, "name": None}]),
    (9, SH, "01", {"code": 1, "name": None}),
    (12, CH, "03616263", "abc"),
    (14, CH, "00040001000201ff", {"profiles": [1, 2], "mki": "ff"}),
    (17, CH, "000e" + "01" + "0004" + "00000000" + "02" + "0004" + "00000000",
     [{"type": 1, "responder_ids": [], "request_extensions": "", "request": None},
      {"type": 2, "responder_ids": [], "request_extensions": "", "request": None}]),
    (17, SH, "", {}),
    (19, CH, "020200", [{"code": 2, "name": None}, {"code": 0, "name": None}]),
    (20, EE, "02", {"code": 2, "name": None}),
    (21, CH, "000100", {"length": 3, "all_zero": False}),
    (24, CH, "010003020100", {"major": 1, "minor": 0, "key_parameters": [2, 1, 0]}),
    (25, CH, "0005" + "01" + "03aabbcc", [{"type": 1, "hash": "aabbcc"}]),
    (25, EE, "00020102", [{"type": 1, "hash": None}, {"type": 2, "hash": None}]),
    (26, CH, "", {}),
    (29, CH, "02beef", "beef"),
    (30, CH, "04616c6963", "alic"),
    (31, HRR, "0003010203", "010203"),
    (32, CH, "0000", {"ticket": ""}),
    (32, EE, "02abcd" + "0001ff" + "00000e10", {"proof": "abcd", "ticket": "ff",
                                            "lifetime": 3600}),
    (33, SH, "", {}),
    (34, CT, "00093a80" + "0807" + "000003" + "010203" + "0403" + "0002" + "aabb",
     {"valid_time": 604800, "dc_cert_verify_algorithm": {"code": 0x0807, "name": None},
      "public_key": "010203", "algorithm": {"code": 0x0403, "name": None},
      "signature": "aabb"}),
    (35, CH, "c0ffee", {"length": 3, "ticket": "c0ffee"}),
    (39, CH, "020102", [1, 2]),
    (39, EE, "01", 1),
    (42, EE, "", {}),
    (42, NST, "00004000", {"max_early_data_size": 16384}),
    (44, HRR, "0003abcdef", "abcdef"),
    (44, CH, "0003abcdef", "abcdef"),
    (48, CR, "000e" + "03551d25" + "0008" + "3006" + "06042b060101",
     [{"oid": "2.5.29.37", "oid_raw": "551d25", "values": "3006" + "06042b060101"}]),
    (48, CR, "0008" + "0506032b0601" + "0000",
     [{"oid": "1.3.6.1", "oid_raw": "06032b0601", "values": ""}]),
    (49, CH, "", {}),
    (52, CT, "000a" + "0008" + "0001" + "aabbccddeeff",
     [{"versioned_type": 1, "data": "aabbccddeeff"}]),
    (52, CH, "", []),
    (54, SH, "03010203", "010203"),
    (54, CH, "00", ""),
    (55, EE, "020a0b", "0a0b"),
    (56, CH, "0101", "01"),
    (58, CH, "0201", {"new_session_count": 2, "resumption_count": 1}),
    (58, EE, "03", {"expected_count": 3}),
    (59, CH, "01bb", {"port": 443}),
    (59, CT, "0018" + "0002" + "abcd", {"ext_support_lifetime": 24,
                                    "authentication_chain": "abcd"}),
    (61, CH, "", {}),
    (62, CH, "020501", {"flags": [0, 2, 8]}),
    (17613, CH, "0003026832", ["h2"]),
    (17513, EE, "00010203", {"settings": "00010203"}),
    (0xFE0D, CH, "00" + "0001" + "0001" + "2a" + "0002" + "e1e2" + "0003" + "aabbcc",
     {"type": 0, "kdf_id": 1, "aead_id": 1, "config_id": 42, "enc": "e1e2",
      "payload_length": 3}),
    (0xFE0D, CH, "01", {"type": 1, "kdf_id": None, "aead_id": None, "config_id": None,
                        "enc": None, "payload_length": None}),
    (0xFE0D, EE, "0004fe0d0000", {"retry_configs": "fe0d0000", "length": 4}),
    (0xFE0D, HRR, "0102030405060708", {"confirmation": "0102030405060708"}),
    (0xFD00, CH, "04000a000d", [10, 13]),
    (0xFF01, SH, "02abcd", {"renegotiated_connection": "abcd"}),
    (13172, CH, "", {}),
    (30031, CH, "", {}),
    (35655, CH, "0000", {"length": 2, "all_zero": True}),
    (46, NST, "00000400", {"max_early_data_size": 1024}),
    (40, HRR, "001d", {"selected_group": {"code": 29, "name": None}}),
]


@pytest.mark.parametrize(("code", "ctx", "hexbody", "expected"), HAND_BUILT,
                         ids=[f"{c}-{x}-{i}" for i, (c, x, _, _) in enumerate(HAND_BUILT)])
def test_hand_built(code: int, ctx: str, hexbody: str, expected: Any) -> None:
    e = decode_extension(code, bytes.fromhex(hexbody), ctx)
    assert e.error is None
    assert e.raw == bytes.fromhex(hexbody)
    assert_json_ready(e.data)
    # registry names are being filled in elsewhere: compare codes, not names
    assert _strip_names(e.data) == _strip_names(expected)


def _strip_names(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip_names(x) for k, x in v.items() if k != "name"}
    if isinstance(v, list):
        return [_strip_names(x) for x in v]
    return v


def test_context_decides_the_shape() -> None:
    alpn = bytes.fromhex("0003026832")
    assert decode_extension(16, alpn, CH).data == ["h2"]
    assert decode_extension(16, alpn, EE).data == "h2"
    share = bytes.fromhex("001d0001aa")
    assert decode_extension(51, share, SH).data["key_exchange"] == "aa"
    assert decode_extension(51, b"\x00\x05" + share, CH).data[0]["key_exchange"] == "aa"
    # a context-dependent code in a message it does not belong to: not decoded, no error
    assert decode_extension(43, b"\x03\x04", EE) == Extension(43, b"\x03\x04")
    # context-free codes decode anywhere
    assert codes(decode_extension(10, b"\x00\x02\x00\x1d", EE).data) == [29]


def test_server_alpn_must_name_one_protocol() -> None:
    e = decode_extension(16, bytes.fromhex("0006026832026833"), SH)
    assert e.data is None and "one protocol" in (e.error or "")


def test_unknown_and_grease_extensions_are_kept_raw() -> None:
    assert decode_extension(0x1234, b"\x01\x02", CH) == Extension(0x1234, b"\x01\x02")
    assert decode_extension(0x0A0A, b"\xff" * 3, CH) == Extension(0x0A0A, b"\xff" * 3)


def test_wire_text_escapes_undecodable_bytes() -> None:
    assert wire_text(b"h2") == "h2"
    assert wire_text("bücher.de".encode()) == "bücher.de"
    assert wire_text(b"a\xffb\xc3") == "a\\xffb\\xc3"
    sni = decode_extension(0, bytes.fromhex("0006000003" "61fe62"), CH)
    assert sni.data == [{"type": 0, "name": "a\\xfeb"}]


# -- problems --------------------------------------------------------------------------
def test_every_truncation_of_a_real_block_is_reported_not_raised() -> None:
    block = bytes.fromhex(JA4_PSK_CH)
    full, _ = parse_extensions(block, CH)
    boundaries = {0}
    pos = 0
    for e in full:
        pos += 4 + len(e.raw)
        boundaries.add(pos)
    for cut in range(len(block)):
        exts, problems = parse_extensions(block[:cut], CH)
        assert exts == full[:len(exts)]
        if cut in boundaries:
            assert problems == []
        else:
            assert [p[0] for p in problems] == ["tls.hs.truncated"]
            assert len(exts) == sum(1 for b in boundaries if 0 < b <= cut)


def test_malformed_extension_is_kept_with_error() -> None:
    good = bytes.fromhex(ILLUSTRATED_CH)
    # key_share whose client_shares length claims 2 more bytes than the body has
    bad_share = ext(51, bytes.fromhex("0026001d0020") + bytes(32))
    exts, problems = parse_extensions(good[:-42] + bad_share, CH)
    assert [p[0] for p in problems] == ["tls.ext.malformed"]
    assert "key_share" in problems[0][1] or "51" in problems[0][1]
    last = exts[-1]
    assert last.code == 51 and last.data is None and last.error == problems[0][1]
    assert len(exts) == len(parse_extensions(good, CH)[0])


def test_trailing_bytes_keep_the_data() -> None:
    exts, problems = parse_extensions(ext(23, b"\x00") + ext(43, b"\x02\x03\x04\x99"), CH)
    assert [p[0] for p in problems] == ["tls.ext.trailing_bytes", "tls.ext.trailing_bytes"]
    assert exts[0].data == {} and exts[0].error is not None
    assert codes(exts[1].data) == [0x0304] and "1 trailing" in (exts[1].error or "")


def test_duplicate_extensions_are_reported_and_kept() -> None:
    block = ext(0, bytes.fromhex("0004000001" "61")) + ext(23, b"") + ext(23, b"")
    exts, problems = parse_extensions(block, CH)
    assert [e.code for e in exts] == [0, 23, 23]
    assert [p[0] for p in problems] == ["tls.ext.duplicate"]


def test_short_header_and_overlong_body() -> None:
    exts, problems = parse_extensions(ext(23, b"") + b"\x00\x2b\x00", CH)
    assert len(exts) == 1 and [p[0] for p in problems] == ["tls.hs.truncated"]
    exts, problems = parse_extensions(b"\x00\x2b\x00\x09\x02\x03", CH)
    assert exts == () and "9 bytes" in problems[0][1]
    assert parse_extensions(b"", SH) == ((), [])


def test_parsers_raise_only_decode_error() -> None:
    """Direct parser calls on short input fail the documented way (no IndexError)."""
    for parser in list(EXTENSION_PARSERS.values()) + list(ANY_CONTEXT_PARSERS.values()):
        for body in (b"", b"\x00", b"\xff", b"\x00\x05\x01"):
            r = Reader(body)
            try:
                parser(r)
            except DecodeError:
                pass


ALL_CODES = sorted({c for _, c in EXTENSION_PARSERS} | set(ANY_CONTEXT_PARSERS))


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(CONTEXTS + ("bogus",)))
def test_random_blocks_never_raise(data: bytes, ctx: str) -> None:
    exts, problems = parse_extensions(data, ctx)
    for e in exts:
        assert_json_ready(e.data)
    assert all(p[0].startswith("tls.") for p in problems)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(ALL_CODES), st.sampled_from(CONTEXTS), st.binary(max_size=80))
def test_random_bodies_never_raise(code: int, ctx: str, body: bytes) -> None:
    e = decode_extension(code, body, ctx)
    assert e.raw == body
    assert (e.data is None) or e.error is None or "trailing" in e.error
    assert_json_ready(e.data)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(bytes.fromhex(JA4_PSK_CH))), st.binary(max_size=40))
def test_cut_real_block_plus_garbage_never_raises(cut: int, junk: bytes) -> None:
    exts, problems = parse_extensions(bytes.fromhex(JA4_PSK_CH)[:cut] + junk, CH)
    assert len(exts) <= 20 and all(isinstance(p, tuple) for p in problems)


# -- corpus: every hello checked against tshark's truth --------------------------------
CORPUS = Path(os.environ.get("TLSLENS_CORPUS", "/work/shared/corpus"))
CORPUS_CAPTURES = [
    "arkime__tls13.pcap", "illustrated-tls13__capture.pcap", "ja4__browsers-x509.pcapng",
    "ja4__chrome-cloudflare-quic-with-secrets.pcapng", "ja4__tls-handshake.pcapng",
    "ja4__tls12.pcap", "lekensteyn__mysql-ssl.pcapng", "zeek__tls-conn-with-extensions.pcap",
    "zeek__tls-13draft19-early-data.pcap", "zeek__tls13_psk_succesfull.pcap",
    "suricata__ja4-tls.pcap", "ndpi__tls_port_80.pcapng", "zeek__tls1.2.pcap",
    "ja4__tls-sni.pcapng", "ja4__socks-https-example.pcap", "suricata__tls13_draft28.pcap",
    "zeek__google-duplicate.pcap", "ndpi__quic-v2.pcapng", "lekensteyn__ssl3-dump.pcapng",
]


def _collect_raw(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "tls.handshake_raw":
                out.extend(x[0] for x in (v if isinstance(v[0], list) else [v]))
            else:
                _collect_raw(v, out)
    elif isinstance(node, list):
        for v in node:
            _collect_raw(v, out)


HELLO_FILTER = "tls.handshake.type==1 || tls.handshake.type==2"


def _tshark_hellos(path: Path, extra: list[str]) -> list[tuple[int, bytes]]:
    """(frame, handshake message bytes) of every hello tshark dissects in ``path``;
    ``extra`` are the options the truth file was made with (decode-as for odd ports)."""
    proc = subprocess.run(
        ["tshark", "-n", *extra, "-r", str(path), "-Y", HELLO_FILTER, "-T", "json", "-x", "--no-duplicate-keys"],
        capture_output=True, text=True, check=False, timeout=120)
    out: list[tuple[int, bytes]] = []
    for pkt in json.loads(proc.stdout or "[]"):
        layers = pkt["_source"]["layers"]
        raws: list[str] = []
        _collect_raw(layers, raws)
        frame = int(layers["frame"]["frame.number"])
        out.extend((frame, bytes.fromhex(h)) for h in raws if h[:2] in ("01", "02"))
    return out


def _hello_extensions(hs: bytes) -> tuple[str, bytes] | None:
    """Walk a hello just far enough to find its extensions block (None if it is cut)."""
    end = 4 + int.from_bytes(hs[1:4], "big")
    if len(hs) < end:
        return None
    try:
        r = Reader(hs, 4, end)
        version = r.u16()
        random = r.bytes(32)
        if hs[0] == 1:
            r.opaque(1)
            r.opaque(2)
            r.opaque(1)
            ctx = CH
        else:
            draft = version >> 8 == 0x7F  # TLS 1.3 drafts: no session id, no compression
            if not draft:
                r.opaque(1)
            r.u16()
            if not draft:
                r.u8()
            ctx = HRR if random == HRR_RANDOM else SH
        return ctx, (b"" if r.at_end() else r.opaque(2))
    except DecodeError:
        return None


def _first(exts: dict[int, Extension], *codes_: int) -> Any:
    for c in codes_:
        if c in exts and exts[c].data is not None:
            return exts[c].data
    return None


def _check_client_hello(exts: tuple[Extension, ...], truth: dict[str, Any]) -> None:
    e = by_code(exts)
    assert [x.code for x in exts] == truth["extensions"]
    sni = [n["name"] for n in (_first(e, 0) or []) if n["type"] == 0]
    assert (sni[0] if sni else None) == truth["sni"]
    assert (_first(e, 16) or []) == truth["alpn"]
    assert codes(_first(e, 10) or []) == truth["supported_groups"]
    assert (_first(e, 11) or []) == truth["ec_point_formats"]
    assert codes(_first(e, 13) or []) == truth["signature_algorithms"]
    assert codes(_first(e, 50) or []) == truth["signature_algorithms_cert"]
    assert codes(_first(e, 43) or []) == truth["supported_versions"]
    shares = _first(e, 51, 40) or []
    assert [s["group"]["code"] for s in shares] == truth["key_share_groups"]
    # truth's psk_key_exchange_modes is [] for every hello (tshark_truth.py reads a field
    # name tshark 4.0 lacks), so the modes are checked against the static blocks instead
    assert len((_first(e, 41) or {}).get("identities", [])) == truth["psk_identities"]


def _check_server_hello(exts: tuple[Extension, ...], truth: dict[str, Any]) -> None:
    e = by_code(exts)
    assert [x.code for x in exts] == truth["extensions"]
    if truth["selected_version"] is not None:
        assert e[43].data["code"] == truth["selected_version"]
    assert _first(e, 16) == truth["alpn"]
    if truth["key_share_group"] is not None:
        share = e[51].data
        got = share.get("group") or share.get("selected_group")
        assert got["code"] == truth["key_share_group"]
    assert (_first(e, 11) or []) == truth["ec_point_formats"]


@pytest.mark.parametrize("capture", CORPUS_CAPTURES)
def test_corpus_hellos_match_tshark_truth(capture: str) -> None:
    pcap = CORPUS / "pcaps" / capture
    truth_file = CORPUS / "truth" / f"{capture}.json"
    if not pcap.exists() or not truth_file.exists():
        pytest.skip("corpus not available")
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    truth = json.loads(truth_file.read_text())
    expected: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for stream in truth["streams"]:
        for h in stream["client_hellos"]:
            expected.setdefault(("c", h["frame"]), []).append(h)
        for h in stream["server_hellos"]:
            expected.setdefault(("s", h["frame"]), []).append(h)
    checked = 0
    for frame, hs in _tshark_hellos(pcap, truth.get("tshark_extra_args", [])):
        found = _hello_extensions(hs)
        candidates = expected.get(("c" if hs[0] == 1 else "s", frame), [])
        if found is None or not candidates:
            continue  # a QUIC hello split over CRYPTO frames, or one truth skips
        ctx, block = found
        exts, problems = parse_extensions(block, ctx)
        assert problems == [], (frame, problems)
        for x in exts:
            assert_json_ready(x.data)
        truth_hello = candidates.pop(0)
        if ctx == CH:
            _check_client_hello(exts, truth_hello)
        else:
            assert (ctx == HRR) == truth_hello["is_hello_retry_request"]
            _check_server_hello(exts, truth_hello)
        checked += 1
    assert checked > 0


#: captures whose hellos tshark also reports as malformed: (capture, frame) -> problem ids
CORPUS_MALFORMED = [
    # the ClientHello after the first one carries supported_versions bytes under code 44
    ("suricata__tls-duplicate-hello.pcap", 9, ["tls.ext.malformed"]),
    # an ALPN vector length far past its body, then an extension header past the block
    ("ndpi__tls_invalid_reads.pcap", 12, ["tls.ext.malformed", "tls.hs.truncated"]),
]


@pytest.mark.parametrize(("capture", "frame", "problem_ids"), CORPUS_MALFORMED)
def test_corpus_malformed_hellos(capture: str, frame: int, problem_ids: list[str]) -> None:
    pcap = CORPUS / "pcaps" / capture
    truth_file = CORPUS / "truth" / f"{capture}.json"
    if not pcap.exists() or not truth_file.exists():
        pytest.skip("corpus not available")
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    truth = json.loads(truth_file.read_text())
    assert truth["expert_errors"] or truth["malformed_frames"]  # tshark agrees it is bad
    hellos = [hs for f, hs in _tshark_hellos(pcap, truth.get("tshark_extra_args", []))
              if f == frame and hs[0] == 1]
    found = _hello_extensions(hellos[0])
    assert found is not None
    exts, problems = parse_extensions(found[1], found[0])
    assert [p[0] for p in problems] == problem_ids
    bad = [e for e in exts if e.error]
    assert bad and all(e.data is None for e in bad)
