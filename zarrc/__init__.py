"""zarrc: Zarr v3 and v2 arrays for Python with a multithreaded C engine."""

__version__ = "0.1.0"
