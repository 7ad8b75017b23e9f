"""Lists every person of a Webex organisation with wxc_sdk, as an administrator's script does.

usage: webex_wxc_sdk.py BASE_URL EXPECTED_USERS
"""
import sys
import time

from wxc_sdk import WebexSimpleApi
from wxc_sdk.rest import RestSession

base, expected = sys.argv[1], int(sys.argv[2])
# wxc_sdk talks to https://webexapis.com/v1; point it at the loopback tenant instead.
RestSession.BASE = base.rstrip("/") + "/v1"
started = time.perf_counter()
api = WebexSimpleApi(tokens="bench-token")
people = list(api.people.list(calling_data=True))
elapsed = time.perf_counter() - started
assert len(people) == expected, (len(people), expected)
assert people[-1].emails[0] == f"user{expected - 1}@example.com"
print(f"wxc_sdk {len(people)} users {elapsed:.3f} s")
