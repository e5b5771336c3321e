-- Queue entry: every request a new client. args: path, run nonce.
local path, prefix
local counter = 0

function init(args)
  path = args[1]
  prefix = args[2] .. "-" .. thread_index .. "-"
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, {["X-Client-Id"] = prefix .. counter, ["Content-Length"] = "0"})
end
