/*
 * tlslens.tls._fasthello: ClientHello and ServerHello bodies of the common layout, in C.
 *
 * Why: every TLS connection has at least one hello on each side, and parsing them in
 * Python (tlslens/tls/handshake.py: parse_client_hello, parse_server_hello and the views
 * of tlslens/tls/views.py) was about a quarter of `tlslens fingerprint`: some 15 us per
 * hello, most of it Reader calls and small objects. This module reads the same bytes in
 * one pass and builds the same ClientHello / ServerHello / Extension values.
 *
 * It only ever takes the clean case. It gives up (returns None, and the Python parser
 * runs instead, with its anomalies) on anything the Python parser would report or read
 * in a special way: a field cut short, trailing bytes, an extensions block whose length
 * is not exactly what is left, a duplicated extension, a view extension that does not
 * parse, TLS 1.3 draft hellos, the draft key_share code point 40, and an extension the
 * report decoder finds a problem in. So whatever this module returns is equal to what
 * the Python parser returns for the same bytes, with no problem reported
 * (tests/unit/tls/test_fasthello.py compares both on every hello of the corpus and on
 * mutated ones).
 *
 * This is an optional speed-up: when it is not built, the Python parser runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <structmember.h>

/* Extension code points with a view (tlslens/tls/views.py). */
#define EXT_SERVER_NAME 0
#define EXT_SUPPORTED_GROUPS 10
#define EXT_EC_POINT_FORMATS 11
#define EXT_SIGNATURE_ALGORITHMS 13
#define EXT_ALPN 16
#define EXT_KEY_SHARE_OLD 40
#define EXT_PRE_SHARED_KEY 41
#define EXT_SUPPORTED_VERSIONS 43
#define EXT_PSK_KEY_EXCHANGE_MODES 45
#define EXT_SIGNATURE_ALGORITHMS_CERT 50
#define EXT_KEY_SHARE 51

/* What configure() was given: the value classes and the report decoder. */
static PyObject *client_cls, *server_cls, *extension_cls, *decoder;
/* configure()'s optional decode paths: the remembering decoder for recurring bodies,
 * the plain one for the others, and the rule that tells them apart
 * (tlslens.tls.extensions.recurring_body: a code not in ``unique`` or an empty body,
 * and at most ``max_body`` bytes). Without them every body goes to ``decoder``. */
static PyObject *remembered, *plain;
static uint64_t unique_codes[1024];
static Py_ssize_t max_body = -1;
static PyObject *s_client_ctx, *s_server_ctx, *s_hrr_ctx, *s_empty_bytes, *s_empty_tuple;
static unsigned char hrr_random[32];

/* Field names, in the order values are set (they must be all of the class's fields). */
static const char *CLIENT_FIELDS[] = {
    "record_version", "legacy_version", "random", "legacy_session_id", "cipher_suites",
    "compression_methods", "extensions", "sslv2_format", "challenge", "server_name", "alpn",
    "supported_groups", "ec_point_formats", "signature_algorithms",
    "signature_algorithms_cert", "supported_versions", "key_share_groups",
    "psk_key_exchange_modes", "psk_identities", "raw", NULL};
enum {
    C_RECORD_VERSION, C_LEGACY_VERSION, C_RANDOM, C_SESSION_ID, C_SUITES, C_COMPRESSION,
    C_EXTENSIONS, C_SSLV2, C_CHALLENGE, C_SERVER_NAME, C_ALPN, C_GROUPS, C_EC_FORMATS,
    C_SIG_ALGS, C_SIG_ALGS_CERT, C_VERSIONS, C_KEY_SHARES, C_PSK_MODES, C_PSK_IDENTITIES,
    C_RAW, C_COUNT
};
static const char *SERVER_FIELDS[] = {
    "record_version", "legacy_version", "random", "legacy_session_id", "cipher_suite",
    "compression_method", "extensions", "sslv2_format", "sslv2_cipher_specs",
    "sslv2_certificate", "hello_retry_request", "selected_version", "alpn",
    "key_share_group", "ec_point_formats", "raw", NULL};
enum {
    S_RECORD_VERSION, S_LEGACY_VERSION, S_RANDOM, S_SESSION_ID, S_SUITE, S_COMPRESSION,
    S_EXTENSIONS, S_SSLV2, S_SSLV2_SPECS, S_SSLV2_CERT, S_HRR, S_SELECTED_VERSION, S_ALPN,
    S_KEY_SHARE_GROUP, S_EC_FORMATS, S_RAW, S_COUNT
};
static const char *EXTENSION_FIELDS[] = {"code", "raw", "data", "error", NULL};

/* Where each field's slot sits in an instance (the member descriptors' offsets). */
static Py_ssize_t client_slots[C_COUNT], server_slots[S_COUNT], extension_slots[4];

/* A bounded cursor over the message body. Every read checks the bound; a read past it
 * makes the whole parse give up. */
typedef struct {
    const unsigned char *p;
    Py_ssize_t pos, end;
} Cur;

static inline int need(Cur *c, Py_ssize_t n) { return n >= 0 && c->pos + n <= c->end; }

static inline int u8(Cur *c, unsigned *out) {
    if (!need(c, 1))
        return 0;
    *out = c->p[c->pos++];
    return 1;
}

static inline int u16(Cur *c, unsigned *out) {
    if (!need(c, 2))
        return 0;
    *out = ((unsigned)c->p[c->pos] << 8) | c->p[c->pos + 1];
    c->pos += 2;
    return 1;
}

/* A length-prefixed span: a cursor over it, and this cursor moved past it. */
static inline int span(Cur *c, int lenlen, Cur *inner) {
    unsigned n;
    if (!(lenlen == 1 ? u8(c, &n) : u16(c, &n)) || !need(c, n))
        return 0;
    inner->p = c->p;
    inner->pos = c->pos;
    inner->end = c->pos + n;
    c->pos += n;
    return 1;
}

/* ---- value builders (NULL: error raised; GIVE_UP: the Python parser decides) ------- */

static PyObject GIVE_UP_OBJ;  /* a sentinel address, never handed to Python */
#define GIVE_UP (&GIVE_UP_OBJ)

static PyObject *bytes_of(Cur *c, Py_ssize_t n) {
    if (!need(c, n))
        return GIVE_UP;
    PyObject *b = PyBytes_FromStringAndSize((const char *)c->p + c->pos, n);
    c->pos += n;
    return b;
}

static PyObject *opaque(Cur *c, int lenlen) {
    unsigned n;
    if (!(lenlen == 1 ? u8(c, &n) : u16(c, &n)))
        return GIVE_UP;
    return bytes_of(c, n);
}

/* The number lists of the hellos (cipher suites, groups, signature algorithms, versions,
 * point formats), one tuple per distinct list: a capture's hellos come from a handful of
 * client configurations, so the same lists recur thousands of times. Sharing the tuple
 * saves making its integers, and every cache keyed by such a list afterwards (the
 * fingerprints, the report's code lists, the GREASE rule) compares it with its own key
 * by identity instead of item by item. Tuples are immutable: sharing one changes no
 * value. Keyed by the list's wire bytes after a tag byte (u8 or u16 items); lists longer
 * than INTERN_MAX_BYTES are not kept, and the table is emptied when it is full, so a
 * hostile capture of all-different lists costs what it did without the table. */
#define INTERN_MAX_BYTES 512
#define INTERN_MAX_LISTS 4096
static PyObject *interned_lists; /* dict: bytes -> tuple */

/* The interned tuple of the items at p[0:len] (item_size 1 or 2), made on first use. */
static PyObject *number_tuple(const unsigned char *p, Py_ssize_t len, int item_size) {
    PyObject *key = NULL;
    if (len <= INTERN_MAX_BYTES) {
        key = PyBytes_FromStringAndSize(NULL, len + 1);
        if (key == NULL)
            return NULL;
        char *k = PyBytes_AS_STRING(key);
        k[0] = (char)item_size;
        memcpy(k + 1, p, (size_t)len);
        PyObject *hit = PyDict_GetItemWithError(interned_lists, key);
        if (hit != NULL) {
            Py_DECREF(key);
            Py_INCREF(hit);
            return hit;
        }
        if (PyErr_Occurred()) {
            Py_DECREF(key);
            return NULL;
        }
    }
    Py_ssize_t n = len / item_size;
    PyObject *t = PyTuple_New(n);
    if (t == NULL) {
        Py_XDECREF(key);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *q = p + item_size * i;
        PyObject *v = PyLong_FromLong(item_size == 2 ? ((long)q[0] << 8) | q[1] : q[0]);
        if (v == NULL) {
            Py_DECREF(t);
            Py_XDECREF(key);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, v);
    }
    if (key != NULL) {
        if (PyDict_GET_SIZE(interned_lists) >= INTERN_MAX_LISTS)
            PyDict_Clear(interned_lists);
        int r = PyDict_SetItem(interned_lists, key, t);
        Py_DECREF(key);
        if (r < 0) {
            Py_DECREF(t);
            return NULL;
        }
    }
    return t;
}

/* Reader.u16_list(lenlen): a tuple of big-endian uint16; an odd length gives up. */
static PyObject *u16_tuple(Cur *c, int lenlen) {
    Cur s;
    if (!span(c, lenlen, &s) || (s.end - s.pos) % 2)
        return GIVE_UP;
    return number_tuple(s.p + s.pos, s.end - s.pos, 2);
}

/* Reader.u8_list(1). */
static PyObject *u8_tuple(Cur *c) {
    Cur s;
    if (!span(c, 1, &s))
        return GIVE_UP;
    return number_tuple(s.p + s.pos, s.end - s.pos, 1);
}

/* tlslens.tls.extensions.wire_text: UTF-8 with undecodable bytes as \xNN. */
static PyObject *wire_text(const unsigned char *p, Py_ssize_t n) {
    return PyUnicode_DecodeUTF8((const char *)p, n, "backslashreplace");
}

/* views._first_host_name: the first host_name entry, or None. */
static PyObject *first_host_name(Cur *c) {
    Cur lst;
    if (!span(c, 2, &lst))
        return GIVE_UP;
    while (lst.pos < lst.end) {
        unsigned type;
        Cur name;
        if (!u8(&lst, &type) || !span(&lst, 2, &name))
            return GIVE_UP;
        if (type == 0)
            return wire_text(name.p + name.pos, name.end - name.pos);
    }
    Py_RETURN_NONE;
}

/* Append ``v`` (a new reference, or NULL: an error is set) to ``out``: 0, or -1 with
 * ``out`` released. */
static int append_new(PyObject *out, PyObject *v) {
    int r = v == NULL ? -1 : PyList_Append(out, v);
    Py_XDECREF(v);
    if (r < 0)
        Py_DECREF(out);
    return r;
}

/* ``out`` as a tuple (``out`` released). */
static PyObject *as_tuple(PyObject *out) {
    PyObject *t = PyList_AsTuple(out);
    Py_DECREF(out);
    return t;
}

/* views._alpn_list: every protocol name (the list must be used up exactly). */
static PyObject *alpn_names(Cur *c) {
    Cur lst;
    if (!span(c, 2, &lst))
        return GIVE_UP;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    while (lst.pos < lst.end) {
        Cur name;
        if (!span(&lst, 1, &name)) {
            Py_DECREF(out);
            return GIVE_UP;
        }
        if (append_new(out, wire_text(name.p + name.pos, name.end - name.pos)) < 0)
            return NULL;
    }
    return as_tuple(out);
}

/* views._key_share_groups: the group of every KeyShareEntry. */
static PyObject *key_share_groups(Cur *c) {
    Cur lst;
    if (!span(c, 2, &lst))
        return GIVE_UP;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    while (lst.pos < lst.end) {
        unsigned group;
        Cur key;
        if (!u16(&lst, &group) || !span(&lst, 2, &key)) {
            Py_DECREF(out);
            return GIVE_UP;
        }
        if (append_new(out, PyLong_FromLong(group)) < 0)
            return NULL;
    }
    return as_tuple(out);
}

/* views._psk_identities: how many PskIdentity entries. */
static PyObject *psk_identities(Cur *c) {
    Cur lst;
    if (!span(c, 2, &lst))
        return GIVE_UP;
    long n = 0;
    while (lst.pos < lst.end) {
        Cur id;
        if (!span(&lst, 2, &id) || !need(&lst, 4))
            return GIVE_UP;
        lst.pos += 4;
        n++;
    }
    return PyLong_FromLong(n);
}

/* ---- objects ---------------------------------------------------------------------- */

/* A new instance of a frozen slots dataclass with every field set, without running its
 * __init__: each value goes straight into its slot (what the generated __init__ does
 * through object.__setattr__ and the slot's member descriptor). Steals the references
 * in values. */
static PyObject *make(PyObject *cls, const Py_ssize_t *slots, PyObject **values,
                      int count) {
    PyTypeObject *type = (PyTypeObject *)cls;
    PyObject *obj = type->tp_alloc(type, 0);
    if (obj == NULL) {
        for (int i = 0; i < count; i++)
            Py_DECREF(values[i]);
        return NULL;
    }
    for (int i = 0; i < count; i++)
        *(PyObject **)((char *)obj + slots[i]) = values[i]; /* empty: just allocated */
    return obj;
}

static void release(PyObject **values, int count) {
    for (int i = 0; i < count; i++) {
        if (values[i] != NULL && values[i] != GIVE_UP)
            Py_DECREF(values[i]);
        values[i] = NULL;
    }
}

/* One extension: Extension(code, raw), or the report decoder's, which must find no
 * problem. */
static PyObject *extension(unsigned code, PyObject *raw, PyObject *context, int decode) {
    PyObject *code_obj = PyLong_FromLong(code);
    if (code_obj == NULL)
        return NULL;
    if (!decode) {
        PyObject *values[4] = {code_obj, raw, Py_None, Py_None};
        Py_INCREF(raw);
        Py_INCREF(Py_None);
        Py_INCREF(Py_None);
        return make(extension_cls, extension_slots, values, 4);
    }
    PyObject *fn = decoder;
    if (remembered != NULL) {
        Py_ssize_t len = PyBytes_GET_SIZE(raw);
        int unique = (unique_codes[code >> 6] >> (code & 63)) & 1;
        fn = (!unique || len == 0) && len <= max_body ? remembered : plain;
    }
    PyObject *pair = PyObject_CallFunctionObjArgs(fn, code_obj, raw, context, NULL);
    Py_DECREF(code_obj);
    if (pair == NULL)
        return NULL;
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        Py_DECREF(pair);
        PyErr_SetString(PyExc_TypeError, "decoder must return (Extension, problem)");
        return NULL;
    }
    if (PyTuple_GET_ITEM(pair, 1) != Py_None) {
        Py_DECREF(pair);
        return GIVE_UP;
    }
    PyObject *ext = PyTuple_GET_ITEM(pair, 0);
    Py_INCREF(ext);
    Py_DECREF(pair);
    return ext;
}

/* The extensions block after the fixed fields: it must fill the rest of the body exactly,
 * and no code point may repeat. Calls on_view(code, body cursor, arg) for each; returns
 * the tuple of extensions, GIVE_UP or NULL. */
typedef int (*ViewFn)(unsigned code, Cur *body, void *arg);

static PyObject *extensions(Cur *c, PyObject *context, int decode, ViewFn on_view,
                            void *arg) {
    if (c->pos == c->end)
        return Py_NewRef(s_empty_tuple);
    Cur blk;
    if (!span(c, 2, &blk) || c->pos != c->end)
        return GIVE_UP;
    /* Each code point's bit; cleared on the way out. */
    static uint64_t seen[1024];
    unsigned codes[4096];
    Py_ssize_t count = 0;
    PyObject *out = PyList_New(0);
    PyObject *result = NULL;
    if (out == NULL)
        return NULL;
    while (blk.pos < blk.end) {
        unsigned code;
        Cur body;
        if (!u16(&blk, &code) || !span(&blk, 2, &body) || count == 4096 ||
            (seen[code >> 6] >> (code & 63)) & 1) {
            result = GIVE_UP;
            goto done;
        }
        seen[code >> 6] |= 1ULL << (code & 63);
        codes[count++] = code;
        if (on_view != NULL) {
            Cur view = body;
            int r = on_view(code, &view, arg);
            if (r <= 0) {
                result = r < 0 ? NULL : GIVE_UP;
                goto done;
            }
        }
        PyObject *raw = PyBytes_FromStringAndSize((const char *)body.p + body.pos,
                                                  body.end - body.pos);
        if (raw == NULL)
            goto done;
        PyObject *ext = extension(code, raw, context, decode);
        Py_DECREF(raw);
        if (ext == NULL || ext == GIVE_UP) {
            result = ext;
            goto done;
        }
        int failed = PyList_Append(out, ext) < 0;
        Py_DECREF(ext);
        if (failed)
            goto done;
    }
    result = PyList_AsTuple(out);
done:
    for (Py_ssize_t i = 0; i < count; i++)
        seen[codes[i] >> 6] &= ~(1ULL << (codes[i] & 63));
    Py_DECREF(out);
    return result;
}

/* ---- the two entry points' common parts ---------------------------------------------- */

/* The arguments (body, record_version, decode) of a parse with ``cls`` configured:
 * 0, or -1 with an error set. */
static int begin(PyObject *cls, PyObject *args, Py_buffer *buf, int *record_version,
                 int *decode) {
    if (cls == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure() first");
        return -1;
    }
    return PyArg_ParseTuple(args, "y*ip", buf, record_version, decode) ? 0 : -1;
}

/* The end of a parse that stopped before building its value: None when it gave up (the
 * Python parser reads the hello), NULL when an error is set. The values read so far are
 * released. */
static PyObject *stopped(PyObject **values, int count, Py_buffer *buf) {
    int gave_up = 0;
    for (int i = 0; i < count; i++)
        if (values[i] == GIVE_UP) {
            values[i] = NULL;
            gave_up = 1;
        }
    release(values, count);
    PyBuffer_Release(buf);
    if (!gave_up && PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* ---- ClientHello ---------------------------------------------------------------------- */

/* The view of one ClientHello extension into values[] (1 done, 0 give up, -1 error). */
static int client_view(unsigned code, Cur *body, void *arg) {
    PyObject **values = (PyObject **)arg;
    int slot;
    PyObject *v;
    switch (code) {
    case EXT_SERVER_NAME: slot = C_SERVER_NAME; v = first_host_name(body); break;
    case EXT_ALPN: slot = C_ALPN; v = alpn_names(body); break;
    case EXT_SUPPORTED_GROUPS: slot = C_GROUPS; v = u16_tuple(body, 2); break;
    case EXT_EC_POINT_FORMATS: slot = C_EC_FORMATS; v = u8_tuple(body); break;
    case EXT_SIGNATURE_ALGORITHMS: slot = C_SIG_ALGS; v = u16_tuple(body, 2); break;
    case EXT_SIGNATURE_ALGORITHMS_CERT: slot = C_SIG_ALGS_CERT; v = u16_tuple(body, 2); break;
    case EXT_SUPPORTED_VERSIONS: slot = C_VERSIONS; v = u16_tuple(body, 1); break;
    case EXT_KEY_SHARE: slot = C_KEY_SHARES; v = key_share_groups(body); break;
    case EXT_PSK_KEY_EXCHANGE_MODES: slot = C_PSK_MODES; v = u8_tuple(body); break;
    case EXT_PRE_SHARED_KEY: slot = C_PSK_IDENTITIES; v = psk_identities(body); break;
    case EXT_KEY_SHARE_OLD: return 0;  /* a draft hello: the Python parser's rule */
    default: return 1;
    }
    if (v == NULL || v == GIVE_UP)
        return v == NULL ? -1 : 0;
    Py_XSETREF(values[slot], v);  /* no repeats (checked first), so never replaced */
    return 1;
}

static PyObject *client_hello(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int record_version, decode;
    if (begin(client_cls, args, &buf, &record_version, &decode) < 0)
        return NULL;
    Cur c = {buf.buf, 0, buf.len};
    PyObject *values[C_COUNT] = {NULL};
    unsigned legacy_version;
    if (!u16(&c, &legacy_version))
        return stopped(values, C_COUNT, &buf);
    values[C_RANDOM] = bytes_of(&c, 32);
    if (values[C_RANDOM] == NULL || values[C_RANDOM] == GIVE_UP)
        return stopped(values, C_COUNT, &buf);
    values[C_SESSION_ID] = opaque(&c, 1);
    if (values[C_SESSION_ID] == NULL || values[C_SESSION_ID] == GIVE_UP)
        return stopped(values, C_COUNT, &buf);
    values[C_SUITES] = u16_tuple(&c, 2);
    if (values[C_SUITES] == NULL || values[C_SUITES] == GIVE_UP)
        return stopped(values, C_COUNT, &buf);
    values[C_COMPRESSION] = u8_tuple(&c);
    if (values[C_COMPRESSION] == NULL || values[C_COMPRESSION] == GIVE_UP)
        return stopped(values, C_COUNT, &buf);
    values[C_EXTENSIONS] = extensions(&c, s_client_ctx, decode, client_view, values);
    if (values[C_EXTENSIONS] == NULL || values[C_EXTENSIONS] == GIVE_UP)
        return stopped(values, C_COUNT, &buf);
    values[C_RECORD_VERSION] = PyLong_FromLong(record_version);
    values[C_LEGACY_VERSION] = PyLong_FromLong(legacy_version);
    if (values[C_RECORD_VERSION] == NULL || values[C_LEGACY_VERSION] == NULL)
        return stopped(values, C_COUNT, &buf);
    /* The defaults of the fields no extension filled. */
    values[C_SSLV2] = Py_NewRef(Py_False);
    values[C_CHALLENGE] = Py_NewRef(Py_None);
    values[C_RAW] = Py_NewRef(s_empty_bytes);
    if (values[C_SERVER_NAME] == NULL)
        values[C_SERVER_NAME] = Py_NewRef(Py_None);
    if (values[C_PSK_IDENTITIES] == NULL &&
        (values[C_PSK_IDENTITIES] = PyLong_FromLong(0)) == NULL)
        return stopped(values, C_COUNT, &buf);
    for (int i = 0; i < C_COUNT; i++)
        if (values[i] == NULL)
            values[i] = Py_NewRef(s_empty_tuple);
    PyBuffer_Release(&buf);
    return make(client_cls, client_slots, values, C_COUNT);
}

/* ---- ServerHello ---------------------------------------------------------------------- */

/* server_hello_views: later extensions win; a view that does not parse gives up. */
static int server_view(unsigned code, Cur *body, void *arg) {
    PyObject **values = (PyObject **)arg;
    Py_ssize_t len = body->end - body->pos;
    unsigned v16 = 0;
    PyObject *v;
    int slot;
    if (code == EXT_SUPPORTED_VERSIONS && len == 2) {
        u16(body, &v16);
        slot = S_SELECTED_VERSION;
        v = PyLong_FromLong(v16);
    } else if (code == EXT_ALPN) {
        PyObject *names = alpn_names(body);
        if (names == NULL || names == GIVE_UP)
            return names == NULL ? -1 : 0;
        slot = S_ALPN;
        v = Py_NewRef(PyTuple_GET_SIZE(names) ? PyTuple_GET_ITEM(names, 0) : Py_None);
        Py_DECREF(names);
    } else if ((code == EXT_KEY_SHARE || code == EXT_KEY_SHARE_OLD) && len >= 2) {
        u16(body, &v16);
        slot = S_KEY_SHARE_GROUP;
        v = PyLong_FromLong(v16);
    } else if (code == EXT_EC_POINT_FORMATS) {
        v = u8_tuple(body);
        if (v == GIVE_UP)
            return 0;
        slot = S_EC_FORMATS;
    } else {
        return 1;
    }
    if (v == NULL)
        return -1;
    Py_XSETREF(values[slot], v);
    return 1;
}

static PyObject *server_hello(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int record_version, decode;
    if (begin(server_cls, args, &buf, &record_version, &decode) < 0)
        return NULL;
    Cur c = {buf.buf, 0, buf.len};
    PyObject *values[S_COUNT] = {NULL};
    unsigned legacy_version, suite, compression;
    /* TLS 1.3 drafts before 22 had another layout: the Python parser reads those. */
    if (!u16(&c, &legacy_version) || (legacy_version > 0x7F00 && legacy_version < 0x7F16))
        return stopped(values, S_COUNT, &buf);
    values[S_RANDOM] = bytes_of(&c, 32);
    if (values[S_RANDOM] == NULL || values[S_RANDOM] == GIVE_UP)
        return stopped(values, S_COUNT, &buf);
    int hrr = memcmp(c.p + 2, hrr_random, 32) == 0;
    values[S_SESSION_ID] = opaque(&c, 1);
    if (values[S_SESSION_ID] == NULL || values[S_SESSION_ID] == GIVE_UP ||
        !u16(&c, &suite) || !u8(&c, &compression))
        return stopped(values, S_COUNT, &buf);
    values[S_EXTENSIONS] = extensions(&c, hrr ? s_hrr_ctx : s_server_ctx, decode,
                                      server_view, values);
    if (values[S_EXTENSIONS] == NULL || values[S_EXTENSIONS] == GIVE_UP)
        return stopped(values, S_COUNT, &buf);
    values[S_RECORD_VERSION] = PyLong_FromLong(record_version);
    values[S_LEGACY_VERSION] = PyLong_FromLong(legacy_version);
    values[S_SUITE] = PyLong_FromLong(suite);
    values[S_COMPRESSION] = PyLong_FromLong(compression);
    if (!values[S_RECORD_VERSION] || !values[S_LEGACY_VERSION] || !values[S_SUITE] ||
        !values[S_COMPRESSION])
        return stopped(values, S_COUNT, &buf);
    values[S_SSLV2] = Py_NewRef(Py_False);
    values[S_SSLV2_SPECS] = Py_NewRef(s_empty_tuple);
    values[S_SSLV2_CERT] = Py_NewRef(Py_None);
    values[S_HRR] = Py_NewRef(hrr ? Py_True : Py_False);
    values[S_RAW] = Py_NewRef(s_empty_bytes);
    if (values[S_EC_FORMATS] == NULL)
        values[S_EC_FORMATS] = Py_NewRef(s_empty_tuple);
    for (int i = 0; i < S_COUNT; i++)
        if (values[i] == NULL)
            values[i] = Py_NewRef(Py_None);
    PyBuffer_Release(&buf);
    return make(server_cls, server_slots, values, S_COUNT);
}

/* ---- configuration ---------------------------------------------------------------- */

/* The class's dataclass field names must be exactly `expected` (a changed class must
 * not be half-filled), each one an object slot of the class itself: ValueError
 * otherwise. Fills the slots' offsets. */
static int check_fields(PyObject *cls, const char **expected, Py_ssize_t *slots) {
    PyObject *fields = PyObject_GetAttrString(cls, "__dataclass_fields__");
    if (fields == NULL)
        return -1;
    PyObject *own = ((PyTypeObject *)cls)->tp_dict;
    Py_ssize_t n = 0;
    int r = 0;
    for (; r == 0 && expected[n] != NULL; n++) {
        PyObject *name = PyUnicode_FromString(expected[n]);
        if (name == NULL) {
            r = -1;
            break;
        }
        PyObject *descr = PyDict_GetItemWithError(own, name); /* borrowed */
        if (PyDict_GetItemWithError(fields, name) == NULL || descr == NULL ||
            !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX ||
            (((PyMemberDescrObject *)descr)->d_member->flags & READONLY)) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "%R has no field slot %R", cls, name);
            r = -1;
        } else {
            slots[n] = ((PyMemberDescrObject *)descr)->d_member->offset;
        }
        Py_DECREF(name);
    }
    Py_ssize_t have = r == 0 ? PyDict_Size(fields) : 0;
    Py_DECREF(fields);
    if (r == 0 && have != n) {
        PyErr_Format(PyExc_ValueError, "%R has %zd fields, this module knows %zd", cls,
                     have, n);
        r = -1;
    }
    return r;
}

/* The optional decode paths: (remembered, plain, unique codes, max body length). */
static int set_paths(PyObject *paths) {
    PyObject *rem, *pl, *uniq;
    Py_ssize_t maxb;
    if (!PyArg_ParseTuple(paths, "OOOn", &rem, &pl, &uniq, &maxb))
        return -1;
    if (!PyCallable_Check(rem) || !PyCallable_Check(pl) || maxb < 0) {
        PyErr_SetString(PyExc_ValueError, "decode paths: two callables, codes, a length");
        return -1;
    }
    uint64_t bits[1024] = {0};
    PyObject *it = PyObject_GetIter(uniq);
    if (it == NULL)
        return -1;
    PyObject *item;
    while ((item = PyIter_Next(it)) != NULL) {
        long code = PyLong_AsLong(item);
        Py_DECREF(item);
        if (code < 0 || code > 0xFFFF) {
            Py_DECREF(it);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "decode paths: codes are 0..65535");
            return -1;
        }
        bits[code >> 6] |= 1ULL << (code & 63);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return -1;
    memcpy(unique_codes, bits, sizeof bits);
    max_body = maxb;
    Py_XSETREF(remembered, Py_NewRef(rem));
    Py_XSETREF(plain, Py_NewRef(pl));
    return 0;
}

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *ch, *sh, *ext, *dec, *paths = NULL;
    Py_buffer hrr;
    if (!PyArg_ParseTuple(args, "O!O!O!Oy*|O!", &PyType_Type, &ch, &PyType_Type, &sh,
                          &PyType_Type, &ext, &dec, &hrr, &PyTuple_Type, &paths))
        return NULL;
    unsigned char hrr_copy[32];
    int bad = hrr.len != 32;
    if (!bad)
        memcpy(hrr_copy, hrr.buf, 32);
    PyBuffer_Release(&hrr);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "the HelloRetryRequest random is 32 bytes");
        return NULL;
    }
    /* Checked into scratch arrays: a refused call leaves the configuration as it was. */
    Py_ssize_t cs[C_COUNT], ss[S_COUNT], es[4];
    if (check_fields(ch, CLIENT_FIELDS, cs) < 0 || check_fields(sh, SERVER_FIELDS, ss) < 0 ||
        check_fields(ext, EXTENSION_FIELDS, es) < 0)
        return NULL;
    memcpy(client_slots, cs, sizeof cs);
    memcpy(server_slots, ss, sizeof ss);
    memcpy(extension_slots, es, sizeof es);
    memcpy(hrr_random, hrr_copy, 32);
    Py_XSETREF(client_cls, Py_NewRef(ch));
    Py_XSETREF(server_cls, Py_NewRef(sh));
    Py_XSETREF(extension_cls, Py_NewRef(ext));
    Py_XSETREF(decoder, Py_NewRef(dec));
    if (paths == NULL) {
        Py_CLEAR(remembered);
        Py_CLEAR(plain);
    } else if (set_paths(paths) < 0) {
        Py_CLEAR(remembered); /* every body to the decoder, which is always right */
        Py_CLEAR(plain);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(ClientHello, ServerHello, Extension, decoder, hrr_random[, paths]): the "
     "classes to build and the report decoder (code, raw, context) -> (Extension, "
     "problem); paths = (remembered, plain, unique_codes, max_body) splits the decoder "
     "as tlslens.tls.extensions.recurring_body does, without calling it."},
    {"client_hello", client_hello, METH_VARARGS,
     "client_hello(body, record_version, decode) -> ClientHello | None (None: let the "
     "Python parser read it)."},
    {"server_hello", server_hello, METH_VARARGS,
     "server_hello(body, record_version, decode) -> ServerHello | None."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.tls._fasthello",
    "ClientHello and ServerHello bodies of the common layout, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fasthello(void) {
    s_client_ctx = PyUnicode_InternFromString("client_hello");
    s_server_ctx = PyUnicode_InternFromString("server_hello");
    s_hrr_ctx = PyUnicode_InternFromString("hello_retry_request");
    s_empty_bytes = PyBytes_FromStringAndSize(NULL, 0);
    s_empty_tuple = PyTuple_New(0);
    interned_lists = PyDict_New();
    if (!s_client_ctx || !s_server_ctx || !s_hrr_ctx || !s_empty_bytes || !s_empty_tuple ||
        !interned_lists)
        return NULL;
    return PyModule_Create(&moduledef);
}
