"""Mail out, shared by the digest and the receipts: compose a mail, send it over SMTP, or write it to a folder."""
