"""Lists every user of an Entra tenant through Microsoft Graph with requests: the client
credentials token, then /v1.0/users with $select and $top=999, following @odata.nextLink.

usage: graph_requests.py BASE_URL EXPECTED_USERS
"""
import sys
import time

import requests

base, expected = sys.argv[1].rstrip("/"), int(sys.argv[2])
SELECT = ",".join([
    "id", "userPrincipalName", "mail", "givenName", "surname", "displayName", "department",
    "officeLocation", "city", "streetAddress", "postalCode", "state", "country",
    "businessPhones", "mobilePhone", "faxNumber", "jobTitle", "employeeId", "accountEnabled",
    "onPremisesSamAccountName", "userType",
])
started = time.perf_counter()
session = requests.Session()
token = session.post(
    f"{base}/bench-tenant/oauth2/v2.0/token",
    data={
        "grant_type": "client_credentials",
        "client_id": "bench-client",
        "client_secret": "bench-secret",
        "scope": "https://graph.microsoft.com/.default",
    },
).json()["access_token"]
session.headers["Authorization"] = f"Bearer {token}"
users = []
url = f"{base}/v1.0/users?$select={SELECT}&$top=999"
while url:
    page = session.get(url)
    page.raise_for_status()
    body = page.json()
    users.extend(body["value"])
    url = body.get("@odata.nextLink")
elapsed = time.perf_counter() - started
assert len(users) == expected, (len(users), expected)
print(f"requests {len(users)} users {elapsed:.3f} s")
