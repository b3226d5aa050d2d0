"""Audit sign-ins, sign-outs, failures and lockouts."""
