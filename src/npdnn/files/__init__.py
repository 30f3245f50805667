"""Model files: the safe archive (bounded, atomic, never unpickles), what an untrusted file may
declare, and a network's file. NumPy and the standard library only."""
