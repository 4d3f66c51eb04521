-- wrk script for bench/wechat_load.py: signed WeChat text messages, each with its own MsgId.
-- args: <first MsgId> <signed query string> <questions file, one a line>; the signature
-- covers the query only, so one query serves the whole run (inside the timestamp window),
-- and the body varies.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  first = tonumber(args[1])
  query = args[2]
  questions = {}
  for line in io.lines(args[3]) do
    table.insert(questions, line)
  end
  sent, bad = 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/xml"
end

function request()
  sent = sent + 1
  local id = first + tid * 100000000 + sent
  local body = string.format(
    "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[user%d]]></FromUserName>" ..
    "<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>" ..
    "<MsgId>%d</MsgId></xml>", id % 500, os.time(), questions[(id % #questions) + 1], id)
  return wrk.format(nil, wrk.path .. "?" .. query, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, "^%s*<xml>") then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "bad": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad_total, e.connect + e.read + e.write + e.timeout))
end
