"""Errors cnnviz reports to the user: each message is one clear, specific line."""


class CnnvizError(Exception):
    """Base of every error shown to the user as a message rather than a traceback."""


class UnknownModelError(CnnvizError):
    """A model name that is not in the zoo."""


class WeightsError(CnnvizError):
    """Weights that cannot be found, downloaded, read or matched to the model."""


class TraceError(CnnvizError):
    """A model that neither tracer could turn into a graph."""
