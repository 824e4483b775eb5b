// "The latest Node.js runtime" of the seed's homework: http.createServer, Hello, <body>.
// With PEER_MARKERS=1 it writes FC's two marker lines per call to stdout, as an FC server
// must: the fair race of `make bench`. Without it, the seed's server as is.
const http = require("http");
const port = process.env.FC_CUSTOM_LISTEN_PORT || process.env.FC_SERVER_PORT || process.env.PORT || 9000;
const markers = process.env.PEER_MARKERS === "1";
http
  .createServer((req, res) => {
    const id = req.headers["x-fc-request-id"] || "";
    if (markers) process.stdout.write(`FC Invoke Start RequestId: ${id}\n`);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      if (markers) process.stdout.write(`FC Invoke End RequestId: ${id}\n`);
      res.end(Buffer.concat([Buffer.from("Hello, "), ...chunks]));
    });
  })
  .listen(port, "0.0.0.0");
