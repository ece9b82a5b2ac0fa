-- wrk script for bench/charity.sh: POST a query with the bearer token from $TOKEN
-- (none when it is empty: an anonymous caller). QUERY selects which:
-- "stats" (unitStats of the district with its streets and the charity figures),
-- "donations" (the caller's donations(first:100) with totalCount), "disclosure"
-- (the public disclosure page of the fund $FUND: its reports with figures and the
-- first donors).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local which = os.getenv("QUERY") or "stats"
if which == "donations" then
  wrk.body = '{"query":"{ donations(first: 100) { totalCount edges { cursor node { id receiptNumber amountFen kind channel receivedOn donorKind voidedAt unitCode } } } }"}'
elseif which == "disclosure" then
  wrk.body = '{"query":"query($f: ID!) { disclosureReports(fundId: $f, first: 5) { totalCount nodes { id kind periodFrom periodTo publishedAt fundName holderName raisedFen disbursedFen openingBalanceFen closingBalanceFen moneyIn { month channel amountFen donations } moneyOut { purpose amountFen disbursements } donors(first: 20) { totalCount nodes { name amountFen receivedOn } } } } }","variables":{"f":"' .. os.getenv("FUND") .. '"}}'
else
  wrk.body = '{"query":"{ unitStats(code: \\"440104\\", from: \\"2026-01-01\\", to: \\"2026-11-30\\") { streetsWithFund communitiesWithFund figures { volunteers hoursServed charity { funds raisedFen donations disbursedFen balanceFen pledgesOpen } } children { unitCode figures { volunteers hoursServed charity { funds raisedFen donations disbursedFen balanceFen pledgesOpen } } } } }"}'
end
