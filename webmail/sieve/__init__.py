"""Sieve (RFC 5228) scripts and the ManageSieve protocol (RFC 5804): the only code that
imports sievelib. client.py speaks to the server, script.py reads and writes scripts,
rules.py holds what a script is read into, errors.py names what can go wrong."""
