-- Position reads over a fixed set of tickets. args: path, file with one ticket a line.
local requests = {}
local next_index

function init(args)
  for ticket in io.lines(args[2]) do
    table.insert(requests, wrk.format("GET", args[1], {Authorization = "Bearer " .. ticket}))
  end
  next_index = thread_index
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end
