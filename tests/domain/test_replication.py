import pytest

from crm_module.domain.replication import caught_up, parse_position


def test_parse_position_reads_every_domain():
	assert parse_position("0-1-120,1-3-7") == {0: 120, 1: 7}
	assert parse_position(" 0-1-120 ,\n2-9-4") == {0: 120, 2: 4}
	assert parse_position("") == {}
	assert parse_position(None) == {}


@pytest.mark.parametrize("bad", ["0-1", "a-b-c", "0-1-2-3", "0-1-x"])
def test_parse_position_refuses_what_is_not_a_gtid(bad):
	with pytest.raises(ValueError):
		parse_position(bad)


@pytest.mark.parametrize(
	"primary,replica,expected",
	[
		("0-1-120", "0-1-120", True),  # applied all
		("0-1-120", "0-1-121", True),  # applied more (a later write, or the replica read after it)
		("0-1-120", "0-1-119", False),  # one transaction behind (SQL thread stopped or lagging)
		("0-1-120", "", False),  # nothing applied yet
		("0-1-120,1-1-5", "0-1-120", False),  # a whole domain missing
		("0-1-120,1-1-5", "1-1-5,0-1-130", True),  # order does not matter
		("0-2-120", "0-1-120", True),  # the server id may differ (after a switch-over), the sequence counts
		("", "0-1-5", False),  # an empty primary position proves nothing
		("0-1-x", "0-1-5", False),  # unreadable: not caught up
	],
)
def test_caught_up(primary, replica, expected):
	assert caught_up(primary, replica) is expected
