-- Which server this session talks to (MariaDB reports e.g. "10.11.19-MariaDB-0+deb12u1").
SELECT VERSION()
