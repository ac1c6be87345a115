/*
 * tlslens._fastinit: the __init__ of a frozen slots dataclass, in C.
 *
 * Why: the report model is made of frozen dataclasses (immutable values), and a frozen
 * dataclass's generated __init__ sets each field with object.__setattr__, about a
 * microsecond for a dozen fields. A full analysis makes tens of them per connection
 * (the connection itself twice, its message and alert lines, findings, anomalies): about
 * an eighth of `tlslens analyze`. This __init__ takes the same arguments (positional or
 * by name, with the same defaults) and puts the values straight into the slots.
 *
 * install(cls) replaces cls.__init__. It accepts only what it can do exactly: a frozen
 * dataclass with slots, every field an init field without default_factory, no
 * __post_init__; anything else raises ValueError and the class keeps its own __init__
 * (tlslens/fastinit.py then leaves it). The generated __init__ stays the reference:
 * tests/unit/test_fastinit.py builds every installed class both ways.
 *
 * This is an optional speed-up: when it is not built, the dataclasses' own __init__ runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyTypeObject *cls;
    Py_ssize_t nfields;
    PyObject **names;      /* interned field names */
    PyObject **defaults;   /* NULL: required */
    Py_ssize_t *offsets;   /* slot offsets */
} FastInit;

static PyTypeObject FastInitType;

static void FastInit_dealloc(FastInit *self) {
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        Py_XDECREF(self->names[i]);
        Py_XDECREF(self->defaults[i]);
    }
    PyMem_Free(self->names);
    PyMem_Free(self->defaults);
    PyMem_Free(self->offsets);
    Py_XDECREF(self->cls);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The field index of a keyword, or -1. Names are interned: pointers first. */
static Py_ssize_t field_index(FastInit *self, PyObject *key) {
    for (Py_ssize_t i = 0; i < self->nfields; i++)
        if (self->names[i] == key)
            return i;
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        int eq = PyUnicode_Compare(self->names[i], key);
        if (eq == 0)
            return i;
        if (eq == -1 && PyErr_Occurred())
            PyErr_Clear();
    }
    return -1;
}

/* __init__(self, *args, **kwargs): args[0] is the instance. */
static PyObject *FastInit_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf,
                                     PyObject *kwnames) {
    FastInit *fi = (FastInit *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    /* (A subclass's instances have the class's slots at the same offsets.) */
    if (nargs < 1 || !PyObject_TypeCheck(args[0], fi->cls)) {
        PyErr_Format(PyExc_TypeError, "__init__ of %s needs an instance of it",
                     fi->cls->tp_name);
        return NULL;
    }
    PyObject *obj = args[0];
    Py_ssize_t npos = nargs - 1, n = fi->nfields;
    if (npos > n) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd positional arguments but %zd were given",
                     fi->cls->tp_name, n, npos);
        return NULL;
    }
    PyObject *small[64];
    PyObject **values = n <= 64 ? small : PyMem_Calloc((size_t)n, sizeof(PyObject *));
    if (values == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++)
        values[i] = i < npos ? args[1 + i] : NULL;
    PyObject *result = NULL;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t i = field_index(fi, key);
        if (i < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument %R",
                         fi->cls->tp_name, key);
            goto done;
        }
        if (values[i] != NULL) {
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument %R",
                         fi->cls->tp_name, key);
            goto done;
        }
        values[i] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (values[i] == NULL && (values[i] = fi->defaults[i]) == NULL) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument %R",
                         fi->cls->tp_name, fi->names[i]);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject **slot = (PyObject **)((char *)obj + fi->offsets[i]);
        PyObject *old = *slot;
        *slot = Py_NewRef(values[i]);
        Py_XDECREF(old);
    }
    result = Py_NewRef(Py_None);
done:
    if (values != small)
        PyMem_Free(values);
    return result;
}

/* Called the slow way (e.g. FastInit bound by attribute access): same thing. */
static PyObject *FastInit_call(PyObject *self, PyObject *args, PyObject *kwargs) {
    return PyVectorcall_Call(self, args, kwargs);
}

static PyObject *FastInit_descr_get(PyObject *self, PyObject *obj, PyObject *type) {
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyTypeObject FastInitType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tlslens._fastinit.FastInit",
    .tp_basicsize = sizeof(FastInit),
    .tp_dealloc = (destructor)FastInit_dealloc,
    .tp_vectorcall_offset = offsetof(FastInit, vectorcall),
    .tp_call = FastInit_call,
    .tp_descr_get = FastInit_descr_get,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "The __init__ of a frozen slots dataclass (see tlslens._fastinit.install).",
};

/* ValueError with a reason; returns NULL. */
static PyObject *refuse(PyObject *cls, const char *why) {
    PyErr_Format(PyExc_ValueError, "%R: %s", cls, why);
    return NULL;
}

static PyObject *install(PyObject *module, PyObject *cls) {
    if (!PyType_Check(cls))
        return refuse(cls, "not a class");
    PyTypeObject *type = (PyTypeObject *)cls;
    PyObject *dataclasses = PyImport_ImportModule("dataclasses");
    if (dataclasses == NULL)
        return NULL;
    PyObject *fields = PyObject_CallMethod(dataclasses, "fields", "O", cls);
    PyObject *missing = PyObject_GetAttrString(dataclasses, "MISSING");
    Py_DECREF(dataclasses);
    PyObject *params = PyObject_GetAttrString(cls, "__dataclass_params__");
    FastInit *fi = NULL;
    if (fields == NULL || missing == NULL || params == NULL)
        goto fail;
    int frozen = -1;
    PyObject *fr = PyObject_GetAttrString(params, "frozen");
    if (fr != NULL) {
        frozen = PyObject_IsTrue(fr);
        Py_DECREF(fr);
    }
    if (frozen < 0)
        goto fail;
    if (!frozen) {
        refuse(cls, "not frozen");
        goto fail;
    }
    if (PyObject_HasAttrString(cls, "__post_init__")) {
        refuse(cls, "has __post_init__");
        goto fail;
    }
    /* Every dataclass field (ClassVar and InitVar pseudo-fields are not in fields()),
     * and the class's own field count must match (no InitVar). */
    PyObject *all = PyObject_GetAttrString(cls, "__dataclass_fields__");
    if (all == NULL)
        goto fail;
    Py_ssize_t nall = PyDict_Size(all);
    Py_DECREF(all);
    Py_ssize_t n = PyTuple_Size(fields);
    if (n < 0)
        goto fail;
    if (nall != n) {
        refuse(cls, "has ClassVar or InitVar fields");
        goto fail;
    }
    fi = PyObject_New(FastInit, &FastInitType);
    if (fi == NULL)
        goto fail;
    fi->vectorcall = FastInit_vectorcall;
    fi->cls = (PyTypeObject *)Py_NewRef(cls);
    fi->nfields = 0;
    fi->names = PyMem_Calloc((size_t)(n ? n : 1), sizeof(PyObject *));
    fi->defaults = PyMem_Calloc((size_t)(n ? n : 1), sizeof(PyObject *));
    fi->offsets = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Py_ssize_t));
    if (!fi->names || !fi->defaults || !fi->offsets) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyTuple_GET_ITEM(fields, i);
        PyObject *name = PyObject_GetAttrString(f, "name");
        if (name == NULL)
            goto fail;
        PyUnicode_InternInPlace(&name);
        fi->names[i] = name;
        fi->nfields = i + 1;
        PyObject *init = PyObject_GetAttrString(f, "init");
        PyObject *kw_only = PyObject_GetAttrString(f, "kw_only");
        PyObject *factory = PyObject_GetAttrString(f, "default_factory");
        PyObject *deflt = PyObject_GetAttrString(f, "default");
        int ok = init != NULL && kw_only != NULL && factory != NULL && deflt != NULL;
        int usable = ok && PyObject_IsTrue(init) == 1 && kw_only != Py_True &&
                     factory == missing;
        if (usable && deflt != missing)
            fi->defaults[i] = Py_NewRef(deflt);
        Py_XDECREF(init);
        Py_XDECREF(kw_only);
        Py_XDECREF(factory);
        Py_XDECREF(deflt);
        if (!ok)
            goto fail;
        if (!usable) {
            refuse(cls, "a field is not a plain init field (init=False, kw_only or "
                        "default_factory)");
            goto fail;
        }
        PyObject *descr = PyDict_GetItemWithError(type->tp_dict, name); /* borrowed */
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
            ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX ||
            (((PyMemberDescrObject *)descr)->d_member->flags & READONLY)) {
            if (!PyErr_Occurred())
                refuse(cls, "a field is not an object slot of the class itself");
            goto fail;
        }
        fi->offsets[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    if (PyObject_SetAttrString(cls, "__init__", (PyObject *)fi) < 0)
        goto fail;
    Py_DECREF(fi);
    Py_DECREF(fields);
    Py_DECREF(missing);
    Py_DECREF(params);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(fi);
    Py_XDECREF(fields);
    Py_XDECREF(missing);
    Py_XDECREF(params);
    return NULL;
}

static PyMethodDef methods[] = {
    {"install", install, METH_O,
     "install(cls): give a frozen slots dataclass this module's __init__ (same arguments, "
     "same result); ValueError when the class is not one it can serve exactly."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tlslens._fastinit",
    "The __init__ of a frozen slots dataclass, in C.", -1, methods};

PyMODINIT_FUNC PyInit__fastinit(void) {
    if (PyType_Ready(&FastInitType) < 0)
        return NULL;
    return PyModule_Create(&moduledef);
}
