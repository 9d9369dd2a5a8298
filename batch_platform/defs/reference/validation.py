"""Loading the project checks the reference file: `dg check defs`, the UI and every run fail on
a bad one, naming the file, each bad entry and the rule it breaks."""

import dagster as dg

from batch_platform.defs.reference.logic.reference_sets import effective_reference


@dg.definitions
def reference_file_is_valid() -> dg.Definitions:
    effective_reference()
    return dg.Definitions()
