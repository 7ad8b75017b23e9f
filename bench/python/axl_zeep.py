"""Lists every end user of a CUCM cluster with zeep over AXL, as Cisco's AXL samples do:
listUser with searchCriteria userid=% in pages of 1,000 (skip/first).

usage: axl_zeep.py BASE_URL EXPECTED_USERS WSDL_PATH
The WSDL (and AXLSoap.xsd beside it) is AXL 15.0's.
"""
import sys
import time

from requests import Session
from requests.auth import HTTPBasicAuth
from zeep import Client, Settings
from zeep.transports import Transport

base, expected, wsdl = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3]
PAGE = 1000
TAGS = {
    "firstName": "", "middleName": "", "lastName": "", "userid": "", "mailid": "",
    "department": "", "manager": "", "primaryExtension": {"pattern": "", "routePartitionName": ""},
    "directoryUri": "", "telephoneNumber": "", "title": "", "mobileNumber": "",
    "homeNumber": "", "pagerNumber": "",
}
started = time.perf_counter()
session = Session()
session.auth = HTTPBasicAuth("axl-sync", "bench")
client = Client(wsdl, settings=Settings(strict=False, xml_huge_tree=True),
                transport=Transport(session=session))
service = client.create_service("{http://www.cisco.com/AXLAPIService/}AXLAPIBinding", f"{base}/axl/")
loaded = time.perf_counter()
users = []
skip = 0
while True:
    answer = service.listUser(searchCriteria={"userid": "%"}, returnedTags=TAGS, skip=skip, first=PAGE)
    page = answer["return"]["user"] if answer["return"] else []
    users.extend(page)
    if len(page) < PAGE:
        break
    skip += PAGE
elapsed = time.perf_counter() - started
assert len(users) == expected, (len(users), expected)
print(f"zeep {len(users)} users {elapsed:.3f} s (WSDL load {loaded - started:.3f} s)")
