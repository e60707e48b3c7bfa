"""The one exception the command line turns into a clear sentence and exit status 1.

Every refusal of bad input raises `HmipError` with a message that names the file, line or field;
nothing else is caught, so a genuine bug still shows its traceback.
"""


class HmipError(Exception):
    """Bad input or a refused operation, explained in one sentence for the user."""
