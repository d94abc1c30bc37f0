"""Running untrusted notebook code: isolation, the in-sandbox agent, the wire format and
the trusted end (``session``)."""
