"""``tlslens capture`` against real tcpdump on lo and real TLS peers (see conftest.py)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.live.conftest import SNI, TlsServer, client, exchange
from tlslens.report.schema import validate_connection, validate_report

TLS12_SUITE = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"  # OpenSSL ECDHE-ECDSA-AES128-GCM-SHA256


def test_handshake_printed_within_a_second_of_its_end(capture, tls_server, cert_files):
    """The issue's "Done when": started first, --count 1 prints the handshake and exits."""
    cap = capture("-i", "lo", "--port", str(tls_server.port), "--count", "1").ready()
    tls = client(tls_server.port, cert_files[0])
    done = time.time()  # the client's handshake is over: its Finished is on the wire
    suite = tls.cipher()[0]
    try:
        arrived, line = cap.next_line(timeout=5)
    finally:
        tls.close()  # the connection stayed open: the line came from the handshake hook
    assert arrived - done < 1.0, f"printed {arrived - done:.3f} s after the handshake"
    assert f"127.0.0.1:{tls_server.port}" in line
    assert SNI in line and "TLS 1.3" in line and suite in line, line
    rc, out, err = cap.wait(timeout=5)
    assert rc == 0, err
    assert "Traceback" not in err
    summary = out.splitlines()
    assert any(s.startswith("Stopped after") and "1 handshake(s) completed" in s
               for s in summary), out
    assert any(s.startswith("#0  ") and SNI in s for s in summary), out


def test_write_reads_the_same_in_analyze_and_tshark(capture, tls12_server, cert_files,
                                                    tmp_path):
    """--write keeps tcpdump's bytes: analyze reads them as the live run did, tshark too."""
    pcap = tmp_path / "live.pcap"
    cap = capture("-i", "lo", "--port", str(tls12_server.port), "--count", "1",
                  "--write", str(pcap), "--format", "json").ready()
    with client(tls12_server.port, cert_files[0]) as tls:
        exchange(tls)
    rc, out, err = cap.wait(timeout=5)
    assert rc == 0, err
    assert f"Capture saved to {pcap}" in err
    live = json.loads(out)
    validate_report(live)
    analyzed = subprocess.run([sys.executable, "-m", "tlslens.cli", "analyze", str(pcap),
                               "--format", "json"], capture_output=True, text=True, check=True)
    assert analyzed.stdout == out  # the same document, byte for byte
    (conn,) = live["connections"]
    assert conn["server_name"] == SNI
    assert conn["cipher_suite"]["name"] == TLS12_SUITE
    assert conn["version"]["name"] == "TLS 1.2" and conn["state"] == "complete"
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    fields = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), "-d", f"tcp.port=={tls12_server.port},tls",
         "-T", "fields", "-e", "frame.number", "-e", "tls.handshake.extensions_server_name",
         "-e", "tls.handshake.ciphersuite", "-e", "tls.handshake.type"],
        capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [line.split("\t") for line in fields]
    assert len(rows) == live["capture"]["packets"]
    hello = next(r for r in rows if r[3].split(",")[0] == "1")
    server_hello = next(r for r in rows if r[3].split(",")[0] == "2")
    assert hello[1] == SNI
    assert int(server_hello[2], 0) == conn["cipher_suite"]["code"]
    ours = {m["frame"] for m in conn["messages"] if m["type"] in ("client_hello",
                                                                    "server_hello")}
    assert ours == {int(hello[0]), int(server_hello[0])}


def test_ndjson_prints_one_valid_connection_per_handshake(capture, tls_server, cert_files):
    cap = capture("-i", "lo", "--port", str(tls_server.port), "--count", "2",
                  "--format", "ndjson").ready()
    for _ in range(2):
        with client(tls_server.port, cert_files[0]) as tls:
            exchange(tls)
    rc, out, err = cap.wait(timeout=5)
    assert rc == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["id"] for d in docs] == [0, 1]
    for d in docs:
        validate_connection(d)
        assert d["server_name"] == SNI and d["state"] == "complete"
        assert d["server"]["port"] == tls_server.port


def test_verbose_prints_the_full_report(capture, tls12_server, cert_files):
    cap = capture("-i", "lo", "--port", str(tls12_server.port), "--count", "1",
                  "--verbose", "--color", "never").ready()
    with client(tls12_server.port, cert_files[0]) as tls:
        exchange(tls)
    rc, out, err = cap.wait(timeout=5)
    assert rc == 0, err
    head, _, _ = out.partition("Stopped after")
    assert TLS12_SUITE in head and "Handshake ladder" in head and "ServerHelloDone" in head


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_summary(capture, tls_server, cert_files, sig):
    cap = capture("-i", "lo", "--port", str(tls_server.port)).ready()
    with client(tls_server.port, cert_files[0]) as tls:
        exchange(tls)
        cap.next_line(timeout=5)
    time.sleep(0.2)  # let the FIN reach tcpdump: the summary then shows the final state
    cap.proc.send_signal(sig)
    rc, out, err = cap.wait(timeout=5)
    assert rc == 0, err
    assert "Traceback" not in err
    assert "1 with TLS, 1 handshake(s) completed" in out
    assert any(s.startswith("#0  ") and SNI in s for s in out.splitlines())


@pytest.mark.parametrize("tls12", [True, False], ids=["tls12", "tls13"])
def test_keylog_written_during_the_capture_decrypts(capture, cert_files, tmp_path, tls12):
    """--keylog names a file that does not exist yet: the client writes it as it goes."""
    keylog = tmp_path / "client-keys.log"
    server = TlsServer(*cert_files, tls12=tls12)
    try:
        cap = capture("-i", "lo", "--port", str(server.port), "--keylog", str(keylog),
                      "--format", "json").ready()
        with client(server.port, cert_files[0], keylog=keylog) as tls:
            exchange(tls)
        time.sleep(0.3)  # the FIN and the echo reach tcpdump
        cap.proc.send_signal(signal.SIGINT)
        rc, out, err = cap.wait(timeout=5)
    finally:
        server.close()
    assert rc == 0, err
    doc = json.loads(out)
    validate_report(doc)
    (conn,) = doc["connections"]
    dec = conn["decryption"]
    assert dec["status"] == "decrypted", dec
    assert dec["client_finished_valid"] is True and dec["server_finished_valid"] is True
    assert dec["application_data"]["client"]["first_text"] == "ping"
    assert dec["application_data"]["server"]["first_text"] == "ping"


def test_host_filter_ipv6(capture, cert_files):
    """--host takes an IPv6 address (bracketed too) and tcpdump matches it."""
    try:
        server = TlsServer(*cert_files, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        cap = capture("-i", "lo", "--host", "[::1]", "--port", str(server.port),
                      "--count", "1").ready()
        with client(server.port, cert_files[0], host="::1") as tls:
            exchange(tls)
        rc, out, err = cap.wait(timeout=5)
    finally:
        server.close()
    assert rc == 0, err
    assert f"filter 'tcp port {server.port} and host ::1'" in err
    assert f"[::1]:{server.port}  {SNI}  TLS 1.3" in out.splitlines()[0]


def test_nothing_matched_before_duration_ends(capture, tls_server):
    """Exit 0, the (empty) summary, and a notice naming what to check."""
    start = time.monotonic()
    cap = capture("-i", "lo", "--port", str(tls_server.port), "--duration", "0.3").ready()
    rc, out, err = cap.wait(timeout=10)
    assert rc == 0, err
    assert time.monotonic() - start < 5
    assert "0 packets, 0 TCP connections" in out
    assert f"No packet matched 'tcp port {tls_server.port}' on lo" in err


# -- errors: one line with the fix, exit 2 ------------------------------------------------
def _fails(capture, *args: str, prefix: tuple[str, ...] = ()) -> str:
    rc, out, err = capture(*args, prefix=prefix).wait(timeout=20)
    assert rc == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tlslens: error: "), err
    return lines[0]


def test_unknown_interface(capture):
    line = _fails(capture, "-i", "nosuch0")
    assert "no such interface 'nosuch0'" in line and "tcpdump -D" in line


def test_bad_filter_shows_tcpdump_message(capture):
    line = _fails(capture, "-i", "lo", "--filter", "tcp port")
    assert "rejects the filter 'tcp port'" in line
    assert "syntax error" in line  # tcpdump's own words


def test_unresolvable_host(capture):
    line = _fails(capture, "-i", "lo", "--host", "nosuch.invalid")
    assert "cannot resolve --host" in line and "nosuch.invalid" in line


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is not installed")
def test_no_permission_names_setcap(capture):
    """Root without CAP_NET_RAW (dropped from the bounding set) is refused like a user."""
    line = _fails(capture, "-i", "lo", prefix=("setpriv", "--bounding-set=-net_raw,-net_admin"))
    assert "no permission to capture on lo" in line
    assert "setcap cap_net_raw,cap_net_admin=eip" in line
