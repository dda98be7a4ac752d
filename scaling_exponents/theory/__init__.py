"""Pure-Python theory layer: exact exponents, constraint systems, LP solving, classification, tables.

Never imports torch.
"""
