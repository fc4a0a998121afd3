"""Whether a MariaDB replica has applied everything its primary had committed. Plain Python, no framework.

MariaDB names every committed transaction by a GTID ``domain-server-sequence``; a position such as
``@@gtid_binlog_pos`` (primary) or ``@@gtid_slave_pos`` (replica) lists the last one per replication domain,
comma separated (``"0-1-120,1-3-7"``). Sequences grow within a domain whichever server wrote them, so the
replica has applied a primary position when, in every domain of that position, its own sequence is at
least as high.
"""


def parse_position(position: str | None) -> dict[int, int]:
	"""{domain: sequence} of a GTID position; a malformed part raises ValueError."""
	found: dict[int, int] = {}
	for part in (position or "").replace("\n", ",").split(","):
		part = part.strip()
		if not part:
			continue
		domain, _server, sequence = part.split("-")
		found[int(domain)] = max(found.get(int(domain), 0), int(sequence))
	return found


def caught_up(primary_position: str | None, replica_position: str | None) -> bool:
	"""True when the replica has applied every transaction of `primary_position`. An empty primary position
	says nothing (no binary log, or nothing logged yet) and counts as not caught up; so does a position that
	cannot be read."""
	try:
		primary = parse_position(primary_position)
		replica = parse_position(replica_position)
	except ValueError:
		return False
	if not primary:
		return False
	return all(replica.get(domain, 0) >= sequence for domain, sequence in primary.items())
