/*
 * tlslens.report._fastjson: a connection's message ladder as compact JSON, in C.
 *
 * Why: the NDJSON line of a connection holds its ladder, a dozen messages of seven
 * fields each. Building those dicts in Python, then encoding and freeing them, was about
 * 4 % of `tlslens analyze --format ndjson` (70,000 instructions a connection before
 * the encoding). messages_json() writes the same JSON text in one pass, which
 * json_report.connection_json hands to orjson as a pre-encoded fragment.
 *
 * The text is the bytes orjson writes for json_report._message_dicts(messages) with
 * OPT_SORT_KEYS: keys in sorted order, no spaces, true/false/null, decimal integers,
 * the time as packet_time writes it. It declines (returns None) whenever a value is not
 * of the plain kind whose encoding is certain: a field that is not an exact bool, int
 * (within 64 bits) or str, a string with a character JSON would escape or that is not
 * printable ASCII. The caller then makes the dicts, which stay the reference
 * (tests/unit/report/test_fastjson.py compares both on every fixture and corpus capture).
 *
 * This is an optional speed-up: when it is not built, the dicts are made in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <string.h>

#include "../_attrs.h" /* get_attr: slot fields at their offsets */

static PyObject *s_decrypted, *s_direction, *s_encrypted, *s_frame, *s_length, *s_ts_ns,
    *s_type;

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static int buf_grow(Buf *b, size_t more) {
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more)
        cap *= 2;
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, size_t n) {
    if (buf_grow(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

#define PUT_LITERAL(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

/* 1: written; 0: not a plain value (the caller declines); -1: error. */
static int put_bool(Buf *b, PyObject *v) {
    if (v == Py_True)
        return PUT_LITERAL(b, "true") < 0 ? -1 : 1;
    if (v == Py_False)
        return PUT_LITERAL(b, "false") < 0 ? -1 : 1;
    return 0;
}

static int put_int(Buf *b, PyObject *v) {
    if (!PyLong_CheckExact(v))
        return 0;
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (overflow)
        return 0; /* (orjson takes up to 64 bits unsigned; not worth the case here) */
    if (x == -1 && PyErr_Occurred())
        return -1;
    char text[32];
    int n = snprintf(text, sizeof text, "%lld", x);
    return buf_put(b, text, (size_t)n) < 0 ? -1 : 1;
}

/* Whether a str is printable ASCII without '"' or '\\' (written as is inside quotes). */
static int plain_ascii(PyObject *v) {
    if (!PyUnicode_CheckExact(v) || !PyUnicode_IS_ASCII(v))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    const unsigned char *s = PyUnicode_1BYTE_DATA(v);
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
            return 0;
    return 1;
}

/* A string of printable ASCII without '"' or '\\': written quoted, as is. */
static int put_str(Buf *b, PyObject *v) {
    if (!plain_ascii(v))
        return 0;
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (buf_grow(b, (size_t)n + 2) < 0)
        return -1;
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, PyUnicode_1BYTE_DATA(v), (size_t)n);
    b->len += (size_t)n;
    b->data[b->len++] = '"';
    return 1;
}

/* packet_time(ts_ns): the second's text from second_template (the report's own cache of
 * "<date>T<time>.%06dZ" by second, asked once per second met, as _message_dicts does),
 * then the microseconds. *secs_seen / *prefix: the last second and its text (a new
 * reference). */
static int put_time(Buf *b, PyObject *ts, PyObject *second_template, long long *secs_seen,
                    PyObject **prefix) {
    if (ts == Py_None)
        return PUT_LITERAL(b, "null") < 0 ? -1 : 1;
    if (!PyLong_CheckExact(ts))
        return 0;
    int overflow = 0;
    long long ns = PyLong_AsLongLongAndOverflow(ts, &overflow);
    if (overflow)
        return 0;
    if (ns == -1 && PyErr_Occurred())
        return -1;
    /* Python's floor division and modulo: ns // 10**9, ns // 1000 % 10**6 */
    long long secs = ns / 1000000000LL - (ns % 1000000000LL < 0);
    long long us = ns / 1000LL - (ns % 1000LL < 0);
    long long frac = us % 1000000LL;
    if (frac < 0)
        frac += 1000000LL;
    if (*prefix == NULL || secs != *secs_seen) {
        PyObject *arg = PyLong_FromLongLong(secs);
        PyObject *template = arg != NULL ? PyObject_CallOneArg(second_template, arg) : NULL;
        Py_XDECREF(arg);
        if (template == NULL)
            return -1;
        /* "<text>.%06dZ": the text is what comes before the last 6 characters */
        Py_ssize_t n = PyUnicode_Check(template) ? PyUnicode_GET_LENGTH(template) : -1;
        PyObject *tail = n >= 6 ? PyUnicode_Substring(template, n - 6, n) : NULL;
        int shaped = tail != NULL && PyUnicode_CompareWithASCIIString(tail, ".%06dZ") == 0;
        Py_XDECREF(tail);
        PyObject *text = shaped ? PyUnicode_Substring(template, 0, n - 6) : NULL;
        Py_DECREF(template);
        if (PyErr_Occurred()) {
            Py_XDECREF(text);
            return -1;
        }
        if (text == NULL || !plain_ascii(text)) {
            Py_XDECREF(text);
            return 0;
        }
        Py_XSETREF(*prefix, text);
        *secs_seen = secs;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(*prefix);
    if (buf_grow(b, (size_t)n + 16) < 0)
        return -1;
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, PyUnicode_1BYTE_DATA(*prefix), (size_t)n);
    b->len += (size_t)n;
    b->len += (size_t)snprintf(b->data + b->len, 16, ".%06lldZ\"", frac);
    return 1;
}

/* The seven fields of a message line, new references (or NULL and -1): a MessageLine's
 * (a frozen slots dataclass) from its slots, another object's by name. */
static int fields_of(PyObject *ml, PyObject **v) {
    PyObject *const names[7] = {s_decrypted, s_direction, s_encrypted, s_frame, s_length,
                                s_ts_ns, s_type};
    for (int k = 0; k < 7; k++) {
        if ((v[k] = get_attr(ml, names[k])) == NULL) {
            for (int j = 0; j < k; j++)
                Py_CLEAR(v[j]);
            return -1;
        }
    }
    return 0;
}

/* The fields in _message_dicts's key order (sorted, as orjson's OPT_SORT_KEYS writes
 * them), each key with what precedes it, and its kind: bool, int, str or the time. The
 * first key's leading ',' is left out for the first message. */
static const char *const KEYS[7] = {",{\"decrypted\":", ",\"direction\":", ",\"encrypted\":",
                                    ",\"frame\":", ",\"length\":", ",\"time\":", ",\"type\":"};
static const char KINDS[7] = {'b', 's', 'b', 'i', 'i', 't', 's'};

/* messages_json(messages, second_template) -> bytes | None */
static PyObject *messages_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "messages_json(messages, second_template)");
        return NULL;
    }
    PyObject *seq = PySequence_Fast(args[0], "messages must be a sequence");
    if (seq == NULL)
        return NULL;
    Buf b = {NULL, 0, 0};
    PyObject *prefix = NULL, *result = NULL;
    long long secs_seen = 0;
    int r = PUT_LITERAL(&b, "[") < 0 ? -1 : 1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n && r == 1; i++) {
        PyObject *ml = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *v[7] = {NULL};
        if (fields_of(ml, v) < 0)
            r = -1;
        for (int k = 0; k < 7 && r == 1; k++) {
            /* the key (after "{", or "," between fields), then the value of its kind */
            const char *key = KEYS[k] + (k == 0 && i == 0);
            if (buf_put(&b, key, strlen(key)) < 0)
                r = -1;
            else if (KINDS[k] == 'b')
                r = put_bool(&b, v[k]);
            else if (KINDS[k] == 'i')
                r = put_int(&b, v[k]);
            else if (KINDS[k] == 's')
                r = put_str(&b, v[k]);
            else
                r = put_time(&b, v[k], args[1], &secs_seen, &prefix);
        }
        if (r == 1 && PUT_LITERAL(&b, "}") < 0)
            r = -1;
        for (int k = 0; k < 7; k++)
            Py_XDECREF(v[k]);
    }
    if (r == 1 && PUT_LITERAL(&b, "]") == 0)
        result = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    else if (r == 0)
        result = Py_NewRef(Py_None);
    PyMem_Free(b.data);
    Py_XDECREF(prefix);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef methods[] = {
    {"messages_json", (PyCFunction)(void (*)(void))messages_json, METH_FASTCALL,
     "messages_json(messages, second_template) -> bytes or None: the compact JSON of a "
     "connection's message ladder, as orjson writes json_report._message_dicts; None when "
     "a value is not of the plain kind."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.report._fastjson",
    "A connection's message ladder as compact JSON, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fastjson(void) {
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {{&s_decrypted, "decrypted"}, {&s_direction, "direction"},
                 {&s_encrypted, "encrypted"}, {&s_frame, "frame"},
                 {&s_length, "length"},       {&s_ts_ns, "ts_ns"},
                 {&s_type, "type"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL &&
            (*names[i].slot = PyUnicode_InternFromString(names[i].text)) == NULL)
            return NULL;
    }
    return PyModule_Create(&moduledef);
}
