"""Video, image-animation and TTS backends, composition and responsible-use marks."""
