"""Everything that touches files: readers, schemas, validation, writers.

Only this package (and the pipeline / render layers) reads or writes files;
``ccstudy.stats`` is pure.
"""
