-- bench: the server's version string, printed with the figures. No locks.
SELECT VERSION()
