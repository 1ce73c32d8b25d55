"""ktlo: make keep-the-lights-on work visible, measured and manageable."""

__version__ = "0.1.0"
