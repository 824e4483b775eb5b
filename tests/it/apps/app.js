// A web app that knows nothing of Function Compute, for exec-mode tests: it listens on
// PORT and answers every request with a JSON echo of it, except a few paths that behave
// the way real apps misbehave. Node's own http module only.
//
//   /fail      500 with a body            /sse     3 events, 300 ms apart (chunked)
//   /exit      the process dies mid-call  /big     a 200 KiB answer
//   /healthz   503 until READY_AFTER_MS after start, then 200
//   /slow      answers after 1 s          /pre-stop, /initialize: 404 unless HOOKS=1
//
// Environment: PORT; KEEPALIVE_MS (Node's keepAliveTimeout, default 5000);
// TRAP_TERM=1 (log and exit 0 on SIGTERM); READY_AFTER_MS.
const http = require("http");

const started = Date.now();
const readyAfter = Number(process.env.READY_AFTER_MS || 0);
const hooks = process.env.HOOKS === "1";

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString();
    const url = new URL(req.url, "http://x");
    switch (url.pathname) {
      case "/fail":
        res.writeHead(500, { "Content-Type": "text/plain" });
        return res.end("boom: " + body);
      case "/exit":
        console.log("app: exiting on purpose");
        return process.exit(3);
      case "/healthz":
        res.writeHead(Date.now() - started >= readyAfter ? 200 : 503);
        return res.end();
      case "/sse": {
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        let n = 0;
        const tick = () => {
          n += 1;
          res.write(`data: event ${n}\n\n`);
          if (n === 3) return res.end();
          setTimeout(tick, 300);
        };
        return tick();
      }
      case "/big":
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        return res.end(Buffer.alloc(200 * 1024, 120));
      case "/slow":
        return setTimeout(() => res.end("slow"), 1000);
      case "/initialize":
      case "/pre-stop":
      case "/pre-freeze":
        if (!hooks) {
          res.writeHead(404);
          return res.end("no such path");
        }
        console.log(`app: hook ${req.method} ${url.pathname}`);
        return res.end("hook done");
    }
    res.writeHead(200, { "Content-Type": "application/json", "X-App": "echo" });
    res.end(JSON.stringify({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body }));
  });
});
server.keepAliveTimeout = Number(process.env.KEEPALIVE_MS || 5000);
server.listen(Number(process.env.PORT), "0.0.0.0");

if (process.env.TRAP_TERM === "1") {
  process.on("SIGTERM", () => {
    console.log("app: SIGTERM, closing");
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
