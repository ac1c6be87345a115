/*
 * Attribute access shared by tlslens's optional C extensions (included, each extension
 * keeps its own copy of the cache below).
 *
 * The objects the extensions read per packet or per message line (Flow, its
 * DirectionReassemblers, RecordStream, MessageLine) keep their fields in __slots__. A
 * field that is a plain object slot is read and written at its offset, found once per
 * (class, name) and checked against the class's version tag (a class changed since is
 * looked up again); anything else (an instance dict, a property, an unset slot) goes
 * through getattr/setattr. Names must be interned strings that live as long as the
 * extension (its module-level names): the cache compares them by address.
 */
#ifndef TLSLENS_ATTRS_H
#define TLSLENS_ATTRS_H

#include <Python.h>
#include <stdint.h>
#include <structmember.h>

typedef struct {
    PyTypeObject *type; /* a strong reference */
    PyObject *name;
    unsigned int version;
    Py_ssize_t offset; /* -1: not a plain object slot */
} SlotEntry;

#define SLOT_CACHE 256
static SlotEntry slot_cache[SLOT_CACHE];

static Py_ssize_t slot_offset(PyTypeObject *type, PyObject *name) {
    size_t h = ((((uintptr_t)type) >> 4) * 31u + (((uintptr_t)name) >> 4)) % SLOT_CACHE;
    SlotEntry *e = &slot_cache[h];
    if (e->type == type && e->name == name &&
        (type->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) && type->tp_version_tag == e->version)
        return e->offset;
    PyObject *descr = _PyType_Lookup(type, name); /* borrowed; sets the version tag */
    Py_ssize_t offset = -1;
    if (descr != NULL && Py_IS_TYPE(descr, &PyMemberDescr_Type) &&
        ((PyMemberDescrObject *)descr)->d_member->type == T_OBJECT_EX &&
        !(((PyMemberDescrObject *)descr)->d_member->flags & READONLY))
        offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    if (!(type->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG))
        return offset; /* (not remembered: nothing to check it against) */
    Py_XSETREF(e->type, (PyTypeObject *)Py_NewRef(type));
    e->name = name;
    e->version = type->tp_version_tag;
    e->offset = offset;
    return offset;
}

/* obj.name, a new reference (NULL and an exception when it fails). */
static inline PyObject *get_attr(PyObject *obj, PyObject *name) {
    Py_ssize_t offset = slot_offset(Py_TYPE(obj), name);
    if (offset >= 0) {
        PyObject *value = *(PyObject **)((char *)obj + offset);
        if (value != NULL)
            return Py_NewRef(value);
    }
    return PyObject_GetAttr(obj, name);
}

/* obj.name = value; 0 or -1. */
static inline int set_attr(PyObject *obj, PyObject *name, PyObject *value) {
    Py_ssize_t offset = slot_offset(Py_TYPE(obj), name);
    if (offset < 0 || value == NULL)
        return PyObject_SetAttr(obj, name, value);
    PyObject **slot = (PyObject **)((char *)obj + offset);
    PyObject *old = *slot;
    *slot = Py_NewRef(value);
    Py_XDECREF(old);
    return 0;
}

/* Truth of obj.name: 1, 0, or -1 with an exception set. */
static inline int attr_true(PyObject *obj, PyObject *name) {
    PyObject *value = get_attr(obj, name);
    if (value == NULL)
        return -1;
    int r = PyObject_IsTrue(value);
    Py_DECREF(value);
    return r;
}

#endif
