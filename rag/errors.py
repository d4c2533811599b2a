"""The small exception hierarchy of policy-qa.

Every error a user can meet is a ``PolicyQAError``: the CLI and the UI print its message
on one line and never a traceback.
"""

from __future__ import annotations


class PolicyQAError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""


class ConfigError(PolicyQAError):
    """A setting has a value outside what is valid."""


class CorpusError(PolicyQAError):
    """The corpus folder is missing, empty or holds no readable document."""


class DocumentError(PolicyQAError):
    """One document cannot be read (binary, undecodable, empty, broken PDF...)."""


class IndexNotFoundError(PolicyQAError):
    """No index has been built at the given path."""


class IndexMismatchError(PolicyQAError):
    """The saved index was built with other settings, another model or is damaged."""


class ModelNotAvailableError(PolicyQAError):
    """A model's files are missing; the message names the command that prepares them."""


class QueryError(PolicyQAError):
    """A question or query is empty, too long or otherwise not valid."""


class GeneratorError(PolicyQAError):
    """A generator backend failed (down, timed out, returned garbage)."""
