"""`make bench`: drives the ticketing services and a bare-ASGI ceiling with wrk on loopback."""
