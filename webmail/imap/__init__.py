"""The only package that speaks IMAP. See MailSession (session.py) and the pool (pool.py)."""
