/*
 * tlslens.flows._fastscan: the pcap record walk and the fast lane's plain packets, in C.
 *
 * Why: on a big capture most packets belong to connections whose handshake is over.
 * In Python each of them costs the record walk (about 1 us) plus the lane (about 2 us),
 * which made the walk a third of `tlslens fingerprint`. This module walks the records of
 * one read buffer of a classic pcap file (scan) or the Enhanced Packet Blocks of a pcapng
 * file (scan_blocks) and handles, without returning to the Python loop, exactly the
 * packets the Python lane (tlslens/flows/lane.py, FastLane.take) handles:
 *
 *   - packets of another shard's connection: dropped (by the shard hash of their
 *     addresses and ports, tlslens.pipeline._shard_index, or, with a claim table, by
 *     the table's owner of that hash (see claim below); or by the lane's ignore entries);
 *   - the SYN/ACK without data that answers a known connection's SYN (its own effects
 *     run in Python: FastLane.synack);
 *   - the in-order packets (data or pure ACK, no SYN/RST) of a known connection
 *     with nothing buffered out of order, and its FINs if they carry no data. The FIN
 *     that ends the connection is taken only when the caller says so (``closing``: a
 *     file walked through its memory map) and then ends it in Python
 *     (FlowTable.close); on a stream it goes the general way, so that the pipeline
 *     hands the connection out at once instead of after the next packet. Their TCP
 *     counters move here. Their bytes:
 *       nothing, when the lane is muted (fingerprint: the hellos are in);
 *       counted here, when the TLS session skims record payloads and every record in
 *         the packet is application data (the session only counts those);
 *       else handed to FastLane.deliver, the same Python the lane calls;
 *   - the stray packets of a connection that has ended while the connection table lets
 *     it linger (its lane entries are marked with Ellipsis): dropped, as the table
 *     drops them; a SYN (maybe a new connection on the 4-tuple) is Python's.
 *
 * Every other record goes back to the Python loop unchanged (the general path).
 * Python stays the owner of every piece of state: a connection's counters are read from
 * its Python objects the first time one scan call meets it, and written back before any
 * Python code runs (FastLane.deliver, or the return). So whatever Python does in between
 * (a retransmission, a sweep, a FIN, the session's own callbacks) is seen at the next
 * packet, and the results are the same, byte for byte, as with the Python lane alone
 * (tests/unit/flows/test_lane.py runs every capture both ways).
 *
 * This is an optional speed-up: when it is not built, tlslens runs the same code paths
 * in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "../_attrs.h" /* get_attr, set_attr, attr_true: slot fields at their offsets */

#define MAX_BLOCK (64u << 20)
#define MAX_RECORD ((1 << 14) + 2048 + 256)
#define MASK32 0xFFFFFFFFULL
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10
#define FLAG_MASK 0x1FF
#define SLOTS 32

enum { NOT_MINE = 0, HANDLED = 1, FAILED = -1 };

/* interned attribute names */
static PyObject *s_done, *s_dirs, *s_pending, *s_compare, *s_isn, *s_next, *s_delivered,
    *s_packets, *s_last_frame, *s_last_ts, *s_consumer, *s_decryptor, *s_streams, *s_state,
    *s_buf, *s_sslv2, *s_skipping, *s_anomalies, *s_skip, *s_skip_rec, *s_base,
    *s_app_records, *s_app_bytes, *s_since_sweep, *s_swept_ns, *s_records, *s_fin, *s_rst;

/* One connection met during one scan call: its Python objects and a working copy of
 * the counters the plain packets change. */
typedef struct {
    PyObject *flow;
    PyObject *dirs[2];
    PyObject *streams[2];   /* the session's record streams, once a side is skimmed */
    int muted;
    int dirty;
    int compare[2];         /* the reassembler keeps bytes to compare retransmissions */
    long long packets, last_frame, last_ts;
    int side_state[2];      /* TCP counters: 0 not loaded, 1 usable, -1 not (no ISN) */
    int session_state;      /* 0 not looked at, 1 a TlsSession without decryptor, -1 not */
    int stream_state[2];    /* 0 not loaded, 1 skimming, -1 not */
    int side_dirty[2];
    int stream_dirty[2];
    uint32_t isn[2];
    long long next[2], delivered[2];
    long long skip[2], base[2], app_records[2], app_bytes[2];
    int has_rec[2], rec_ctype[2], rec_version[2];
    long long rec_n[2], rec_off[2];
} Conn;

typedef struct {
    PyObject_HEAD
    PyObject *entries;       /* the Python lane's dict: raw key -> (flow, side, muted) */
    PyObject *table;         /* the FlowTable (sweep counters) */
    PyObject *session_type;  /* tlslens.tls.session.TlsSession */
    PyObject *deliver;       /* FastLane.deliver: hands a payload to the session */
    PyObject *synack;        /* FastLane.synack: a SYN/ACK's own effects */
    PyObject *close;         /* FlowTable.close: the connection is over (or NULL) */
    long long sweep_every, linger_ns;
    long shard_k, shard_n;   /* analyse shard k of n (n == 1: every connection) */
    Py_buffer claims;        /* the workers' shared claim table (claims.buf NULL: none) */
    int python_only;         /* this call: every packet goes to Python */
    int closing;             /* this call: take the FIN that ends a connection (close) */
    /* per scan call */
    Conn conns[SLOTS];
    int nconns;
    long long since_sweep, swept_ns;
} Scanner;

static inline uint32_t rd32(const unsigned char *p, int little) {
    if (little)
        return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
               ((uint32_t)p[3] << 24);
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

static inline uint32_t be32(const unsigned char *p) { return rd32(p, 0); }
static inline unsigned be16(const unsigned char *p) { return ((unsigned)p[0] << 8) | p[1]; }

/* CRC-32 (IEEE, as zlib.crc32), for the shard hash. */
static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const unsigned char *p, size_t n, uint32_t crc) {
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* The crc32 of a lane key's two endpoints (address, then port), the lower first: what
 * tlslens.pipeline._endpoints_crc computes from a decoded segment. ``key`` is the lane
 * key: source and destination address (alen bytes each), then source and destination
 * port. */
static uint32_t endpoints_crc(const unsigned char *key, size_t alen) {
    unsigned char a[18], b[18];
    memcpy(a, key, alen);
    memcpy(a + alen, key + 2 * alen, 2);
    memcpy(b, key + alen, alen);
    memcpy(b + alen, key + 2 * alen + 2, 2);
    const unsigned char *lo = a, *hi = b;
    if (memcmp(a, b, alen + 2) > 0)
        lo = b, hi = a;
    return crc32_of(hi, alen + 2, crc32_of(lo, alen + 2, 0));
}

/* tlslens.pipeline._shard_index from the frame's bytes: the endpoints' crc modulo n. */
static long shard_of(const unsigned char *key, size_t alen, long n) {
    return (long)(endpoints_crc(key, alen) % (uint32_t)n);
}

/* Dynamic shards (tlslens.parallel): the workers share a table of one byte per hash
 * slot (its size a power of two), 0 while no worker has met a connection of that slot,
 * else the owner's number + 1. The first worker whose walk meets a packet of the slot
 * takes it, with an atomic compare-and-swap, and keeps it for the run: every later
 * packet of every connection of that slot (a 4-tuple reused, both directions) is that
 * worker's, in every process. So the worker ahead in the capture, the one with less to
 * do, takes the new connections, and neither waits for the slower one at the end.
 * ``me`` is the worker's number + 1. Returns whether the slot is ``me``'s. */
static int claim_slot(unsigned char *table, size_t size, uint32_t crc, unsigned char me) {
    unsigned char *slot = table + (crc & (size - 1));
    unsigned char owner = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (owner == 0) {
        unsigned char expected = 0;
        if (__atomic_compare_exchange_n(slot, &expected, me, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
        owner = expected;
    }
    return owner == me;
}

/* Whether the connection of a lane key is this scanner's to analyse. */
static int mine(Scanner *self, const unsigned char *key, size_t alen) {
    if (self->shard_n <= 1)
        return 1;
    if (self->claims.buf != NULL)
        return claim_slot(self->claims.buf, (size_t)self->claims.len,
                          endpoints_crc(key, alen), (unsigned char)(self->shard_k + 1));
    return shard_of(key, alen, self->shard_n) == self->shard_k;
}

/* Same test as tlslens.tls.records._plausible_header. */
static inline long plausible(const unsigned char *p) {
    if (p[0] < 20 || p[0] > 24 || p[1] != 3 || p[2] > 4)
        return -1;
    long n = ((long)p[3] << 8) | p[4];
    return (n > 0 && n <= MAX_RECORD) ? n : -1;
}

/* ---- reading and writing Python attributes ------------------------------------------ */

/* An integer (0), or one beyond 64 bits (1: a damaged capture's time, say; Python then
 * handles the packet), or an error (-1, raised). */
static int as_ll(PyObject *v, long long *out) {
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (*out == -1 && PyErr_Occurred())
        return -1;
    return overflow ? 1 : 0;
}

static int get_ll(PyObject *obj, PyObject *name, long long *out) {
    PyObject *v = get_attr(obj, name);
    if (v == NULL)
        return -1;
    int r = as_ll(v, out);
    Py_DECREF(v);
    return r;
}

static int set_ll(PyObject *obj, PyObject *name, long long value) {
    PyObject *v = PyLong_FromLongLong(value);
    if (v == NULL)
        return -1;
    int r = set_attr(obj, name, v);
    Py_DECREF(v);
    return r;
}

static void conn_clear(Conn *c) {
    Py_CLEAR(c->flow);
    for (int s = 0; s < 2; s++) {
        Py_CLEAR(c->dirs[s]);
        Py_CLEAR(c->streams[s]);
    }
}

/* Load a connection's flow-level state. 1: usable; 0: not a case for C (Python handles
 * the packet); -1: error. On 0 and -1 the slot is left clear. */
static int conn_load(Conn *c, PyObject *flow, int muted) {
    memset(c, 0, sizeof(*c));
    int r = attr_true(flow, s_done);
    if (r != 0)
        return r < 0 ? -1 : 0;
    PyObject *dirs = get_attr(flow, s_dirs);
    if (dirs == NULL)
        return -1;
    if (!PyTuple_Check(dirs) || PyTuple_GET_SIZE(dirs) != 2) {
        Py_DECREF(dirs);
        return 0;
    }
    for (int s = 0; s < 2; s++) {
        PyObject *d = PyTuple_GET_ITEM(dirs, s);
        /* nothing buffered out of order: the lane's ACK and in-order tests then hold
         * for the whole call */
        if ((r = attr_true(d, s_pending)) != 0) {
            Py_DECREF(dirs);
            return r < 0 ? -1 : 0;
        }
        if ((r = attr_true(d, s_compare)) < 0) {
            Py_DECREF(dirs);
            return -1;
        }
        c->compare[s] = r;
    }
    Py_INCREF(flow);
    c->flow = flow;
    c->muted = muted;
    for (int s = 0; s < 2; s++) {
        c->dirs[s] = PyTuple_GET_ITEM(dirs, s);
        Py_INCREF(c->dirs[s]);
    }
    Py_DECREF(dirs);
    r = get_ll(flow, s_packets, &c->packets);
    if (r != 0) {
        conn_clear(c);
        return r < 0 ? -1 : 0;
    }
    return 1;
}

/* Whether the consumer is a TlsSession without decryptor (its streams then skim
 * record payloads on their own); loads its streams. 1 yes, 0 no, -1 error. */
static int session_load(Scanner *self, Conn *c) {
    PyObject *session = get_attr(c->flow, s_consumer);
    if (session == NULL)
        return -1;
    if ((PyObject *)Py_TYPE(session) != self->session_type) {
        Py_DECREF(session);
        return 0;
    }
    PyObject *dec = get_attr(session, s_decryptor);
    PyObject *streams = dec ? get_attr(session, s_streams) : NULL;
    Py_DECREF(session);
    if (dec == NULL || streams == NULL) {
        Py_XDECREF(dec);
        return -1;
    }
    int ok = dec == Py_None && PyTuple_Check(streams) && PyTuple_GET_SIZE(streams) == 2;
    Py_DECREF(dec);
    if (ok) {
        for (int s = 0; s < 2; s++) {
            c->streams[s] = PyTuple_GET_ITEM(streams, s);
            Py_INCREF(c->streams[s]);
        }
    }
    Py_DECREF(streams);
    return ok;
}

/* Load one side's reassembly counters. 1 usable, 0 not (no ISN yet), -1 error. */
static int side_load(Conn *c, int s) {
    PyObject *d = c->dirs[s];
    PyObject *isn = get_attr(d, s_isn);
    if (isn == NULL)
        return -1;
    if (isn == Py_None) {
        Py_DECREF(isn);
        return 0;
    }
    long long v;
    int r = as_ll(isn, &v);
    Py_DECREF(isn);
    if (r != 0)
        return r < 0 ? -1 : 0;
    c->isn[s] = (uint32_t)v;
    if ((r = get_ll(d, s_next, &c->next[s])) != 0 ||
        (r = get_ll(d, s_delivered, &c->delivered[s])) != 0)
        return r < 0 ? -1 : 0;
    return 1;
}

/* Load one side's record-stream counters when it skims. 1 skims, 0 not, -1 error. */
static int stream_load(Scanner *self, Conn *c, int s) {
    if (c->session_state == 0) {
        int r = session_load(self, c);
        if (r < 0)
            return -1;
        c->session_state = r ? 1 : -1;
    }
    if (c->session_state != 1)
        return 0;
    PyObject *st = c->streams[s];
    /* RecordStream in its skimming state: records found, nothing buffered, TLS framing,
     * payloads skipped, no anomaly waiting to be collected */
    PyObject *state = get_attr(st, s_state);
    if (state == NULL)
        return -1;
    int eq = PyUnicode_Check(state) && PyUnicode_Compare(state, s_records) == 0;
    Py_DECREF(state);
    if (!eq)
        return PyErr_Occurred() ? -1 : 0;
    int r;
    if ((r = attr_true(st, s_buf)) != 0 || (r = attr_true(st, s_sslv2)) != 0 ||
        (r = attr_true(st, s_anomalies)) != 0)
        return r < 0 ? -1 : 0;
    if ((r = attr_true(st, s_skipping)) != 1)
        return r;
    if ((r = get_ll(st, s_skip, &c->skip[s])) != 0 ||
        (r = get_ll(st, s_base, &c->base[s])) != 0 ||
        (r = get_ll(st, s_app_records, &c->app_records[s])) != 0 ||
        (r = get_ll(st, s_app_bytes, &c->app_bytes[s])) != 0)
        return r < 0 ? -1 : 0;
    PyObject *rec = get_attr(st, s_skip_rec);
    if (rec == NULL)
        return -1;
    if (rec == Py_None) {
        c->has_rec[s] = 0;
    } else if (PyTuple_Check(rec) && PyTuple_GET_SIZE(rec) == 4) {
        long long f[4];
        for (int i = 0; i < 4; i++) {
            if ((r = as_ll(PyTuple_GET_ITEM(rec, i), &f[i])) != 0) {
                Py_DECREF(rec);
                return r < 0 ? -1 : 0;
            }
        }
        c->has_rec[s] = 1;
        c->rec_ctype[s] = (int)f[0];
        c->rec_version[s] = (int)f[1];
        c->rec_n[s] = f[2];
        c->rec_off[s] = f[3];
    } else {
        Py_DECREF(rec);
        return 0;
    }
    Py_DECREF(rec);
    return 1;
}

/* Write a connection's working copy back to its Python objects. */
static int conn_store(Conn *c) {
    if (!c->dirty)
        return 0;
    if (set_ll(c->flow, s_packets, c->packets) < 0 ||
        set_ll(c->flow, s_last_frame, c->last_frame) < 0 ||
        set_ll(c->flow, s_last_ts, c->last_ts) < 0)
        return -1;
    for (int s = 0; s < 2; s++) {
        if (!c->side_dirty[s])
            continue;
        if (set_ll(c->dirs[s], s_next, c->next[s]) < 0 ||
            set_ll(c->dirs[s], s_delivered, c->delivered[s]) < 0)
            return -1;
        if (!c->stream_dirty[s])
            continue;
        PyObject *st = c->streams[s];
        if (set_ll(st, s_skip, c->skip[s]) < 0 || set_ll(st, s_base, c->base[s]) < 0 ||
            set_ll(st, s_app_records, c->app_records[s]) < 0 ||
            set_ll(st, s_app_bytes, c->app_bytes[s]) < 0)
            return -1;
        PyObject *rec;
        if (c->has_rec[s]) {
            rec = Py_BuildValue("(iiLL)", c->rec_ctype[s], c->rec_version[s], c->rec_n[s],
                                c->rec_off[s]);
            if (rec == NULL)
                return -1;
        } else {
            rec = Py_NewRef(Py_None);
        }
        int r = set_attr(st, s_skip_rec, rec);
        Py_DECREF(rec);
        if (r < 0)
            return -1;
    }
    c->dirty = 0;
    return 0;
}

/* Store and drop every connection of this call; 0 or -1 (error set). */
static int flush_conns(Scanner *self) {
    int r = 0;
    for (int i = 0; i < self->nconns; i++) {
        if (r == 0 && conn_store(&self->conns[i]) < 0)
            r = -1;
        conn_clear(&self->conns[i]);
    }
    self->nconns = 0;
    return r;
}

/* The working copy of ``flow`` in this call: a slot, NULL when C does not handle it
 * (*err set on error). */
static Conn *conn_for(Scanner *self, PyObject *flow, int muted, int *err) {
    for (int i = 0; i < self->nconns; i++)
        if (self->conns[i].flow == flow)
            return &self->conns[i];
    if (self->nconns == SLOTS && flush_conns(self) < 0) {
        *err = 1;
        return NULL;
    }
    Conn *c = &self->conns[self->nconns];
    int r = conn_load(c, flow, muted);
    if (r < 0)
        *err = 1;
    if (r <= 0)
        return NULL;
    self->nconns++;
    return c;
}

/* What TlsSession.on_data does with ``n`` bytes when the stream skims, computed on a
 * copy: 1 and committed when every record met is application data, 0 (nothing changed)
 * when Python must see the bytes. */
static int skim(Conn *c, int s, const unsigned char *p, long long n) {
    long long skip = c->skip[s], base = c->base[s], ar = c->app_records[s],
              ab = c->app_bytes[s];
    int has_rec = c->has_rec[s], rct = c->rec_ctype[s], rver = c->rec_version[s];
    long long rn = c->rec_n[s], roff = c->rec_off[s];
    long long off = 0;
    if (skip > n) {
        skip -= n;
        base += n;
        goto commit;
    }
    if (skip) {
        base += skip;
        off = skip;
        skip = 0;
        if (!has_rec || rct != 23)
            return 0; /* a skipped record other than application data: Python reports it */
        ar += 1;
        ab += rn;
        has_rec = 0;
        if (off == n)
            goto commit;
    }
    {
        long long q = off, skim_base = base;
        while (q + 5 <= n) {
            long len = plausible(p + q);
            if (len < 0)
                break;
            int ct = p[q];
            if (q + 5 + len > n) {
                skip = len - (n - q - 5);
                has_rec = 1;
                rct = ct;
                rver = (int)be16(p + q + 1);
                rn = len;
                roff = skim_base + (q - off);
                q = n;
                base = skim_base + (n - off);
                goto commit;
            }
            if (ct != 23)
                return 0;
            ar += 1;
            ab += len;
            q += 5 + len;
        }
        if (q < n)
            return 0; /* a partial header or no header: the stream buffers it */
        base = skim_base + (q - off);
    }
commit:
    c->skip[s] = skip;
    c->base[s] = base;
    c->app_records[s] = ar;
    c->app_bytes[s] = ab;
    c->has_rec[s] = has_rec;
    c->rec_ctype[s] = rct;
    c->rec_version[s] = rver;
    c->rec_n[s] = rn;
    c->rec_off[s] = roff;
    return 1;
}

/* Whether a FIN from ``side`` would end the connection (a reset, or the other side's
 * FIN, was seen): 1, 0, or -1 (error set). */
static int fin_ends(PyObject *flow, long side) {
    int r = attr_true(flow, s_rst);
    if (r != 0)
        return r;
    PyObject *fins = get_attr(flow, s_fin);
    if (fins == NULL)
        return -1;
    PyObject *other = PySequence_GetItem(fins, 1 - side);
    Py_DECREF(fins);
    if (other == NULL)
        return -1;
    r = PyObject_IsTrue(other);
    Py_DECREF(other);
    return r;
}

/* flow.fin[side] = True (what FlowTable._segment does for a FIN that ends nothing). */
static int set_fin(PyObject *flow, long side) {
    PyObject *fins = get_attr(flow, s_fin);
    if (fins == NULL)
        return -1;
    int r = PySequence_SetItem(fins, side, Py_True);
    Py_DECREF(fins);
    return r;
}

/* Call ``fn(*args)`` from the walk: every working copy goes back and the sweep counter
 * is written first (the Python may read both). 0, or -1 with the error set. */
static int call_python(Scanner *self, PyObject *fn, PyObject *const *args, size_t nargs) {
    if (flush_conns(self) < 0 || set_ll(self->table, s_since_sweep, self->since_sweep) < 0)
        return -1;
    PyObject *res = PyObject_Vectorcall(fn, args, nargs, NULL);
    Py_XDECREF(res);
    return res == NULL ? -1 : 0;
}

/* FastLane._synack: the SYN/ACK without data that answers a known connection's SYN. Its
 * counters move here; its own effects (FlowTable's SYN branch) are FastLane.synack's,
 * called after every working copy went back. Anything else with SYN: Python. */
static int synack(Scanner *self, PyObject *flow, PyObject *pyside, PyObject *pymuted,
                  unsigned flags, uint32_t seq, Py_ssize_t n, long long frame, long long ts) {
    if (!(flags & F_ACK) || (flags & (F_FIN | F_RST)) || n != 0)
        return NOT_MINE;
    long side = PyLong_AsLong(pyside);
    if ((side != 0 && side != 1) || PyErr_Occurred()) {
        PyErr_Clear();
        return NOT_MINE;
    }
    int muted = PyObject_IsTrue(pymuted);
    if (muted < 0)
        return FAILED;
    int err = 0;
    Conn *c = conn_for(self, flow, muted, &err); /* not done, nothing pending either way */
    if (c == NULL)
        return err ? FAILED : NOT_MINE;
    if (c->muted != muted)
        return NOT_MINE;
    /* FlowTable.tick: a sweep is due on this packet: Python does it */
    if (self->since_sweep + 1 >= self->sweep_every ||
        (__int128)ts - self->swept_ns > self->linger_ns)
        return NOT_MINE;
    c->packets += 1;
    c->last_frame = frame;
    c->last_ts = ts;
    c->dirty = 1;
    self->since_sweep += 1;
    PyObject *pyseq = PyLong_FromUnsignedLong(seq);
    Py_INCREF(flow);
    PyObject *args[3] = {flow, pyside, pyseq};
    int failed = pyseq == NULL || call_python(self, self->synack, args, 3) < 0;
    Py_DECREF(flow);
    Py_XDECREF(pyseq);
    return failed ? FAILED : HANDLED;
}

/* The closing FIN's end, its counters moved: every working copy goes back, then
 * FlowTable.close(flow, ts) ends the connection as FlowTable._segment would. */
static int close_flow(Scanner *self, PyObject *flow, long long ts) {
    PyObject *pyts = PyLong_FromLongLong(ts);
    Py_INCREF(flow); /* (borrowed from the lane's entry, which the end replaces) */
    PyObject *args[2] = {flow, pyts};
    int failed = pyts == NULL || call_python(self, self->close, args, 2) < 0;
    Py_DECREF(flow);
    Py_XDECREF(pyts);
    return failed ? FAILED : HANDLED;
}

/* The Python lane's decision for one Ethernet frame, taken here when it needs no Python. */
static int lane(Scanner *self, const unsigned char *d, Py_ssize_t n_data, long long frame,
                long long ts) {
    if (n_data < 54 || self->python_only)
        return NOT_MINE;
    const unsigned char *key;
    Py_ssize_t klen;
    int v4;
    if (d[12] == 8 && d[13] == 0) {
        key = d + 26, klen = 12, v4 = 1;
    } else if (d[12] == 0x86 && d[13] == 0xDD && n_data >= 74) {
        key = d + 22, klen = 36, v4 = 0;
    } else {
        return NOT_MINE;
    }
    uint32_t seq;
    unsigned offflags;
    Py_ssize_t start, stop;
    if (v4) {
        unsigned total = be16(d + 16), frag = be16(d + 20);
        if (d[14] != 0x45 || d[23] != 6 || (frag & 0x3FFF) || total < 40 ||
            (Py_ssize_t)total > n_data - 14)
            return NOT_MINE;
        seq = be32(d + 38);
        offflags = be16(d + 46);
        unsigned hl = (offflags >> 12) << 2;
        if (hl < 20 || hl > total - 20)
            return NOT_MINE;
        start = 34 + hl, stop = 14 + total;
    } else {
        unsigned plen = be16(d + 18);
        if (d[20] != 6 || plen < 20 || (Py_ssize_t)plen > n_data - 54 || (d[14] >> 4) != 6)
            return NOT_MINE;
        seq = be32(d + 58);
        offflags = be16(d + 66);
        unsigned hl = (offflags >> 12) << 2;
        if (hl < 20 || hl > plen)
            return NOT_MINE;
        start = 54 + hl, stop = 54 + plen;
    }
    /* Another shard's connection: what the pipeline drops after decoding it. */
    if (!mine(self, key, v4 ? 4 : 16))
        return HANDLED;
    PyObject *k = PyBytes_FromStringAndSize((const char *)key, klen);
    if (k == NULL)
        return FAILED;
    PyObject *hit = PyDict_GetItemWithError(self->entries, k); /* borrowed */
    Py_DECREF(k);
    if (hit == NULL)
        return PyErr_Occurred() ? FAILED : NOT_MINE;
    if (!PyTuple_Check(hit) || PyTuple_GET_SIZE(hit) != 3)
        return NOT_MINE;
    PyObject *flow = PyTuple_GET_ITEM(hit, 0);
    if (flow == Py_None)
        return HANDLED; /* another shard's connection */
    unsigned flags = offflags & FLAG_MASK;
    if (flow == Py_Ellipsis) /* an ended connection's stray: dropped; a SYN: Python's */
        return (flags & (F_SYN | F_ACK)) == F_SYN ? NOT_MINE : HANDLED;
    if (flags & F_SYN)
        return synack(self, flow, PyTuple_GET_ITEM(hit, 1), PyTuple_GET_ITEM(hit, 2), flags,
                      seq, stop - start, frame, ts);
    if (flags & F_RST)
        return NOT_MINE;
    int fin = (flags & F_FIN) != 0;
    long side = PyLong_AsLong(PyTuple_GET_ITEM(hit, 1));
    if ((side != 0 && side != 1) || PyErr_Occurred()) {
        PyErr_Clear();
        return NOT_MINE;
    }
    int muted = PyObject_IsTrue(PyTuple_GET_ITEM(hit, 2));
    if (muted < 0)
        return FAILED;
    int err = 0;
    Conn *c = conn_for(self, flow, muted, &err);
    if (c == NULL)
        return err ? FAILED : NOT_MINE;
    if (c->muted != muted)
        return NOT_MINE;
    if (c->side_state[side] == 0) {
        int r = side_load(c, (int)side);
        if (r < 0)
            return FAILED;
        c->side_state[side] = r ? 1 : -1;
    }
    if (c->side_state[side] != 1)
        return NOT_MINE;
    long long n = stop - start;
    int closing = 0; /* the FIN that ends the connection (the other side's FIN is in) */
    if (fin) { /* a FIN without data; the closing one only when this call may take it */
        int r = n ? 1 : fin_ends(flow, side);
        if (r < 0)
            return FAILED;
        if (r) {
            if (n || !self->closing || self->close == NULL)
                return NOT_MINE;
            int rst = attr_true(flow, s_rst); /* after a reset: the general way */
            if (rst != 0)
                return rst < 0 ? FAILED : NOT_MINE;
            closing = 1;
        }
    }
    if (n && (((unsigned long long)seq - c->isn[side]) & MASK32) !=
                 ((unsigned long long)c->next[side] & MASK32))
        return NOT_MINE;
    /* FlowTable.tick: a sweep is due on this packet: Python does it */
    if (self->since_sweep + 1 >= self->sweep_every ||
        (__int128)ts - self->swept_ns > self->linger_ns)
        return NOT_MINE;
    int to_python = 0; /* the session must see the bytes (FastLane.deliver) */
    if (n && !muted) {
        to_python = 1;
        if (!c->compare[side]) { /* nothing to keep for retransmissions: maybe skim */
            if (c->stream_state[side] == 0) {
                int r = stream_load(self, c, (int)side);
                if (r < 0)
                    return FAILED;
                c->stream_state[side] = r ? 1 : -1;
            }
            if (c->stream_state[side] == 1 && skim(c, (int)side, d + start, n)) {
                c->stream_dirty[side] = 1;
                to_python = 0;
            }
        }
    }
    /* What FlowTable.add does for such a segment, in the same order. */
    c->packets += 1;
    c->last_frame = frame;
    c->last_ts = ts;
    c->dirty = 1;
    if (n) {
        c->next[side] += n;
        c->delivered[side] += n;
        c->side_dirty[side] = 1;
    }
    self->since_sweep += 1;
    if (fin && set_fin(flow, side) < 0)
        return FAILED;
    if (closing)
        return close_flow(self, flow, ts);
    if (!to_python)
        return HANDLED;
    /* Python runs now: every working copy goes back first, and is read again after. */
    PyObject *payload = PyBytes_FromStringAndSize((const char *)d + start, n);
    PyObject *pyside = PyLong_FromLong(side);
    PyObject *pyframe = PyLong_FromLongLong(frame);
    PyObject *pyts = PyLong_FromLongLong(ts);
    Py_INCREF(flow);
    PyObject *args[5] = {flow, pyside, payload, pyframe, pyts};
    int failed = payload == NULL || pyside == NULL || pyframe == NULL || pyts == NULL ||
                 call_python(self, self->deliver, args, 5) < 0;
    Py_DECREF(flow);
    Py_XDECREF(payload);
    Py_XDECREF(pyside);
    Py_XDECREF(pyframe);
    Py_XDECREF(pyts);
    return failed ? FAILED : HANDLED;
}

/* Per call: the sweep counters are read first and written back last. */
static int scan_begin(Scanner *self) {
    int r1 = get_ll(self->table, s_since_sweep, &self->since_sweep);
    int r2 = r1 < 0 ? 0 : get_ll(self->table, s_swept_ns, &self->swept_ns);
    if (r1 < 0 || r2 < 0)
        return -1;
    /* A sweep time beyond 64 bits (a damaged capture's): the sweep decisions are
     * Python's, so is every packet of this call. */
    self->python_only = r1 || r2;
    return 0;
}

static int scan_end(Scanner *self, long long since0) {
    int failed = flush_conns(self) < 0;
    if (!failed && self->since_sweep != since0 &&
        set_ll(self->table, s_since_sweep, self->since_sweep) < 0)
        failed = 1;
    return failed ? -1 : 0;
}

/* scan_end after an error: the working copies still go back (the state stays
 * consistent), and the first error is the one raised. */
static void scan_end_failed(Scanner *self, long long since0) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (scan_end(self, since0) < 0)
        PyErr_Clear();
    PyErr_Restore(type, value, tb);
}

/* scan(buf, pos, idx, ts, little, nanos, record_size, closing=False, stop=-1)
 *     -> (pos, idx, ts, data | None, orig_len)
 *
 * Classic pcap: walk the complete records of ``buf`` from ``pos`` (record headers of
 * ``record_size`` bytes in the byte order ``little`` says, fractions in ns or us).
 * Records the lane handles here are consumed silently; the first one it does not is
 * consumed and returned (its bytes and original length) for Python to handle. ``None``
 * means no complete record is left (or the next one has an impossible length): Python's
 * own loop reads on from ``pos``. ``closing``: the FIN that ends a connection may be
 * taken here too (see the top of this file). ``stop`` (when >= 0): the walk ends there,
 * as if ``buf`` did (a record across it is left to Python), so that a caller walking a
 * memory map gives the pages behind back between calls. */
static PyObject *scan_records(Scanner *self, const unsigned char *b, Py_ssize_t end,
                              Py_ssize_t pos, long long idx, long long ts, int little,
                              int nanos, Py_ssize_t hs);

static PyObject *Scanner_scan(Scanner *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, hs;
    long long idx, ts;
    int little, nanos, closing = 0;
    Py_ssize_t stop = -1;
    /* Any contiguous bytes-like buffer: bytes, or the read-only memory map of a whole
     * capture file (tlslens.capture.reader.CaptureReader.mapped). Held, so not released
     * or resized, until the walk returns. */
    if (!PyArg_ParseTuple(args, "y*nLLppn|pn", &view, &pos, &idx, &ts, &little, &nanos, &hs,
                          &closing, &stop))
        return NULL;
    self->closing = closing;
    PyObject *result = NULL;
    if (hs < 16) {
        PyErr_SetString(PyExc_ValueError, "record_size must be at least 16");
    } else {
        Py_ssize_t end = stop >= 0 && stop < view.len ? stop : view.len;
        result = scan_records(self, (const unsigned char *)view.buf, end, pos, idx, ts,
                              little, nanos, hs);
    }
    PyBuffer_Release(&view);
    return result;
}

static PyObject *scan_records(Scanner *self, const unsigned char *b, Py_ssize_t end,
                              Py_ssize_t pos, long long idx, long long ts, int little,
                              int nanos, Py_ssize_t hs) {
    long long mul = nanos ? 1 : 1000;
    if (scan_begin(self) < 0)
        return NULL;
    long long since0 = self->since_sweep;
    PyObject *data = NULL;
    long long orig = 0;
    int failed = 0;
    while (pos >= 0 && end - pos >= hs) {
        const unsigned char *h = b + pos;
        uint32_t incl = rd32(h + 8, little);
        if (incl > MAX_BLOCK || (Py_ssize_t)incl > end - pos - hs)
            break;
        long long rts = (long long)rd32(h, little) * 1000000000LL +
                        (long long)rd32(h + 4, little) * mul;
        const unsigned char *d = h + hs;
        int r = lane(self, d, (Py_ssize_t)incl, idx + 1, rts);
        if (r == FAILED) {
            failed = 1;
            break;
        }
        idx += 1;
        ts = rts;
        pos += hs + incl;
        if (r == NOT_MINE) {
            data = PyBytes_FromStringAndSize((const char *)d, incl);
            if (data == NULL)
                failed = 1;
            orig = rd32(h + 12, little);
            break;
        }
    }
    if (failed) {
        scan_end_failed(self, since0);
        Py_XDECREF(data);
        return NULL;
    }
    if (scan_end(self, since0) < 0) {
        Py_XDECREF(data);
        return NULL;
    }
    if (data == NULL)
        data = Py_NewRef(Py_None);
    return Py_BuildValue("(nLLNL)", pos, idx, ts, data, orig);
}

#define EPB_TYPE 6
#define MAX_INTERFACES 64
/* Python judges packet times outside years 1970..9999 (tlslens.capture.pcapng.MAX_TS_NS,
 * beyond 64 bits); here a time must be in 0..INT64_MAX, which lies inside that range. */
#define MAX_TS_NS ((__int128)LLONG_MAX)

typedef struct {
    int usable;
    long long mul, div, offset;
} Iface;

/* scan_blocks(buf, pos, idx, ts, little, interfaces, closing=False, stop=-1)
 *     -> (pos, idx, ts)
 *
 * pcapng: walk the Enhanced Packet Blocks of ``buf`` from ``pos`` while the lane handles
 * their packets here, and stop, without consuming it, at the first block that is
 * anything else: another block type, a block not complete in ``buf``, a length or time
 * Python must judge, an interface not in ``interfaces``, a packet the lane leaves to
 * Python. ``interfaces`` has, per interface id of the section, ``(mul, div, offset_ns)``
 * (time = units * mul // div + offset_ns) or None (not Ethernet, or a time scale that
 * does not fit 64 bits): tlslens.capture.pcapng.iter_blocks makes it. ``closing`` and
 * ``stop`` as for scan(). */
static PyObject *Scanner_scan_blocks(Scanner *self, PyObject *args) {
    PyObject *buf, *interfaces;
    Py_ssize_t pos;
    long long idx, ts;
    int little, closing = 0;
    Py_ssize_t stop = -1;
    /* buf: any contiguous bytes-like buffer, as for scan() */
    if (!PyArg_ParseTuple(args, "OnLLpO!|pn", &buf, &pos, &idx, &ts, &little, &PyTuple_Type,
                          &interfaces, &closing, &stop))
        return NULL;
    self->closing = closing;
    Iface ifaces[MAX_INTERFACES];
    Py_ssize_t nif = PyTuple_GET_SIZE(interfaces);
    if (nif > MAX_INTERFACES)
        nif = MAX_INTERFACES; /* packets of the others: Python */
    for (Py_ssize_t i = 0; i < nif; i++) {
        PyObject *it = PyTuple_GET_ITEM(interfaces, i);
        ifaces[i].usable = 0;
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 3)
            continue;
        long long v[3];
        int ok = 1;
        for (int k = 0; k < 3; k++) {
            int r = as_ll(PyTuple_GET_ITEM(it, k), &v[k]);
            if (r < 0)
                return NULL;
            if (r)
                ok = 0;
        }
        if (ok && v[0] > 0 && v[0] <= 1000000000LL && v[1] > 0) {
            ifaces[i].usable = 1;
            ifaces[i].mul = v[0];
            ifaces[i].div = v[1];
            ifaces[i].offset = v[2];
        }
    }
    Py_buffer view;
    if (PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *b = (const unsigned char *)view.buf;
    Py_ssize_t end = stop >= 0 && stop < view.len ? stop : view.len;
    if (scan_begin(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    long long since0 = self->since_sweep;
    int failed = 0;
    while (pos >= 0 && end - pos >= 32) {
        const unsigned char *h = b + pos;
        uint32_t btype = rd32(h, little), blen = rd32(h + 4, little);
        if (btype != EPB_TYPE || blen < 32 || (blen & 3) || blen > MAX_BLOCK ||
            (Py_ssize_t)blen > end - pos || rd32(h + blen - 4, little) != blen)
            break;
        uint32_t iface = rd32(h + 8, little), caplen = rd32(h + 20, little);
        if (caplen > blen - 32 || iface >= (uint32_t)nif || !ifaces[iface].usable)
            break;
        unsigned long long units =
            ((unsigned long long)rd32(h + 12, little) << 32) | rd32(h + 16, little);
        __int128 t = (__int128)units * ifaces[iface].mul / ifaces[iface].div +
                     ifaces[iface].offset;
        if (t < 0 || t > MAX_TS_NS)
            break;
        int r = lane(self, h + 28, (Py_ssize_t)caplen, idx + 1, (long long)t);
        if (r == FAILED) {
            failed = 1;
            break;
        }
        if (r == NOT_MINE)
            break;
        idx += 1;
        ts = (long long)t;
        pos += blen;
    }
    PyBuffer_Release(&view);
    if (failed) {
        scan_end_failed(self, since0);
        return NULL;
    }
    if (scan_end(self, since0) < 0)
        return NULL;
    return Py_BuildValue("(nLL)", pos, idx, ts);
}

/* A claim table from Python: writable, contiguous, its size a power of two; ``k`` a
 * worker number it can hold (0..254). */
static int get_claim_table(PyObject *obj, Py_buffer *view, long k) {
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        view->buf = NULL;
        return -1;
    }
    if (view->len < 1 || (view->len & (view->len - 1)) != 0 || k < 0 || k > 254) {
        PyBuffer_Release(view);
        view->buf = NULL;
        PyErr_SetString(PyExc_ValueError, "a claim table's size must be a power of two, "
                                          "and the worker number in 0..254");
        return -1;
    }
    return 0;
}

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"entries", "table", "session_type", "deliver", "synack",
                             "sweep_every", "linger_ns", "shard_k", "shard_n", "claims",
                             "close", NULL};
    PyObject *entries, *table, *stype, *deliver, *synack_cb;
    long long sweep_every, linger;
    long shard_k = 0, shard_n = 1;
    PyObject *claims = Py_None, *close_cb = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OOOOLL|llOO", kwlist, &PyDict_Type,
                                     &entries, &table, &stype, &deliver, &synack_cb,
                                     &sweep_every, &linger, &shard_k, &shard_n, &claims,
                                     &close_cb))
        return -1;
    if (!PyCallable_Check(synack_cb)) {
        PyErr_SetString(PyExc_TypeError, "synack must be callable");
        return -1;
    }
    if (close_cb != Py_None && !PyCallable_Check(close_cb)) {
        PyErr_SetString(PyExc_TypeError, "close must be callable or None");
        return -1;
    }
    if (shard_n < 1 || shard_k < 0 || shard_k >= shard_n) {
        PyErr_SetString(PyExc_ValueError, "shard_k must be in 0..shard_n-1");
        return -1;
    }
    if (self->claims.buf != NULL) { /* (an __init__ called again) */
        PyBuffer_Release(&self->claims);
        self->claims.buf = NULL;
    }
    if (claims != Py_None) {
        if (get_claim_table(claims, &self->claims, shard_k) < 0)
            return -1;
    }
    self->shard_k = shard_k;
    self->shard_n = shard_n;
    if (!PyCallable_Check(deliver)) {
        PyErr_SetString(PyExc_TypeError, "deliver must be callable");
        return -1;
    }
    Py_XSETREF(self->entries, Py_NewRef(entries));
    Py_XSETREF(self->table, Py_NewRef(table));
    Py_XSETREF(self->session_type, Py_NewRef(stype));
    Py_XSETREF(self->deliver, Py_NewRef(deliver));
    Py_XSETREF(self->synack, Py_NewRef(synack_cb));
    Py_XSETREF(self->close, close_cb == Py_None ? NULL : Py_NewRef(close_cb));
    self->sweep_every = sweep_every;
    self->linger_ns = linger;
    return 0;
}

static int Scanner_traverse(Scanner *self, visitproc visit, void *arg) {
    Py_VISIT(self->entries);
    Py_VISIT(self->table);
    Py_VISIT(self->session_type);
    Py_VISIT(self->deliver);
    Py_VISIT(self->synack);
    Py_VISIT(self->close);
    return 0;
}

static int Scanner_clear(Scanner *self) {
    Py_CLEAR(self->entries);
    Py_CLEAR(self->table);
    Py_CLEAR(self->session_type);
    Py_CLEAR(self->deliver);
    Py_CLEAR(self->synack);
    Py_CLEAR(self->close);
    for (int i = 0; i < self->nconns; i++)
        conn_clear(&self->conns[i]);
    self->nconns = 0;
    return 0;
}

static void Scanner_dealloc(Scanner *self) {
    PyObject_GC_UnTrack(self);
    Scanner_clear(self);
    if (self->claims.buf != NULL)
        PyBuffer_Release(&self->claims);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_VARARGS,
     "scan(buf, pos, idx, ts, little, nanos, record_size, closing=False, stop=-1)"
     " -> (pos, idx, ts, data or None, orig_len): classic pcap records"},
    {"scan_blocks", (PyCFunction)Scanner_scan_blocks, METH_VARARGS,
     "scan_blocks(buf, pos, idx, ts, little, interfaces, closing=False, stop=-1)"
     " -> (pos, idx, ts):"
     " pcapng Enhanced Packet Blocks"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tlslens.flows._fastscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Walks pcap records and takes the fast lane's plain packets in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_traverse = (traverseproc)Scanner_traverse,
    .tp_clear = (inquiry)Scanner_clear,
    .tp_methods = Scanner_methods,
};

/* claim(table, crc, k): the claim_slot test for Python (tlslens.pipeline): True when
 * the slot of ``crc`` is worker ``k``'s, taking it when no worker has. */
static PyObject *claim(PyObject *module, PyObject *args) {
    PyObject *obj;
    unsigned long crc;
    long k;
    if (!PyArg_ParseTuple(args, "Okl", &obj, &crc, &k))
        return NULL;
    Py_buffer view;
    if (get_claim_table(obj, &view, k) < 0)
        return NULL;
    int ok = claim_slot(view.buf, (size_t)view.len, (uint32_t)crc, (unsigned char)(k + 1));
    PyBuffer_Release(&view);
    return PyBool_FromLong(ok);
}

static PyMethodDef module_methods[] = {
    {"claim", claim, METH_VARARGS,
     "claim(table, crc, k) -> bool: whether the table's slot of crc (a connection's"
     " endpoint hash) is worker k's; taken for k when no worker has it"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.flows._fastscan",
    "Optional compiled pcap walk and fast lane (see tlslens.flows.lane).", -1,
    module_methods,
};

#define INTERN(var, text)                                                                   \
    if ((var = PyUnicode_InternFromString(text)) == NULL)                                   \
        return NULL;

PyMODINIT_FUNC PyInit__fastscan(void) {
    crc_init();
    INTERN(s_done, "done");
    INTERN(s_dirs, "dirs");
    INTERN(s_pending, "pending");
    INTERN(s_compare, "compare");
    INTERN(s_isn, "isn");
    INTERN(s_next, "next");
    INTERN(s_delivered, "delivered");
    INTERN(s_packets, "packets");
    INTERN(s_last_frame, "last_frame");
    INTERN(s_last_ts, "last_ts");
    INTERN(s_consumer, "consumer");
    INTERN(s_decryptor, "decryptor");
    INTERN(s_streams, "streams");
    INTERN(s_state, "state");
    INTERN(s_buf, "buf");
    INTERN(s_sslv2, "sslv2");
    INTERN(s_skipping, "skipping");
    INTERN(s_anomalies, "anomalies");
    INTERN(s_skip, "skip");
    INTERN(s_skip_rec, "skip_rec");
    INTERN(s_base, "base");
    INTERN(s_app_records, "app_records");
    INTERN(s_app_bytes, "app_bytes");
    INTERN(s_since_sweep, "_since_sweep");
    INTERN(s_fin, "fin");
    INTERN(s_rst, "rst");
    INTERN(s_swept_ns, "_swept_ns");
    INTERN(s_records, "records");
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
