#!/usr/bin/env python3
# page_data.py PAGE.html [OUT.json]: the data a self-contained report carries (the
# dashboard's API answers keyed "<path>?<query>", dash/report.h) out of its
# <script type="application/json" id="qb-data"> element, written as JSON to OUT (or
# stdout). Fails (exit 1) when the page has not exactly one such element, when a raw '<'
# is inside it (a text that could close it) or when it is not one JSON object.
import json, re, sys

page = open(sys.argv[1], encoding='utf-8').read()
found = re.findall(r'<script type="application/json" id="qb-data">(.*?)</script>', page, re.S)
if len(found) != 1:
    sys.exit(f'{sys.argv[1]}: {len(found)} qb-data elements')
if '<' in found[0]:
    sys.exit(f'{sys.argv[1]}: a raw < in the data')
data = json.loads(found[0])
if not isinstance(data, dict):
    sys.exit(f'{sys.argv[1]}: the data is not an object')
out = open(sys.argv[2], 'w') if len(sys.argv) > 2 else sys.stdout
json.dump(data, out)
