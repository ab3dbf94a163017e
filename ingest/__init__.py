"""Fetch mail (IMAP or files), find the forms in it, and record what each message became."""
