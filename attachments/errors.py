"""Errors of the storage backend; importable before the apps are ready (middleware does)."""


class StorageUnavailable(Exception):
    """The storage backend did not answer."""
