"""Reelwright's shared kernel: settings and the error hierarchy every layer raises from."""

from reelwright import torchaudio_compat, torchvision_compat

torchaudio_compat.install()
torchvision_compat.install()
