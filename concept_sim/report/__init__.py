"""Figures, plot data and the markdown report of the rsa stage and the compare command."""
