"""entas: the policy cycle of a city's poverty-alleviation team in one place."""

__version__ = "0.1.0"
