"""Helpers shared by several test folders (real receivers, servers, data builders)."""
