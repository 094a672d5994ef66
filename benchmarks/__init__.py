"""Speed benchmarks, kept out of the installed package: ``python -m benchmarks.run``
from the repository root (see docs/validation.md, "Speed")."""
