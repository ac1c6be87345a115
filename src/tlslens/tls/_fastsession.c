/*
 * tlslens.tls._fastsession: a packet of whole records handed to a TLS session, in C.
 *
 * Why: a connection's handshake is about a dozen records in five packets, and each went
 * through RecordStream.feed, the C splitter, one Record tuple, then TlsSession._record and
 * its branch (_handshake_record, _application_record, _ccs) and _entry, all in Python:
 * about half of the session layer's time, with the parsing of the messages the other half.
 * On a packet that is whole records with plausible headers, perhaps ending in the start
 * of a record still arriving (the usual packet of a handshake; a server's flight cut at
 * the MSS), and after the bytes the stream held from the last packet, whole_records()
 * takes the same decisions in one pass: the ChangeCipherSpec, encrypted-record and
 * encrypted-handshake lines of the ladder are appended here, and each handshake record
 * that holds exactly one message goes to TlsSession._message (parsing stays in Python)
 * as the Python path sends it. Any other record (an alert, a heartbeat, a message over
 * several records, a payload that is odd in any way) goes to TlsSession._record as a
 * Record, as the Python path would; the start of a record still arriving is kept in the
 * stream's buffer, as RecordStream.feed keeps it. The session then holds what the Python
 * path would have given it.
 *
 * It declines (returns False, having changed nothing) unless the packet is such records
 * and the stream and session are in the plain state: a stream reading records (or at the
 * very start of the stream, where a record header at offset 0 is taken as the Python
 * path takes it) with nothing skipped or pending, no NULL cipher. TlsSession.on_data
 * then goes the Python way. A session with a decryptor, or on the fingerprint-only path,
 * never calls it (TlsSession._whole_records). tests/unit/tls/test_fastsession.py runs
 * real handshakes, cut at random places and garbled, both ways.
 *
 * This is an optional speed-up: when it is not built, the Python path does it all.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "../_attrs.h" /* get_attr, set_attr, attr_true: slot fields at their offsets */

#define CT_CHANGE_CIPHER_SPEC 20
#define CT_HANDSHAKE 22
#define CT_APPLICATION_DATA 23

/* Set by configure() from tlslens.tls.session / records / handshake. */
static PyTypeObject *record_type = NULL;  /* records.Record */
static PyTypeObject *entry_type = NULL;   /* session.Entry */
static unsigned char known_message[256];  /* session.HANDSHAKE_TYPE_NAMES, as flags */
static long max_record = 0;               /* records.MAX_RECORD */
static Py_ssize_t max_messages = 0;       /* session.MAX_MESSAGES */
static long max_handshake_length = 0;     /* handshake.MAX_HANDSHAKE_LENGTH */
static int configured = 0;

/* Interned attribute names and ladder kinds, made at import. */
static PyObject *s_null_mac, *s_seen_tls,
    *s_ctx, *s_tls13, *s_record_version, *s_encrypted, *s_hs_broken, *s_hsbuf, *s_state,
    *s_entries, *s_complete, *s_client_side, *s_server_encrypted_seen,
    *s_client_flight_frame, *s_app, *s_encrypted_hs_sides, *s_skip, *s_buf, *s_skipping,
    *s_sslv2, *s_anomalies, *s_base, *s_midstream, *s_found_at, *s_records, *s_search,
    *s_message, *s_record, *s_complete_method, *k_ccs, *k_encrypted_record,
    *k_encrypted_handshake;

/* Truth of obj.name[index] (a list of bools): 1, 0, or -1 with an exception set. */
static int item_true(PyObject *obj, PyObject *name, Py_ssize_t index) {
    PyObject *seq = get_attr(obj, name);
    if (seq == NULL)
        return -1;
    PyObject *item = PySequence_GetItem(seq, index);
    Py_DECREF(seq);
    if (item == NULL)
        return -1;
    int r = PyObject_IsTrue(item);
    Py_DECREF(item);
    return r;
}

/* A tuple subclass instance (NamedTuple) of n items, the references stolen. */
static PyObject *new_tuple(PyTypeObject *type, PyObject **items, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (items[i] == NULL) {
            for (Py_ssize_t j = 0; j < n; j++)
                Py_XDECREF(items[j]);
            return NULL;
        }
    }
    PyObject *t = type->tp_alloc(type, n);
    if (t == NULL) {
        for (Py_ssize_t i = 0; i < n; i++)
            Py_DECREF(items[i]);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(t, i, items[i]);
    return t;
}

/* session.state.entries, a new reference (a list), or NULL with an exception set. */
static PyObject *entries_of(PyObject *session) {
    PyObject *state = get_attr(session, s_state);
    if (state == NULL)
        return NULL;
    PyObject *entries = get_attr(state, s_entries);
    Py_DECREF(state);
    if (entries != NULL && !PyList_Check(entries)) {
        Py_DECREF(entries);
        PyErr_SetString(PyExc_TypeError, "session.state.entries is not a list");
        return NULL;
    }
    return entries;
}

/* TlsSession._entry(side, kind, length, frame, ts_ns, encrypted) for a session that
 * is not decrypting and whose ladder has room (the caller checked). 0 or -1. */
static int append_entry(PyObject *entries, PyObject *side, PyObject *kind, long length,
                        PyObject *frame, PyObject *ts, int encrypted) {
    PyObject *items[7] = {Py_NewRef(side), Py_NewRef(kind), PyLong_FromLong(length),
                          Py_NewRef(frame), Py_NewRef(ts),
                          Py_NewRef(encrypted ? Py_True : Py_False), Py_NewRef(Py_False)};
    PyObject *entry = new_tuple(entry_type, items, 7);
    if (entry == NULL)
        return -1;
    int r = PyList_Append(entries, entry);
    Py_DECREF(entry);
    return r;
}

/* session._record(Record(side, ctype, version, n, fragment, frame, ts_ns, offset)): the
 * Python path's own handling of one record. 0 or -1. */
static int python_record(PyObject *session, PyObject *side, int ctype, int version, long n,
                         const unsigned char *payload, PyObject *frame, PyObject *ts,
                         long long offset) {
    PyObject *items[8] = {Py_NewRef(side), PyLong_FromLong(ctype), PyLong_FromLong(version),
                          PyLong_FromLong(n),
                          PyBytes_FromStringAndSize((const char *)payload, n),
                          Py_NewRef(frame), Py_NewRef(ts), PyLong_FromLongLong(offset)};
    PyObject *rec = new_tuple(record_type, items, 8);
    if (rec == NULL)
        return -1;
    PyObject *args[2] = {session, rec};
    PyObject *r = PyObject_VectorcallMethod(s_record, args,
                                            2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(rec);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

static int call_method0(PyObject *obj, PyObject *name) {
    PyObject *r = PyObject_CallMethodNoArgs(obj, name);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* TlsSession._app[side] += (1 record, n bytes). 0 or -1. */
static int count_application(PyObject *session, Py_ssize_t sidx, long n) {
    PyObject *app = get_attr(session, s_app);
    PyObject *counts = app != NULL ? PySequence_GetItem(app, sidx) : NULL;
    Py_XDECREF(app);
    if (counts == NULL)
        return -1;
    int rc = 0;
    const long add[2] = {1, n};
    for (Py_ssize_t i = 0; i < 2 && rc == 0; i++) {
        PyObject *old = PySequence_GetItem(counts, i);
        PyObject *step = PyLong_FromLong(add[i]);
        PyObject *sum = old != NULL && step != NULL ? PyNumber_Add(old, step) : NULL;
        rc = sum != NULL ? PySequence_SetItem(counts, i, sum) : -1;
        Py_XDECREF(old);
        Py_XDECREF(step);
        Py_XDECREF(sum);
    }
    Py_DECREF(counts);
    return rc;
}

/* The rest of TlsSession._application_record for a TLS 1.3 record before the end: the
 * ladder's encrypted_record line; the server's first one is noted, and the client's
 * first one after it (its Finished) completes the handshake. 0 or -1. */
static int encrypted_record(PyObject *session, PyObject *entries, PyObject *side, long n,
                            PyObject *frame, PyObject *ts) {
    if (append_entry(entries, side, k_encrypted_record, n, frame, ts, 1) < 0)
        return -1;
    PyObject *client = get_attr(session, s_client_side);
    if (client == NULL)
        return -1;
    int server = client != Py_None ? PyObject_RichCompareBool(client, side, Py_NE) : 0;
    Py_DECREF(client);
    if (server < 0)
        return -1;
    if (server)
        return set_attr(session, s_server_encrypted_seen, Py_True);
    int seen = attr_true(session, s_server_encrypted_seen);
    if (seen <= 0)
        return seen;
    PyObject *flight = get_attr(session, s_client_flight_frame);
    if (flight == NULL)
        return -1;
    int rc = flight == Py_None ? set_attr(session, s_client_flight_frame, frame) : 0;
    Py_DECREF(flight);
    return rc == 0 ? call_method0(session, s_complete_method) : -1;
}

/* The ladder's encrypted_handshake line, then TlsSession._check_tls12_complete: the
 * handshake is complete once both sides sent one. 0 or -1. */
static int encrypted_handshake(PyObject *session, PyObject *entries, PyObject *side, long n,
                               PyObject *frame, PyObject *ts) {
    if (append_entry(entries, side, k_encrypted_handshake, n, frame, ts, 1) < 0)
        return -1;
    PyObject *sides = get_attr(session, s_encrypted_hs_sides);
    if (sides == NULL)
        return -1;
    int rc = -1;
    if (!PySet_Check(sides))
        PyErr_SetString(PyExc_TypeError, "session._encrypted_hs_sides is not a set");
    else if (PySet_Add(sides, side) == 0)
        rc = PySet_GET_SIZE(sides) == 2 ? call_method0(session, s_complete_method) : 0;
    Py_DECREF(sides);
    return rc;
}

/* One packet's hand-over: the session's objects read once (its ParseContext and ladder
 * are the same objects all its life) and the state a Python call may change (the NULL
 * cipher's MAC length, TLS 1.3, the list of which sides encrypt, which a ServerHello
 * replaces), read again after each such call. */
typedef struct {
    PyObject *session, *side, *frame, *ts; /* borrowed */
    Py_ssize_t sidx;
    PyObject *ctx, *entries, *encrypted;  /* owned */
    int null_mac, tls13;
    int stale; /* a Python call ran: null_mac, tls13 and encrypted to be read again */
} Call;

static void call_clear(Call *call) {
    Py_CLEAR(call->ctx);
    Py_CLEAR(call->entries);
    Py_CLEAR(call->encrypted);
}

/* Read what may have changed since the last Python call. 0 or -1. */
static int call_refresh(Call *call) {
    call->null_mac = attr_true(call->session, s_null_mac);
    call->tls13 = call->null_mac < 0 ? -1 : attr_true(call->ctx, s_tls13);
    if (call->tls13 < 0)
        return -1;
    Py_XSETREF(call->encrypted, get_attr(call->session, s_encrypted));
    if (call->encrypted == NULL)
        return -1;
    call->stale = 0;
    return 0;
}

static int call_open(Call *call, PyObject *session, PyObject *side, Py_ssize_t sidx,
                     PyObject *frame, PyObject *ts) {
    *call = (Call){session, side, frame, ts, sidx, NULL, NULL, NULL, 0, 0, 1};
    call->ctx = get_attr(session, s_ctx);
    if (call->ctx == NULL || (call->entries = entries_of(session)) == NULL ||
        call_refresh(call) < 0) {
        call_clear(call);
        return -1;
    }
    return 0;
}

/* A handshake record that holds exactly one whole message: TlsSession._message, as
 * _handshake_record calls it. 0 or -1. */
static int one_message(Call *call, int version, const unsigned char *payload, long n) {
    PyObject *rv = PyLong_FromLong(version);
    PyObject *raw = PyBytes_FromStringAndSize((const char *)payload, n);
    int rc = -1;
    if (rv && raw && set_attr(call->ctx, s_record_version, rv) == 0) {
        PyObject *args[6] = {call->session, call->side, raw, call->frame, call->ts, rv};
        PyObject *r = PyObject_VectorcallMethod(s_message, args,
                                                6 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        if (r != NULL) {
            Py_DECREF(r);
            rc = 0;
        }
    }
    Py_XDECREF(rv);
    Py_XDECREF(raw);
    return rc;
}

/* One record, as TlsSession._record would take it (no decryptor, not decrypting): 0, or
 * -1 with an exception set. */
static int one_record(Call *call, int ctype, int version, long n,
                      const unsigned char *payload, long long offset) {
    PyObject *session = call->session, *side = call->side, *frame = call->frame,
             *ts = call->ts;
    Py_ssize_t sidx = call->sidx;
    if (call->stale && call_refresh(call) < 0)
        return -1;
    int rc = 1; /* 1: not taken here, the Python path's _record takes it */
    int room = PyList_GET_SIZE(call->entries) < max_messages;
    if (call->null_mac) { /* an SH of this packet chose a NULL cipher: its own rules */
    } else if (ctype == CT_CHANGE_CIPHER_SPEC) {
        if (room && n == 1 && payload[0] == 1) { /* _ccs, a well-formed one */
            rc = append_entry(call->entries, side, k_ccs, n, frame, ts, 0);
            if (rc == 0 && !call->tls13)
                rc = PySequence_SetItem(call->encrypted, sidx, Py_True);
        }
    } else if (ctype == CT_APPLICATION_DATA) {
        int complete = attr_true(session, s_complete);
        if (complete < 0)
            rc = -1;
        else if (complete || (call->tls13 && room)) { /* _application_record */
            rc = count_application(session, sidx, n);
            if (rc == 0 && !complete) {
                rc = encrypted_record(session, call->entries, side, n, frame, ts);
                call->stale = 1; /* (it may have completed the handshake) */
            }
        }
        /* else TLS <= 1.2 before the end (early data?) or a full ladder: Python */
    } else if (ctype == CT_HANDSHAKE) {
        PyObject *flag = PySequence_GetItem(call->encrypted, sidx);
        int encrypted = flag != NULL ? PyObject_IsTrue(flag) : -1;
        Py_XDECREF(flag);
        if (encrypted < 0)
            rc = -1;
        else if (encrypted && !call->tls13) { /* _handshake_record: a TLS 1.2 Finished */
            if (room) {
                rc = encrypted_handshake(session, call->entries, side, n, frame, ts);
                call->stale = 1;
            }
        } else if (n >= 4 && known_message[payload[0]] &&
                   PyList_GET_SIZE(call->entries) <= max_messages) {
            long body = ((long)payload[1] << 16) | ((long)payload[2] << 8) | payload[3];
            int broken = item_true(session, s_hs_broken, sidx);
            PyObject *hsbuf = NULL, *pending = NULL;
            Py_ssize_t buffered = -1;
            if (broken == 0 && (hsbuf = get_attr(session, s_hsbuf)) != NULL &&
                (pending = PySequence_GetItem(hsbuf, sidx)) != NULL)
                buffered = PyObject_Length(pending);
            Py_XDECREF(hsbuf);
            Py_XDECREF(pending);
            if (broken < 0 || (broken == 0 && buffered < 0))
                rc = -1;
            else if (!broken && buffered == 0 && n == 4 + body &&
                     body <= max_handshake_length) {
                rc = one_message(call, version, payload, n);
                call->stale = 1;
            }
        }
    }
    if (rc == 1) {
        call->stale = 1;
        return python_record(session, side, ctype, version, n, payload, frame, ts, offset);
    }
    return rc;
}

/* The whole plausible records at the front of b[0:end]: their count, and in *used the
 * bytes they take. 0 (declined) when there is none, or when what follows them is not a
 * record still arriving: fewer than 5 bytes, or a plausible header whose payload is not
 * all there (RecordStream keeps either in its buffer; anything else, a bad header, is
 * the Python path's: an anomaly and a resynchronisation). */
static Py_ssize_t whole_records_in(const unsigned char *b, Py_ssize_t end, Py_ssize_t *used) {
    Py_ssize_t p = 0, count = 0;
    while (end - p >= 5) {
        if (b[p] < 20 || b[p] > 24 || b[p + 1] != 3 || b[p + 2] > 4)
            return 0;
        long n = ((long)b[p + 3] << 8) | b[p + 4];
        if (n <= 0 || n > max_record)
            return 0;
        if (end - p - 5 < n)
            break; /* the tail: a record still arriving */
        p += 5 + n;
        count++;
    }
    *used = p;
    return count;
}

/* The session and stream in the plain state (see the top): 1, 0, or -1. *starting: the
 * stream is at its very start (state "search", offset 0); *pending: the bytes it holds
 * (a new reference to its buffer, or NULL when empty). */
static int plain_state(PyObject *session, PyObject *stream, int *starting,
                       PyObject **pending) {
    *starting = 0;
    *pending = NULL;
    /* (No decryptor, not decrypting, not hellos_only: the session asks only then, see
     * TlsSession._whole_records.) */
    int null_mac = attr_true(session, s_null_mac);
    if (null_mac != 0)
        return null_mac < 0 ? -1 : 0;
    PyObject *const stream_flags[4] = {s_skip, s_skipping, s_sslv2, s_anomalies};
    for (int i = 0; i < 4; i++) {
        int r = attr_true(stream, stream_flags[i]);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    PyObject *buf = get_attr(stream, s_buf);
    if (buf == NULL)
        return -1;
    if (!PyByteArray_Check(buf)) {
        Py_DECREF(buf);
        return 0;
    }
    PyObject *state = get_attr(stream, s_state);
    if (state == NULL) {
        Py_DECREF(buf);
        return -1;
    }
    int records = PyUnicode_Check(state) && PyUnicode_Compare(state, s_records) == 0;
    int search = !records && PyUnicode_Check(state) && PyUnicode_Compare(state, s_search) == 0;
    Py_DECREF(state);
    if (PyErr_Occurred()) {
        Py_DECREF(buf);
        return -1;
    }
    if (records) {
        if (PyByteArray_GET_SIZE(buf) > 0)
            *pending = buf;
        else
            Py_DECREF(buf);
        return 1;
    }
    Py_ssize_t buffered = PyByteArray_GET_SIZE(buf);
    Py_DECREF(buf);
    if (!search || buffered > 0)
        return 0;
    /* RecordStream._search's start of stream: offset 0, not joined midway */
    int midstream = attr_true(stream, s_midstream);
    if (midstream != 0)
        return midstream < 0 ? -1 : 0;
    PyObject *base = get_attr(stream, s_base);
    if (base == NULL)
        return -1;
    int at_zero = PyObject_IsTrue(base);
    Py_DECREF(base);
    if (at_zero != 0)
        return at_zero < 0 ? -1 : 0;
    *starting = 1;
    return 1;
}

/* What RecordStream.feed does to the stream before it hands the records out: TLS
 * recognised at offset 0 (at the start), ``used`` bytes consumed, the tail kept in the
 * buffer. The stream's offset before, in *base_offset. 0 or -1. */
static int consume(PyObject *stream, int starting, Py_ssize_t used, const unsigned char *tail,
                   Py_ssize_t tail_len, int had_pending, long long *base_offset) {
    PyObject *base = get_attr(stream, s_base);
    if (base == NULL)
        return -1;
    *base_offset = PyLong_AsLongLong(base);
    PyObject *step = PyLong_FromSsize_t(used);
    PyObject *after = step != NULL ? PyNumber_Add(base, step) : NULL;
    Py_DECREF(base);
    Py_XDECREF(step);
    int ok = after != NULL && !(*base_offset == -1 && PyErr_Occurred());
    if (ok && starting) {
        PyObject *found = get_attr(stream, s_found_at);
        ok = found != NULL;
        if (ok && found == Py_None) {
            PyObject *zero = PyLong_FromLong(0);
            ok = zero != NULL && set_attr(stream, s_found_at, zero) == 0;
            Py_XDECREF(zero);
        }
        Py_XDECREF(found);
        ok = ok && set_attr(stream, s_state, s_records) == 0;
    }
    ok = ok && set_attr(stream, s_base, after) == 0;
    Py_XDECREF(after);
    if (ok && (tail_len > 0 || had_pending)) {
        PyObject *rest = PyByteArray_FromStringAndSize((const char *)tail, tail_len);
        ok = rest != NULL && set_attr(stream, s_buf, rest) == 0;
        Py_XDECREF(rest);
    }
    return ok ? 0 : -1;
}

/* whole_records(session, stream, side, data, frame, ts_ns) -> bool */
static PyObject *whole_records(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "whole_records(session, stream, side, data, frame, ts_ns)");
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "tlslens.tls._fastsession: configure() first");
        return NULL;
    }
    PyObject *session = args[0], *stream = args[1], *side = args[2], *frame = args[4],
             *ts = args[5];
    Py_ssize_t sidx = PyLong_AsSsize_t(side);
    if (sidx == -1 && PyErr_Occurred())
        return NULL;
    if (sidx != 0 && sidx != 1) {
        PyErr_SetString(PyExc_ValueError, "side is 0 or 1");
        return NULL;
    }
    int starting;
    PyObject *pending;
    int plain = plain_state(session, stream, &starting, &pending);
    if (plain <= 0) {
        if (plain < 0)
            return NULL;
        Py_RETURN_FALSE;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[3], &view, PyBUF_SIMPLE) < 0) {
        Py_XDECREF(pending);
        return NULL;
    }
    /* The bytes the stream holds, then the packet's (as RecordStream.feed joins them). */
    PyObject *joined = NULL;
    const unsigned char *b = view.buf;
    Py_ssize_t end = view.len;
    if (pending != NULL) {
        Py_ssize_t held = PyByteArray_GET_SIZE(pending);
        joined = PyBytes_FromStringAndSize(NULL, held + view.len);
        if (joined == NULL) {
            Py_DECREF(pending);
            PyBuffer_Release(&view);
            return NULL;
        }
        memcpy(PyBytes_AS_STRING(joined), PyByteArray_AS_STRING(pending), held);
        memcpy(PyBytes_AS_STRING(joined) + held, view.buf, view.len);
        b = (const unsigned char *)PyBytes_AS_STRING(joined);
        end = held + view.len;
        PyBuffer_Release(&view); /* (the packet's bytes are in ``joined`` now) */
    }
    Py_ssize_t used = 0;
    if (whole_records_in(b, end, &used) == 0) {
        Py_XDECREF(pending);
        Py_XDECREF(joined);
        if (joined == NULL)
            PyBuffer_Release(&view);
        Py_RETURN_FALSE;
    }
    long long base_offset = 0;
    int ok = consume(stream, starting, used, b + used, end - used, pending != NULL,
                     &base_offset) == 0;
    Py_XDECREF(pending);
    /* (TlsSession._record sets seen_tls first, for each record) */
    ok = ok && set_attr(session, s_seen_tls, Py_True) == 0;
    Call call;
    ok = ok && call_open(&call, session, side, sidx, frame, ts) == 0;
    if (ok) {
        Py_ssize_t p = 0;
        while (ok && p < used) {
            int ctype = b[p], version = (b[p + 1] << 8) | b[p + 2];
            long n = ((long)b[p + 3] << 8) | b[p + 4];
            ok = one_record(&call, ctype, version, n, b + p + 5, base_offset + p) == 0;
            p += 5 + n;
        }
        call_clear(&call);
    }
    if (joined != NULL)
        Py_DECREF(joined);
    else
        PyBuffer_Release(&view);
    if (!ok)
        return NULL;
    Py_RETURN_TRUE;
}

/* configure(record_type, entry_type, known_messages, max_record, max_messages,
 *           max_handshake_length) */
static PyObject *configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6 || !PyType_Check(args[0]) || !PyType_Check(args[1]) ||
        !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type) ||
        !PyType_IsSubtype((PyTypeObject *)args[1], &PyTuple_Type) ||
        !PyBytes_Check(args[2]) || PyBytes_GET_SIZE(args[2]) != 256) {
        PyErr_SetString(PyExc_TypeError,
                        "configure(record_type, entry_type, known_messages (256 bytes), "
                        "max_record, max_messages, max_handshake_length)");
        return NULL;
    }
    long mr = PyLong_AsLong(args[3]);
    Py_ssize_t mm = PyLong_AsSsize_t(args[4]);
    long mh = PyLong_AsLong(args[5]);
    if (PyErr_Occurred())
        return NULL;
    Py_XSETREF(record_type, (PyTypeObject *)Py_NewRef(args[0]));
    Py_XSETREF(entry_type, (PyTypeObject *)Py_NewRef(args[1]));
    memcpy(known_message, PyBytes_AS_STRING(args[2]), 256);
    max_record = mr;
    max_messages = mm;
    max_handshake_length = mh;
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"whole_records", (PyCFunction)(void (*)(void))whole_records, METH_FASTCALL,
     "whole_records(session, stream, side, data, frame, ts_ns) -> bool: hand a packet of "
     "whole records to the session as TlsSession.on_data's Python path would; False "
     "(nothing done) when the packet or the session is not in the plain case."},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL,
     "configure(record_type, entry_type, known_messages, max_record, max_messages, "
     "max_handshake_length): the session module's types and limits."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.tls._fastsession",
    "A packet of whole records handed to a TLS session, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fastsession(void) {
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&s_null_mac, "null_mac"},
        {&s_seen_tls, "seen_tls"}, {&s_ctx, "ctx"}, {&s_tls13, "tls13"},
        {&s_record_version, "record_version"}, {&s_encrypted, "encrypted"},
        {&s_hs_broken, "hs_broken"}, {&s_hsbuf, "hsbuf"}, {&s_state, "state"},
        {&s_entries, "entries"}, {&s_complete, "complete"}, {&s_client_side, "client_side"},
        {&s_server_encrypted_seen, "_server_encrypted_seen"},
        {&s_client_flight_frame, "_client_flight_frame"}, {&s_app, "_app"},
        {&s_encrypted_hs_sides, "_encrypted_hs_sides"}, {&s_skip, "skip"}, {&s_buf, "buf"},
        {&s_skipping, "skipping"}, {&s_sslv2, "sslv2"}, {&s_anomalies, "anomalies"},
        {&s_base, "base"}, {&s_midstream, "midstream"}, {&s_found_at, "found_at"},
        {&s_records, "records"}, {&s_search, "search"}, {&s_message, "_message"},
        {&s_record, "_record"}, {&s_complete_method, "_complete"},
        {&k_ccs, "change_cipher_spec"}, {&k_encrypted_record, "encrypted_record"},
        {&k_encrypted_handshake, "encrypted_handshake"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL) {
            *names[i].slot = PyUnicode_InternFromString(names[i].text);
            if (*names[i].slot == NULL)
                return NULL;
        }
    }
    return PyModule_Create(&moduledef);
}
