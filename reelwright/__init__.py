"""Reelwright's shared kernel: settings and the error hierarchy every layer raises from."""
