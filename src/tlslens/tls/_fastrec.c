/*
 * tlslens.tls._fastrec: the complete, well-formed records at the front of a record
 * stream's buffer, split in C.
 *
 * Why: every handshake flight is a run of records (a TLS 1.3 server's first packet: the
 * ServerHello, ChangeCipherSpec and four or five encrypted records), and splitting them
 * one Python call at a time (tlslens/tls/records.py, RecordStream._next_record) was about
 * a tenth of `tlslens fingerprint`. This module takes the same decisions for the plain
 * case in one pass and returns the same Record values.
 *
 * split() stops, leaving the rest to the Python loop, at the first thing that is not a
 * complete record with a plausible header: fewer than 5 bytes, a header the record layer
 * would call bad (anomaly, resync), and, while skipping payloads, a record whose payload
 * is not all there (the skip state). So the records it returns, the bytes it consumes and
 * the application-data counts are what the Python loop would give for that prefix
 * (tests/unit/tls/test_records.py runs streams both ways).
 *
 * This is an optional speed-up: when it is not built, the Python loop does it all.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define MAX_RECORD ((1 << 14) + 2048 + 256) /* tlslens.tls.records.MAX_RECORD */

/* records.Record: side, content_type, version, length, fragment, frame, ts_ns, offset */
static PyObject *make_record(PyTypeObject *type, PyObject *side, int ctype, int version,
                             long n, PyObject *fragment, PyObject *frame, PyObject *ts,
                             long long offset) {
    PyObject *items[8] = {Py_NewRef(side), PyLong_FromLong(ctype), PyLong_FromLong(version),
                          PyLong_FromLong(n), Py_NewRef(fragment), Py_NewRef(frame),
                          Py_NewRef(ts), PyLong_FromLongLong(offset)};
    PyObject *rec = NULL;
    if (items[1] && items[2] && items[3] && items[7])
        rec = type->tp_alloc(type, 8);
    if (rec == NULL) {
        for (int i = 0; i < 8; i++)
            Py_XDECREF(items[i]);
        return NULL;
    }
    for (int i = 0; i < 8; i++)
        PyTuple_SET_ITEM(rec, i, items[i]);
    return rec;
}

/* split(record_type, buf, side, frame, ts_ns, base, skipping)
 *   -> (records, consumed, app_records, app_bytes) */
static PyObject *split(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 7 || !PyType_Check(args[0]) ||
        !PyType_IsSubtype((PyTypeObject *)args[0], &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError,
                        "split(record_type, buf, side, frame, ts_ns, base, skipping)");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    PyObject *side = args[2], *frame = args[3], *ts = args[4];
    long long base = PyLong_AsLongLong(args[5]);
    if (base == -1 && PyErr_Occurred())
        return NULL;
    int skipping = PyObject_IsTrue(args[6]);
    if (skipping < 0)
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    const unsigned char *b = view.buf;
    Py_ssize_t end = view.len, p = 0;
    long long app_records = 0, app_bytes = 0;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        goto fail;
    while (end - p >= 5) {
        /* _plausible_header */
        if (b[p] < 20 || b[p] > 24 || b[p + 1] != 3 || b[p + 2] > 4)
            break;
        long n = ((long)b[p + 3] << 8) | b[p + 4];
        if (n <= 0 || n > MAX_RECORD || end - p - 5 < n)
            break; /* bad length: anomaly; incomplete: wait or skip (Python) */
        int ctype = b[p], version = (b[p + 1] << 8) | b[p + 2];
        PyObject *rec = NULL;
        if (skipping && ctype == 23) {
            app_records += 1;
            app_bytes += n;
        } else if (skipping) {
            rec = make_record(type, side, ctype, version, n, Py_None, frame, ts, base + p);
        } else {
            PyObject *fragment = PyBytes_FromStringAndSize((const char *)b + p + 5, n);
            if (fragment == NULL)
                goto fail;
            rec = make_record(type, side, ctype, version, n, fragment, frame, ts, base + p);
            Py_DECREF(fragment);
        }
        if (!(skipping && ctype == 23)) {
            if (rec == NULL)
                goto fail;
            int r = PyList_Append(out, rec);
            Py_DECREF(rec);
            if (r < 0)
                goto fail;
        }
        p += 5 + n;
    }
    PyBuffer_Release(&view);
    PyObject *result = Py_BuildValue("(NnLL)", out, p, app_records, app_bytes);
    return result;
fail:
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    return NULL;
}

static PyMethodDef methods[] = {
    {"split", (PyCFunction)(void (*)(void))split, METH_FASTCALL,
     "split(record_type, buf, side, frame, ts_ns, base, skipping) -> (records, consumed, "
     "app_records, app_bytes): the complete records with plausible headers at the front "
     "of buf, as RecordStream's Python loop reads them."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.tls._fastrec",
    "Complete, well-formed records at the front of a record buffer, split in C.", -1,
    methods};

PyMODINIT_FUNC PyInit__fastrec(void) { return PyModule_Create(&moduledef); }
