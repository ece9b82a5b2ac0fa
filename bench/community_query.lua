-- wrk script for bench/community.sh: POST a query with the bearer token from $TOKEN
-- (none when it is empty: an anonymous caller). QUERY selects which:
-- "browse" (the public activity browse under the district, with totalCount),
-- "help" (the caller's helpRequests(first: 20) with totalCount and the beneficiary),
-- "dashboard" (the signed-in volunteer's dashboard).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("TOKEN") or ""
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local which = os.getenv("QUERY") or "browse"
if which == "help" then
  wrk.body = '{"query":"{ helpRequests(first: 20) { totalCount edges { cursor node { id unitCode state urgency category description beneficiaryName submittedAt claimedByVolunteer { id realName } } } } }"}'
elseif which == "dashboard" then
  wrk.body = '{"query":"{ myDashboard { hoursThisYear stars timeBalanceMinutes upcomingSignups(first: 5) { totalCount nodes { id activity { title startsAt place } } } certificates(first: 5) { totalCount nodes { id number } } } }"}'
else
  wrk.body = '{"query":"{ publicActivities(under: \\"440104\\", first: 20) { totalCount edges { cursor node { id title field place startsAt endsAt seatsLeft unitCode } } } }"}'
end
