"""The daily digest: Chinese HTML and text mail with the 汇总表 .xlsx, sent over SMTP or written to the outbox."""
