"""curator: send the right article to the right person, and say why."""

__version__ = "0.1.0"
