"""``tlslens capture`` without tcpdump: its pure pieces, its stream plumbing, its errors.

The runs against real tcpdump on lo are in tests/live/. Here: the filter and command
line, tcpdump's error messages (verbatim from tcpdump 4.9 and 4.99 / libpcap 1.8-1.10),
the printed lines on the seed capture's real handshake, the tee over a real pipe, and
the argument errors, which must stop before anything runs.
"""

from __future__ import annotations

import dataclasses
import os
import string
import struct
import sys
import threading
from pathlib import Path

import pytest

from tlslens import cli
from tlslens.capture.live import FollowedFile, TeeStream, following_key_store
from tlslens.commands import capture as cap
from tlslens.pipeline import Options, RunState, analyze, iter_connections
from tlslens.report.i18n import ALL, Translator
from tlslens.report.messages import capture as catalogue

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
SEED_SNI = "rakuten.prod.ondemandconnectivity.com"
SEED_SUITE = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
EN = Translator("en")


# -- filter and command line -------------------------------------------------------------
@pytest.mark.parametrize(("port", "host", "extra", "expected"), [
    (None, None, None, "tcp port 443"),
    (8443, None, None, "tcp port 8443"),
    (None, "smdp.example", None, "tcp port 443 and host smdp.example"),
    (None, "::1", None, "tcp port 443 and host ::1"),
    (None, None, "tcp", "tcp"),  # the user's filter alone: no hidden port 443
    (8443, None, "net 10.0.0.0/8 or net 192.168.0.0/16",
     "tcp port 8443 and (net 10.0.0.0/8 or net 192.168.0.0/16)"),
    (None, "10.1.1.1", "not port 22", "host 10.1.1.1 and (not port 22)"),
])
def test_build_filter(port, host, extra, expected):
    assert cap.build_filter(port, host, extra) == expected


def test_tcpdump_argv_streams_unbuffered_pcap():
    argv = cap.tcpdump_argv("/usr/bin/tcpdump", "lo", 262144, "tcp port 8443")
    assert argv[0] == "/usr/bin/tcpdump" and argv[-1] == "tcp port 8443"
    assert argv[argv.index("-w") + 1] == "-"
    assert argv[argv.index("-i") + 1] == "lo" and argv[argv.index("-s") + 1] == "262144"
    assert "-U" in argv and "--immediate-mode" in argv


# -- tcpdump's messages ------------------------------------------------------------------
PERMISSION_499 = ("tcpdump: lo: You don't have permission to perform this capture on that "
                  "device\n(socket: Operation not permitted)\n")
PERMISSION_49 = ("tcpdump: eth0: You don't have permission to capture on that device\n"
                 "(socket: Operation not permitted)\n")
NO_DEVICE_499 = "tcpdump: nosuch0: No such device exists\n(No such device exists)\n"
NO_DEVICE_49 = "tcpdump: nosuch0: No such device exists\n(SIOCGIFHWADDR: No such device)\n"
BAD_FILTER_499 = "tcpdump: can't parse filter expression: syntax error\n"
BAD_FILTER_49 = "tcpdump: syntax error in filter expression: syntax error\n"
UNKNOWN_HOST = "tcpdump: unknown host 'nosuch.invalid'\n"
COUNTERS = ("tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot "
            "length 262144 bytes\n12 packets captured\n15 packets received by filter\n"
            "3 packets dropped by kernel\n")


@pytest.mark.parametrize(("stderr", "kind", "message"), [
    (PERMISSION_499, "permission", ("lo: You don't have permission to perform this capture "
                                    "on that device; socket: Operation not permitted")),
    (PERMISSION_49, "permission", None),
    (NO_DEVICE_499, "interface", "nosuch0: No such device exists"),
    (NO_DEVICE_49, "interface", None),
    (BAD_FILTER_499, "filter", "can't parse filter expression: syntax error"),
    (BAD_FILTER_49, "filter", None),
    (UNKNOWN_HOST, "host", "unknown host 'nosuch.invalid'"),
    ("tcpdump: pcap_loop: The interface disappeared\n", "other", None),
])
def test_tcpdump_failures_are_classified(stderr, kind, message):
    assert cap.failure_kind(stderr) == kind
    if message is not None:
        assert cap.tcpdump_message(stderr) == message


def test_explain_failure_names_the_fix():
    kw = {"iface": "lo", "bpf": "tcp port 443", "program": "/usr/bin/tcpdump", "host": None}
    line = cap.explain_failure(EN, PERMISSION_499, 1, **kw)
    assert "run as root" in line
    assert "setcap cap_net_raw,cap_net_admin=eip /usr/bin/tcpdump" in line
    assert "tcpdump -D" in cap.explain_failure(EN, NO_DEVICE_499, 1, **kw)
    assert "syntax error" in cap.explain_failure(EN, BAD_FILTER_499, 1, **kw)
    # an unknown name written inside --filter: the filter is what to fix
    line = cap.explain_failure(EN, UNKNOWN_HOST, 1, **kw)
    assert line.startswith("tcpdump rejects the filter 'tcp port 443'")
    kw["host"] = "nosuch.invalid"
    assert cap.explain_failure(EN, UNKNOWN_HOST, 1, **kw).startswith("cannot resolve --host")
    assert "exit status 1" in cap.explain_failure(EN, "", 1, **kw)


def test_kernel_drops_from_tcpdump_counters():
    assert cap.kernel_drops(COUNTERS) == 3
    assert cap.kernel_drops(COUNTERS.replace("3 packets dropped", "0 packets dropped")) == 0
    assert cap.kernel_drops("") == 0
    assert cap.tcpdump_message(COUNTERS) == ""  # banner and counters are not an error


# -- the printed lines, on the seed's real handshake -----------------------------------
@pytest.fixture(scope="module")
def seed_conn():
    (conn,) = analyze(SEED).connections
    return conn


def test_handshake_line(seed_conn):
    line = cap.handshake_line(seed_conn, EN)
    assert f"127.0.0.1:40088 -> 127.0.0.1:443  {SEED_SNI}  TLS 1.2  {SEED_SUITE}" in line
    assert f"  {seed_conn.verdict.level}: " in line
    hh, mm, rest = line.split()[0].split(":")
    assert len(hh) == len(mm) == 2 and len(rest) == 6  # local HH:MM:SS.mmm


def test_summary_line_and_failed_state(seed_conn):
    assert cap.summary_line(seed_conn, EN).startswith(
        f"#0  127.0.0.1:40088 -> 127.0.0.1:443  {SEED_SNI}  TLS 1.2  {SEED_SUITE}  complete")
    failed = dataclasses.replace(seed_conn, state="failed", server_name=None)
    line = cap.handshake_line(failed, EN)
    assert "(no SNI)" in line and "handshake failed; " in line


def test_hostile_sni_cannot_reach_the_terminal(seed_conn):
    evil = dataclasses.replace(seed_conn, server_name="a\x1b[2J\u202eb")
    line = cap.handshake_line(evil, EN)
    assert "\x1b" not in line and "\u202e" not in line
    assert "a\\x1b[2J\\u{202e}b" in line


def test_every_live_string_has_chinese_with_the_same_fields():
    fields = string.Formatter()
    assert set(catalogue.EN) == set(catalogue.ZH)
    for key, en in catalogue.EN.items():
        zh = catalogue.ZH[key]
        assert {f for _, f, _, _ in fields.parse(en) if f} == \
               {f for _, f, _, _ in fields.parse(zh) if f}, key
        assert ALL["zh"][key] == zh  # merged into the catalogue


# -- the stream plumbing -------------------------------------------------------------------
def test_tee_returns_what_the_pipe_holds_and_copies_it(tmp_path):
    r, w = os.pipe()
    copy = tmp_path / "copy.pcap"
    with open(r, "rb") as src, open(copy, "wb") as out:
        tee = TeeStream(src, out, name="x")
        os.write(w, b"0123456789")
        assert tee.read1(1 << 20) == b"0123456789"  # does not wait for a full chunk
        os.write(w, b"abc")
        os.close(w)
        tee.drain()
        assert tee.eof and tee.bytes == 13
    assert copy.read_bytes() == b"0123456789abc"


def _frame_end(pcap: bytes, frame: int) -> int:
    """Byte offset just after ``frame`` (1-based) in a little-endian pcap."""
    pos = 24
    for _ in range(frame):
        pos += 16 + struct.unpack_from("<I", pcap, pos + 8)[0]
    return pos


def test_handshake_reported_before_the_rest_of_the_stream_arrives(tmp_path):
    """Packet by packet: the hook fires while the writer still holds back later packets."""
    data = SEED.read_bytes()
    cut = _frame_end(data, 11)  # frame 11 completes the seed's handshake (server Finished)
    fired = threading.Event()
    r, w = os.pipe()

    def writer() -> None:
        os.write(w, data[:cut])
        fired.wait(5)
        os.write(w, data[cut:])
        os.close(w)

    seen: list = []

    def hook(conn) -> None:
        seen.append((conn, fired.is_set()))
        fired.set()

    thread = threading.Thread(target=writer)
    thread.start()
    copy = tmp_path / "copy.pcap"
    with open(r, "rb") as src, open(copy, "wb") as out:
        run = RunState()
        conns = list(iter_connections(TeeStream(src, out, name=str(copy)), run,
                                      Options(on_handshake=hook)))
    thread.join()
    assert [(c.server_name, c.state, late) for c, late in seen] == [(SEED_SNI, "complete",
                                                                      False)]
    assert copy.read_bytes() == data
    assert [c.to_dict() for c in conns] == [c.to_dict() for c in analyze(SEED).connections]


# -- a key log that grows while we read it -------------------------------------------------
def test_followed_file_gives_complete_new_lines(tmp_path):
    path = tmp_path / "keys.log"
    f = FollowedFile(str(path))
    assert f.new_lines() == b""  # not there yet: the client has not started
    path.write_bytes(b"line 1\nline 2 is half")
    assert f.new_lines() == b"line 1\n"
    with open(path, "ab") as out:
        out.write(b" written\nline 3\n")
    assert f.new_lines() == b"line 2 is half written\nline 3\n"
    assert f.new_lines() == b""
    path.write_bytes(b"new\n")  # rewritten (shorter): read again from the start
    assert f.new_lines() == b"new\n"


def test_following_key_store_finds_lines_written_after_the_start(tmp_path):
    """The seed's real key log line arrives after the store was made; a miss re-reads."""
    line = (SEED.parent / "seed.keylog").read_text().splitlines()[0]
    label, random_hex, secret_hex = line.split()
    path = tmp_path / "keys.log"
    store = following_key_store([str(path)])
    assert store.get(label, bytes.fromhex(random_hex)) is None
    path.write_text("CLIENT_RANDOM nothex nothex\n" + line + "\n")
    assert store.get(label, bytes.fromhex(random_hex)) == bytes.fromhex(secret_hex)
    assert [a.id for a in store.anomalies] == ["keylog.bad_line"]


def test_live_keylog_decrypts_the_seed_through_a_pipe(tmp_path):
    """What ``capture --keylog`` builds: the seed's ES9+ request comes out in clear."""
    from tlslens.crypto.decryptor import Decryptor

    store = following_key_store([str(SEED.parent / "seed.keylog")])
    with open(SEED, "rb") as src:
        (conn,) = iter_connections(TeeStream(src), RunState(),
                                   Options(decryptor_factory=lambda: Decryptor(store)))
    assert conn.decryption["status"] == "decrypted"
    assert "initiateAuthentication" in conn.decryption["application_data"]["client"][
        "first_text"]


# -- argument errors: one line, exit 2, nothing started -------------------------------------
@pytest.mark.parametrize(("args", "expected"), [
    (["--port", "0"], "--port must be a port number from 1 to 65535, not 0"),
    (["--port", "http"], "--port must be a port number from 1 to 65535, not http"),
    (["--count", "0"], "--count must be a number greater than 0, not 0"),
    (["--duration", "nan"], "--duration must be a number greater than 0, not nan"),
    (["--duration", "-1"], "--duration must be a number greater than 0, not -1"),
    (["--host", "10.0.0.1 or port 22"], "--host takes one name or address"),
    (["--host", "and"], "--host takes one name or address"),
    (["--tcpdump", "no-such-tcpdump-here"],
     "tcpdump not found (no-such-tcpdump-here): install it (Debian/Ubuntu: apt-get install"),
    (["--tcpdump", sys.executable, "--keylog", "/"], "--keylog /: is a directory"),
    (["--tcpdump", sys.executable, "--write", "/nonexistent-dir/x.pcap"],
     "/nonexistent-dir/x.pcap: cannot write the capture"),
])
def test_argument_errors(capsys, args, expected):
    assert cli.main(["capture", "--lang", "en", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("tlslens: error: ")
    assert expected in err
