"""The project's literature: the muP-family papers the scaling rules come from.

See :mod:`scaling_exponents.literature.bibliography` for the loader of ``papers/references.bib``.
"""
