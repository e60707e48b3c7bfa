"""Files that carry an inspection in and out: the sample CSV, the case bundle, the data workbook."""

from .bundle import export_bundle, import_bundle, read_bundle
from .sample_csv import import_sample, read_sample

__all__ = ["export_bundle", "import_bundle", "read_bundle", "import_sample", "read_sample"]
