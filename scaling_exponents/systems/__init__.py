"""One module per paper: its constraint system, its named parametrizations and its bib key.

:mod:`.registry` maps names to them.
"""
