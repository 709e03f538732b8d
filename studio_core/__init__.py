"""Code the backend and the worker share: config, tables, jobs, queue, catalog, storage."""
