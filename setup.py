"""Build hook for the optional C extensions (everything else is in pyproject.toml).

``tlslens.flows._fastscan`` speeds up the record walk of big pcap files;
``tlslens.tls._fasthello`` reads ClientHello and ServerHello bodies of the common layout;
``tlslens.tls._fastrec`` splits the complete records at the front of a record buffer;
``tlslens.tls._fastsession`` hands a packet of whole records to a TLS session;
``tlslens.analysis._fastbuild`` makes a connection's message ladder and history;
``tlslens.report._fastjson`` writes that ladder as compact JSON;
``tlslens._fastinit`` is the ``__init__`` of the frozen dataclasses of the model.
``src/tlslens/_attrs.h`` is the attribute access three of them share. All are
``optional``: without a C compiler and Python headers the install still
succeeds and tlslens runs the same code paths in Python (``tlslens.flows.lane.COMPILED``,
``tlslens.tls.handshake.COMPILED``, ``tlslens.tls.records.COMPILED``,
``tlslens.tls.session.COMPILED``, ``tlslens.analysis.build.LADDER``,
``tlslens.report.json_report.MESSAGES_JSON`` and ``tlslens.fastinit.COMPILED`` say which).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("tlslens.flows._fastscan", ["src/tlslens/flows/_fastscan.c"],
                  depends=["src/tlslens/_attrs.h"], optional=True,
                  extra_compile_args=["-O2"]),
        Extension("tlslens.tls._fasthello", ["src/tlslens/tls/_fasthello.c"],
                  optional=True, extra_compile_args=["-O2"]),
        Extension("tlslens.tls._fastrec", ["src/tlslens/tls/_fastrec.c"],
                  optional=True, extra_compile_args=["-O2"]),
        Extension("tlslens.tls._fastsession", ["src/tlslens/tls/_fastsession.c"],
                  depends=["src/tlslens/_attrs.h"], optional=True,
                  extra_compile_args=["-O2"]),
        Extension("tlslens.analysis._fastbuild", ["src/tlslens/analysis/_fastbuild.c"],
                  optional=True, extra_compile_args=["-O2"]),
        Extension("tlslens.report._fastjson", ["src/tlslens/report/_fastjson.c"],
                  depends=["src/tlslens/_attrs.h"], optional=True,
                  extra_compile_args=["-O2"]),
        Extension("tlslens._fastinit", ["src/tlslens/_fastinit.c"],
                  optional=True, extra_compile_args=["-O2"]),
    ],
)
