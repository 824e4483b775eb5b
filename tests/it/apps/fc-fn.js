// An FC custom-runtime function written the way FC's Node.js samples are, for fc-local's
// platform tests: it listens on FC_CUSTOM_LISTEN_PORT, prints FC's marker lines, and
// answers events by their text:
//
//   "fail"           a function error: 404 + x-fc-status: 404 + {"errorMessage": ...}
//                    (so is an event that is not UTF-8)
//   "fail-once:K"    fails the first time key K is seen on this instance, then succeeds
//   "sleep:MS"       answers after MS milliseconds
//   "crash"          the process exits mid-call
//   anything else    "echo:<event> instance:<FC_INSTANCE_ID> retry:<x-fc-retry-count>
//                     qualifier:<x-fc-qualifier>"
//
// HTTP trigger paths: /sse (4 events, 300 ms apart, chunked), /slow?ms=N (JSON after N
// ms), /ws (a WebSocket echo after a greeting, with the `ws` package), anything else a JSON echo.
// GET /pre-stop and /pre-freeze log and answer 200. Node's http module and `ws` only.
const http = require("http");
const { WebSocketServer } = require("ws");

const instance = process.env.FC_INSTANCE_ID || "?";
const seen = new Set();
const wss = new WebSocketServer({ noServer: true });

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks);
    const body = raw.toString();
    const utf8 = Buffer.from(body).equals(raw);
    const rid = req.headers["x-fc-request-id"] || "-";
    const url = new URL(req.url, "http://x");
    if (req.method === "GET" && (url.pathname === "/pre-stop" || url.pathname === "/pre-freeze")) {
      console.log(`hook ${url.pathname} on ${instance}`);
      res.writeHead(200);
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/invoke") {
      return invoke(req, res, utf8 ? body : "fail", rid);
    }
    http_trigger(req, res, url, body);
  });
});

function invoke(req, res, event, rid) {
  console.log(`FC Invoke Start RequestId: ${rid}`);
  console.log(`handling ${event} on ${instance} retry ${req.headers["x-fc-retry-count"] || 0}`);
  const done = (status, text, headers) => {
    res.writeHead(status, headers || {});
    res.end(text);
    console.log(`FC Invoke End RequestId: ${rid}`);
  };
  const fail = () =>
    done(404, JSON.stringify({ errorMessage: "boom: " + event, errorType: "Error" }), {
      "x-fc-status": "404",
      "Content-Type": "application/json",
    });
  if (event === "fail") return fail();
  if (event.startsWith("fail-once:")) {
    if (!seen.has(event)) {
      seen.add(event);
      return fail();
    }
  }
  if (event === "crash") {
    console.log("crashing on purpose");
    return process.exit(3);
  }
  if (event.startsWith("sleep:")) {
    return setTimeout(() => done(200, "slept " + event.slice(6)), Number(event.slice(6)));
  }
  done(
    200,
    `echo:${event} instance:${instance} retry:${req.headers["x-fc-retry-count"] || 0} qualifier:${req.headers["x-fc-qualifier"]}`
  );
}

function http_trigger(req, res, url, body) {
  if (url.pathname === "/sse") {
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    let n = 0;
    const tick = () => {
      n += 1;
      res.write(`data: ${n}\n\n`);
      if (n === 4) return res.end();
      setTimeout(tick, 300);
    };
    return tick();
  }
  if (url.pathname === "/slow") {
    const ms = Number(url.searchParams.get("ms") || 500);
    return setTimeout(() => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ instance, ms }));
    }, ms);
  }
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ method: req.method, path: url.pathname, body, instance }));
}

server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(`hello from ${instance}`);
    ws.on("message", (data, binary) => ws.send(data, { binary }));
  });
});

server.keepAliveTimeout = 15 * 60 * 1000;
server.listen(Number(process.env.FC_CUSTOM_LISTEN_PORT || 9000), "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
