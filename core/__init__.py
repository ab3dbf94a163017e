"""The bottom layer every package may import: the vocabulary of codes, the settings and logging."""
