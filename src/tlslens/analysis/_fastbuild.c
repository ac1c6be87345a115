/*
 * tlslens.analysis._fastbuild: a connection's message ladder and history, in C.
 *
 * Why: build_connection turns the session's ladder (a dozen Entry tuples a connection)
 * into MessageLine values and the Zeek-style history letters; the two comprehensions
 * were about 2 % of `tlslens analyze` (38,000 instructions a connection on the benchmark),
 * most of it the interpreter's work per item. ladder() makes the same values: each
 * MessageLine is made by calling the class, as the comprehension does.
 *
 * It declines (returns None) when an entry is not a 7-tuple with side 0 or 1; build.py
 * then runs its comprehensions, which stay the reference
 * (tests/unit/analysis/test_fastbuild.py builds real connections both ways).
 *
 * This is an optional speed-up: when it is not built, the comprehensions run.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define HISTORY_MAX 200 /* build.py: the history is of the first 200 entries */

static PyObject *s_limit = NULL, *s_unknown = NULL, *s_empty = NULL;

/* ladder(entries, names, letters, message_line) -> (messages, history) | None
 *
 *   names: ("client", "server") ordered by side; letters: (dict, dict) by side;
 *   message_line: the MessageLine class. */
static PyObject *ladder(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyList_Check(args[0]) || !PyTuple_Check(args[1]) ||
        PyTuple_GET_SIZE(args[1]) != 2 || !PyTuple_Check(args[2]) ||
        PyTuple_GET_SIZE(args[2]) != 2 || !PyDict_Check(PyTuple_GET_ITEM(args[2], 0)) ||
        !PyDict_Check(PyTuple_GET_ITEM(args[2], 1))) {
        PyErr_SetString(PyExc_TypeError, "ladder(entries: list, names: (str, str), "
                                         "letters: (dict, dict), message_line)");
        return NULL;
    }
    PyObject *entries = args[0], *names = args[1], *letters = args[2], *cls = args[3];
    Py_ssize_t n = PyList_GET_SIZE(entries);
    for (Py_ssize_t i = 0; i < n; i++) { /* the shapes the comprehensions rely on */
        PyObject *e = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(e) || PyTuple_GET_SIZE(e) != 7 ||
            !PyLong_CheckExact(PyTuple_GET_ITEM(e, 0)))
            Py_RETURN_NONE;
        long side = PyLong_AsLong(PyTuple_GET_ITEM(e, 0));
        if (side != 0 && side != 1) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
    }
    PyObject *lines = PyList_New(0);
    PyObject *letter_list = PyList_New(0);
    if (lines == NULL || letter_list == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        /* Entry: side, type, length, frame, ts_ns, encrypted, decrypted */
        PyObject *e = PyList_GET_ITEM(entries, i);
        Py_ssize_t side = PyLong_AsLong(PyTuple_GET_ITEM(e, 0));
        PyObject *kind = PyTuple_GET_ITEM(e, 1);
        int limit = PyObject_RichCompareBool(kind, s_limit, Py_EQ);
        if (limit < 0)
            goto fail;
        if (!limit) {
            PyObject *call[7] = {PyTuple_GET_ITEM(e, 3), PyTuple_GET_ITEM(e, 4),
                                 PyTuple_GET_ITEM(names, side), kind, PyTuple_GET_ITEM(e, 2),
                                 PyTuple_GET_ITEM(e, 5), PyTuple_GET_ITEM(e, 6)};
            PyObject *line = PyObject_Vectorcall(cls, call, 7, NULL);
            if (line == NULL)
                goto fail;
            int r = PyList_Append(lines, line);
            Py_DECREF(line);
            if (r < 0)
                goto fail;
        }
        if (i < HISTORY_MAX) {
            PyObject *letter = PyDict_GetItemWithError(PyTuple_GET_ITEM(letters, side), kind);
            if (letter == NULL && PyErr_Occurred())
                goto fail;
            if (PyList_Append(letter_list, letter != NULL ? letter : s_unknown) < 0)
                goto fail;
        }
    }
    PyObject *messages = PyList_AsTuple(lines);
    PyObject *history = PyUnicode_Join(s_empty, letter_list);
    Py_DECREF(lines);
    Py_DECREF(letter_list);
    if (messages == NULL || history == NULL) {
        Py_XDECREF(messages);
        Py_XDECREF(history);
        return NULL;
    }
    return Py_BuildValue("(NN)", messages, history);
fail:
    Py_XDECREF(lines);
    Py_XDECREF(letter_list);
    return NULL;
}

static PyMethodDef methods[] = {
    {"ladder", (PyCFunction)(void (*)(void))ladder, METH_FASTCALL,
     "ladder(entries, names, letters, message_line) -> (messages, history) or None: the "
     "MessageLine tuple and the history letters of a session's ladder, as "
     "tlslens.analysis.build makes them."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens.analysis._fastbuild",
    "A connection's message ladder and history, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fastbuild(void) {
    if (s_limit == NULL && (s_limit = PyUnicode_InternFromString("limit")) == NULL)
        return NULL;
    if (s_unknown == NULL && (s_unknown = PyUnicode_InternFromString("?")) == NULL)
        return NULL;
    if (s_empty == NULL && (s_empty = PyUnicode_InternFromString("")) == NULL)
        return NULL;
    return PyModule_Create(&moduledef);
}
