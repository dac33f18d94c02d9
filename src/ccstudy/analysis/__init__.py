"""Study-level analyses: the stage logic the notebooks call.

Each function takes clean tables (DataFrames) and plain options and returns
plain dicts / DataFrames built from :mod:`ccstudy.stats` results.  Nothing here
reads or writes files.
"""
