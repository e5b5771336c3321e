-- Holds on one slot from many admitted clients, counting statuses (201 held, 409 sold out, ...).
-- args: path, file with one access token a line, JSON body.
local requests = {}
local next_index

function init(args)
  local headers = {["Content-Type"] = "application/json"}
  for token in io.lines(args[2]) do
    headers.Authorization = "Bearer " .. token
    table.insert(requests, wrk.format("POST", args[1], headers, args[3]))
  end
  next_index = thread_index
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function response(status, headers, body)
  status_counts[status] = (status_counts[status] or 0) + 1
end
