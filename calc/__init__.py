"""Pure contribution arithmetic on exact decimals: no I/O, no floats."""
