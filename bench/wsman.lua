-- wrk script: POSTs one WS-Management envelope (from the file in
-- WSMAN_BODY) with HTTP Basic credentials (WSMAN_AUTH = base64 user:pass).
local f = assert(io.open(os.getenv("WSMAN_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
wrk.headers["Authorization"] = "Basic " .. os.getenv("WSMAN_AUTH")
