"""Build hook for the one optional C extension (everything else is in pyproject.toml).

``tlslens.flows._fastscan`` speeds up the record walk of big pcap files. It is
``optional``: without a C compiler and Python headers the install still succeeds and
tlslens runs the same code paths in Python (tlslens.flows.lane.COMPILED says which).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("tlslens.flows._fastscan", ["src/tlslens/flows/_fastscan.c"],
                  optional=True, extra_compile_args=["-O2"]),
    ],
)
