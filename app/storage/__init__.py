"""File storage behind one interface: files named by content hash, written atomically."""

from app.storage.base import Storage, StoredFile, storage_for

__all__ = ["Storage", "StoredFile", "storage_for"]
