"""One router per capability; each calls that capability's own service functions."""
