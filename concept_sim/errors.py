"""Exceptions that carry a message meant for the user."""


class ConceptSimError(Exception):
    """An error caused by input or settings; the CLI prints its message and exits with status 1."""


class RatingsError(ConceptSimError):
    """A ratings file that cannot be read as declared; the message reads `file:line: reason`."""


class StoreError(ConceptSimError):
    """A missing, incomplete or invalid activation store."""


class ConfigError(ConceptSimError):
    """An invalid value in params.yaml or on the command line."""
