"""`ktlo demo`: a realistic synthetic organisation, built on disk and ingested the way users' data is."""

from ktlo.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
