"""Mail out, shared by the digest and the receipts: send over SMTP, or write to the outbox folder."""
