"""yibao-tui: the employee medical insurance personal account (职工医保个人账户) in a terminal."""

__version__ = "0.1.0"
